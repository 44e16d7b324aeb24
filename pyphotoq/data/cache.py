"""An opened cache (Cache, open_cache) and what a build says it did (BuildSummary).

The format is cache_format's; building is cache_build's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import PhotoqError
from ..core.files import inside, printable
from ..photos.splits import SPLITS, split_lines
from ..photos.view_kinds import kind_of_spec
from .cache_format import (
    FORMAT_VERSION,
    OVERVIEW,
    SKIPPED_COLUMNS,
    CONFLICT_COLUMNS,
    _HASH,
    view_file,
    read_info,
    read_manifest,
    _read_table,
)


@dataclass
class BuildSummary:
    """What one build did."""

    photos: int
    added: int
    reused: int
    removed: int
    skipped: pd.DataFrame
    conflicts: pd.DataFrame
    seconds: float
    repaired: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["file", "reason"]))
    upgraded_from: int | None = None
    pairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["used", "other"]))
    splits: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())  # photos per split (rows) and label
    labels: list = field(default_factory=list)  # what labels from ratings labelled and left out

    def __str__(self) -> str:
        lines = list(self.labels) + [
            f"{self.photos} photos in the cache: {self.added} added, {self.reused} already cached, "
            f"{self.removed} removed (gone from the source) in {self.seconds:.1f} s"
        ]
        lines += split_lines(self.splits)
        if len(self.pairs):
            lines.append(f"{len(self.pairs)} RAW+JPEG pairs (or RAW+HEIC) are one photo each: the JPEG (or HEIC) was "
                         "cached, not the RAW")
        if self.upgraded_from is not None:
            lines.append(f"cache upgraded in place from format version {self.upgraded_from} to {FORMAT_VERSION}")
        if len(self.repaired):
            lines.append(f"{len(self.repaired)} cached files were missing or damaged and were made again:")
            lines += _first_rows([f"{row.file}: {row.reason}" for row in self.repaired.itertuples()])
        if len(self.conflicts):
            kinds = self.conflicts["kind"].value_counts()
            lines.append(
                "same content found twice: "
                + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
                + " ('good' wins; see conflicts.csv)"
            )
        if len(self.skipped):
            lines.append(f"{len(self.skipped)} files skipped:")
            lines += _first_rows([f"{printable(row.path)}: {row.reason}" for row in self.skipped.itertuples()],
                                 " (see skipped.csv)")
        return "\n".join(lines)


def _first_rows(items: list[str], where: str = "", shown: int = 20) -> list[str]:
    """The first `shown` items as indented summary lines, then how many more there are."""
    lines = [f"  {item}" for item in items[:shown]]
    if len(items) > shown:
        lines.append(f"  ... and {len(items) - shown} more{where}")
    return lines


@dataclass
class Cache:
    """An opened cache: its folder, settings and tables.

    `manifest` has the columns of manifest.csv plus `cached`, the overview's file (relative to
    the folder), derived from the hash by the one rule (see view_file).
    """

    path: Path
    info: dict
    manifest: pd.DataFrame
    skipped: pd.DataFrame
    conflicts: pd.DataFrame
    summary: BuildSummary | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return self.info["id"]

    @property
    def version(self) -> int:
        """The format version of the folder on disk (1 until the next build upgrades it)."""
        return int(self.info.get("stored_version", self.info["version"]))

    @property
    def views(self) -> list[str]:
        """The names of the declared views."""
        return list(self.info["views"])

    @property
    def width(self) -> int:
        return int(self.info["views"][OVERVIEW]["width"])

    @property
    def positive(self) -> str:
        return self.info["classes"]["positive"]

    def split(self, name: str) -> pd.DataFrame:
        """The manifest rows of one split ('train', 'validation' or 'test')."""
        if name not in SPLITS:
            raise PhotoqError(f"Unknown split {name!r}: use one of {', '.join(SPLITS)}")
        return self.manifest[self.manifest["split"] == name].reset_index(drop=True)

    def view_path(self, photo_hash: str, view: str = OVERVIEW) -> Path:
        """Absolute path of a photo's file for `view`, by the one rule; refused outside the cache."""
        if view not in self.info["views"]:
            raise PhotoqError(f"The cache {self.path} has no view {view!r} (views: {', '.join(self.views)})")
        if not _HASH.match(str(photo_hash)):
            raise PhotoqError(f"Not a photo hash (64 hex digits): {photo_hash!r}")
        return inside(self.path, self.path / view_file(photo_hash, view, self.info))

    def read_image(self, photo_hash: str, view: str = OVERVIEW) -> np.ndarray:
        """A photo's pixels for `view` as uint8: (height, width, 3); the detail view as
        (patches, size, size, 3), patch 0 first (as R's read_cached_image)."""
        from PIL import Image

        spec = self.info["views"].get(view, {})
        with Image.open(self.view_path(photo_hash, view)) as image:
            pixels = np.asarray(image.convert("RGB"))
        kind = kind_of_spec(spec)
        return kind.pixels(pixels, spec) if kind is not None else pixels

    def image_path(self, cached: str) -> Path:
        """Absolute path of a cached image from the manifest's `cached` column (inside the cache)."""
        return inside(self.path, self.path / cached, what="cached file")

    def __repr__(self) -> str:
        counts = self.manifest.groupby(["split", "label"]).size()
        parts = ", ".join(f"{s}/{lab}: {n}" for (s, lab), n in counts.items())
        return f"<photoq cache {self.path} · {len(self.manifest)} photos ({parts})>"


def open_cache(cache) -> Cache:
    """Open an existing cache folder (format version 1 or 2), checking every table."""
    folder = Path(cache).expanduser().resolve()
    info = read_info(folder)
    version = info["stored_version"]
    manifest = read_manifest(folder, info)
    return Cache(
        path=folder,
        info=info,
        manifest=manifest,
        skipped=_read_table(folder / "skipped.csv", SKIPPED_COLUMNS, version),
        conflicts=_read_table(folder / "conflicts.csv", CONFLICT_COLUMNS, version),
    )
