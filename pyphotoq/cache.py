"""The shared on-disk image cache: build it incrementally, open it, read it.

The cache is a documented format (version 2, see the README), readable without Python:

    cache.json     format name and version, id, the declared views, classes, split rule
    manifest.csv   one row per cached photo (hash, label, split, original, sizes, ...)
    files.csv      one row per cached file: view, hash, size, sha256 (damage is detected)
    skipped.csv    files that could not be used, with the reason
    conflicts.csv  the same content found twice (under two labels, or twice under one)
    sources.csv    every source file seen, with size and mtime, so rebuilds skip known files
    corrections.csv  (optional) photos a user sorted after culling (learn_corrections): added to
                   every build's listing, their labels win, and they learn in the training split
    statistics.csv  (optional) the booster's statistics of each photo, measured once (by the first
                   training) and kept (pyphotoq.statistics_store); not part of the format's checks
    views/<view>/<first two hash digits>/<hash>.<extension>   one file per photo and view

Every reader finds a photo's file for any view by that one rule (`view_file`), from the view's
declaration in cache.json; adding a view is declaring it (and registering how it is made in
VIEW_MAKERS), not changing the format. File names in the tables are UTF-8 text in which `%`,
control characters and bytes that are not valid UTF-8 are written `%XX` (files.encode_path).

Every file is written under a temporary name, fsynced and renamed into place, so a build killed
at any instant leaves a cache that opens, and the next build finishes the job. A version-1 cache
opens as it is and is upgraded in place by the next build_cache (cache.json is written last).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import math
import os
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from .progress import tqdm

from . import __version__
from .detail import DEFAULT_SPEC as DETAIL_SPEC
from .detail import DETAIL, make_patches, save_options, split_patches
from .detail import spec_problem as detail_spec_problem
from .errors import CacheBusy, PhotoqError
from .files import decode_path, encode_path, inside, is_inside, printable
from .files import write_atomic as _write_file
from .outputs import own_folder
from .images import UnusablePhoto, open_photo, read_photo_bytes
from .ratings import DEFAULT_BAD, DEFAULT_GOOD, rated_photos
from .sources import labelled_photos
from .splits import DEFAULT_SECONDS, look_hash
from .splits import METHODS as SPLIT_METHODS
from .splits import SPLITS, assign_splits, check_fractions, split_counts, split_lines

FORMAT_NAME = "photoq-cache"
FORMAT_VERSION = 2
OVERVIEW = "overview"
#: The one rule by which every reader finds a photo's file for a view (see view_file).
VIEW_FILE_RULE = "views/<view>/<hh>/<hash>.<extension>"
#: Encodings a view may declare, with the file extension each gets.
ENCODINGS = {"jpeg": "jpg", "png": "png"}

MANIFEST_COLUMNS = [
    "hash", "label", "split", "group", "original",
    "width", "height", "source_width", "source_height", "taken", "look",
]
#: Version-1 manifests also had `cached` (the overview file), derived from the hash since.
MANIFEST_V1_COLUMNS = MANIFEST_COLUMNS[:5] + ["cached"] + MANIFEST_COLUMNS[5:]
FILES_COLUMNS = ["view", "hash", "size", "sha256"]
SOURCES_COLUMNS = [
    "path", "label", "size", "mtime_ns", "hash", "status", "reason",
    "width", "height", "source_width", "source_height", "taken", "look",
]
SKIPPED_COLUMNS = ["path", "label", "reason"]
CONFLICT_COLUMNS = ["hash", "kind", "kept_label", "kept_path", "other_label", "other_path"]
#: corrections.csv: a photo, the label the user gave it, and the folder or table it came from.
CORRECTIONS_COLUMNS = ["path", "label", "source"]
_PATH_COLUMNS = ["original", "path", "kept_path", "other_path", "source"]
_INTEGER_COLUMNS = ["width", "height", "source_width", "source_height", "size", "mtime_ns"]
_HASH = re.compile(r"^[0-9a-f]{64}$")
_VIEW_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_TAKEN = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})?$")
_INDEX_SAVE_SECONDS = 5.0
MAX_WIDTH = 16384


def view_file(digest: str, view: str, info: dict) -> str:
    """Relative path of a photo's file for `view`: views/<view>/<hh>/<hash>.<extension>."""
    spec = info["views"][view]
    return f"views/{view}/{digest[:2]}/{digest}.{ENCODINGS[spec['encoding']]}"


def cached_name(digest: str, view: str = OVERVIEW) -> str:
    """Relative path of a photo's cached overview (JPEG views): views/<view>/<hh>/<hash>.jpg."""
    return f"views/{view}/{digest[:2]}/{digest}.jpg"


# ---- views: how each declared view is made ---------------------------------------------------


def _make_resized(data: bytes, spec: dict, opened=None):
    """The overview: the upright photo resized to `width` px wide, aspect kept."""
    width = int(spec["width"])
    photo = opened if opened is not None and opened.image.width == width else open_photo(data, width)
    return photo.image


#: How each kind of view is made: name of `make` in cache.json -> function(source bytes, spec,
#: opened photo at the overview's width) returning a PIL image. A new view registers its maker
#: here (the detail view's patches: detail.py).
VIEW_MAKERS = {"resize": _make_resized, "patches": make_patches}


def encode_view(image, spec: dict) -> bytes:
    """A view's image as the bytes of its file, in the view's declared encoding."""
    buffer = io.BytesIO()
    if spec["encoding"] == "jpeg":
        options = save_options(spec) if "subsampling" in spec else {"quality": int(spec.get("quality", 95))}
        image.save(buffer, "JPEG", **options)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def view_bytes(data: bytes, spec: dict, opened) -> bytes:
    """The bytes of a photo's file for a view: made from the source bytes `data` (and the
    photo `opened` at the overview's width) and encoded as the view declares."""
    return encode_view(VIEW_MAKERS[spec["make"]](data, spec, opened), spec)


def cached_view_pixels(data: bytes, spec: dict, opened) -> np.ndarray:
    """A view's pixels exactly as a reader of the cache gets them (made, encoded, decoded):
    scoring feeds new photos to a model through this, so they are seen as training photos were.
    The detail view comes as (patches, size, size, 3), other views as (height, width, 3)."""
    from PIL import Image

    with Image.open(io.BytesIO(view_bytes(data, spec, opened))) as image:
        pixels = np.asarray(image.convert("RGB"))
    return split_patches(pixels, spec) if spec["make"] == "patches" else pixels


def source_view_pixels(data: bytes, specs: dict, views) -> list[np.ndarray]:
    """The pixels of each of `views` (declared as in `specs`) of a source photo's bytes, as a
    reader of the cache would get them: what scoring and explanations feed a model."""
    return source_views(data, specs, views)[0]


def source_views(data: bytes, specs: dict, views) -> tuple[list[np.ndarray], dict]:
    """(source_view_pixels, the photo's manifest facts that the booster's scenes need: taken
    and look, as the cache records them)."""
    opened = open_photo(data, int(specs[OVERVIEW]["width"]))
    pixels = [cached_view_pixels(data, specs[view], opened) for view in views]
    return pixels, {"taken": opened.taken, "look": look_hash(opened.image),
                    "megapixels": opened.source_width * opened.source_height / 1e6}


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
        return split_patches(pixels, spec) if spec.get("make") == "patches" else pixels

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


# ---- reading and checking the format ---------------------------------------------------------


def cache_folder(folder) -> Path:
    """`folder` when it holds a cache.json; the one-line error otherwise (also what the command
    line checks before it imports TensorFlow)."""
    folder = Path(folder)
    if not (folder / "cache.json").exists():
        if folder.is_file():
            raise PhotoqError(f"Expected a cache folder, got a file: {folder}")
        raise PhotoqError(f"No photoq cache at {folder}: cache.json not found (build one with build_cache)")
    return folder


def read_info(folder: Path) -> dict:
    """cache.json, checked, with a version-1 declaration brought to the version-2 shape.

    `stored_version` says what the folder holds on disk.
    """
    info_file = cache_folder(folder) / "cache.json"
    try:
        info = json.loads(info_file.read_bytes())
    except (OSError, ValueError) as err:
        raise PhotoqError(f"{info_file} cannot be read as JSON: {err}") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT_NAME:
        found = info.get("format") if isinstance(info, dict) else type(info).__name__
        raise PhotoqError(f"{info_file} is not a photoq cache (format {found!r}, expected {FORMAT_NAME!r})")
    version = info.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise PhotoqError(f"{info_file}: version must be a whole number >= 1, got {version!r}")
    if version > FORMAT_VERSION:
        raise PhotoqError(
            f"{info_file} is a photoq cache of format version {version}; this pyphotoq reads "
            f"versions <= {FORMAT_VERSION}: upgrade pyphotoq"
        )
    problem = _info_problem(info, version)
    if problem:
        raise PhotoqError(f"{info_file}: {problem}")
    info = json.loads(json.dumps(info))  # a copy
    if version == 1:
        for spec in info["views"].values():
            spec.setdefault("make", "resize")
            spec.setdefault("encoding", spec.pop("format", "jpeg"))
        info["version"] = FORMAT_VERSION
    info["stored_version"] = version
    return info


def _whole(value, low, high) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _info_problem(info: dict, version: int) -> str | None:
    """What is wrong with a parsed cache.json, or None."""
    if not isinstance(info.get("id"), str) or not re.match(r"^[A-Za-z0-9_-]{1,64}$", info["id"]):
        return f"id must be a string of letters, digits, '-' or '_', got {info.get('id')!r}"
    views = info.get("views")
    if not isinstance(views, dict) or OVERVIEW not in views:
        return f"views must declare the {OVERVIEW!r} view, got {views!r}"
    for name, spec in views.items():
        if not _VIEW_NAME.match(str(name)):
            return f"view name {name!r} must be lower-case letters, digits, '-' or '_'"
        if not isinstance(spec, dict):
            return f"view {name!r} must be an object, got {spec!r}"
        encoding = spec.get("format" if version == 1 else "encoding", "jpeg" if version == 1 else None)
        if encoding not in ENCODINGS:
            return f"view {name!r}: encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}"
        if version > 1 and not isinstance(spec.get("make"), str):
            return f"view {name!r}: make must name how the view is made, got {spec.get('make')!r}"
        if "width" in spec and not _whole(spec["width"], 64, MAX_WIDTH):
            return f"view {name!r}: width must be a whole number from 64 to {MAX_WIDTH}, got {spec['width']!r}"
        if "quality" in spec and not _whole(spec["quality"], 1, 100):
            return f"view {name!r}: quality must be a whole number from 1 to 100, got {spec['quality']!r}"
        if spec.get("make") == "patches":
            problem = detail_spec_problem(spec)
            if problem:
                return f"view {name!r}: {problem}"
    if "width" not in views[OVERVIEW]:
        return f"view {OVERVIEW!r} needs its width"
    classes = info.get("classes")
    if (
        not isinstance(classes, dict)
        or not all(isinstance(classes.get(k), str) and classes.get(k) for k in ("positive", "negative"))
        or classes["positive"] == classes["negative"]
    ):
        return f"classes must name two different classes, positive and negative, got {classes!r}"
    split = info.get("split")
    if not isinstance(split, dict) or split.get("method") not in SPLIT_METHODS:
        return f"split.method must be one of {', '.join(SPLIT_METHODS)}, got {split!r}"
    fractions = split.get("fractions")
    if (
        not isinstance(fractions, list) or len(fractions) != 3
        or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and 0 <= f <= 1 for f in fractions)
        or abs(sum(fractions) - 1) > 1e-6
    ):
        return f"split.fractions must be three shares summing to 1, got {fractions!r}"
    seconds = split.get("burst_seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        return f"split.burst_seconds must be a number >= 0, got {seconds!r}"
    return None


def read_manifest(folder: Path, info: dict) -> pd.DataFrame:
    """manifest.csv, every row checked, with `cached` (the overview file) derived from the hash."""
    version = info["stored_version"]
    path = folder / "manifest.csv"
    manifest = _read_table(path, MANIFEST_COLUMNS, version)
    labels = {info["classes"]["positive"], info["classes"]["negative"]}
    checks = [
        ("hash", lambda v: bool(_HASH.match(v)), "is not a SHA-256 (64 hex digits)"),
        ("label", lambda v: v in labels, f"is not one of the classes {sorted(labels)}"),
        ("split", lambda v: v in SPLITS, f"is not one of {', '.join(SPLITS)}"),
        ("group", lambda v: bool(_HASH.match(v)), "is not a SHA-256 (64 hex digits)"),
        ("original", lambda v: v != "", "is empty"),
        ("taken", lambda v: bool(_TAKEN.match(v)), "is not a time YYYY-MM-DD HH:MM:SS"),
    ]
    for column, ok, reason in checks:
        _check_column(path, manifest, column, ok, reason)
    for column in ("width", "height", "source_width", "source_height"):
        _check_column(path, manifest, column, lambda v: v > 0, "is not a positive whole number")
    duplicated = manifest["hash"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0])
        raise PhotoqError(f"{path} row {row + 1}, column hash: {manifest['hash'][row]} appears twice")
    derived = [view_file(h, OVERVIEW, info) for h in manifest["hash"]]
    if "cached" in manifest.columns:  # version 1: must follow the rule (never a path elsewhere)
        _check_column(
            path, manifest.assign(_rule=derived), "cached",
            None, "is not the overview file of the row's hash (views/overview/<hh>/<hash>.jpg)",
            pairs=lambda frame: frame["cached"] == frame["_rule"],
        )
    manifest["cached"] = derived
    return manifest[MANIFEST_V1_COLUMNS].reset_index(drop=True)


def _check_column(path, frame, column, ok, reason, pairs=None) -> None:
    """PhotoqError naming the file, row and column of the first value that fails `ok`."""
    good = pairs(frame) if pairs is not None else frame[column].map(ok)
    if not bool(good.all()):
        row = int((~good.astype(bool)).to_numpy().nonzero()[0][0])
        value = frame[column].iloc[row]
        raise PhotoqError(f"{path} row {row + 1}, column {column}: {str(value)[:80]!r} {reason}")


# ---- building -----------------------------------------------------------------------------


def build_cache(
    photos,
    cache,
    width: int = 480,
    positive: str = "good",
    negative: str = "bad",
    split_method: str = "scene",
    split_fractions=(0.8, 0.1, 0.1),
    burst_seconds: float | None = None,
    quality: int = 95,
    workers: int | None = None,
    wait: float = 0,
    progress: bool | None = None,
    verbose: bool = True,
    verify: str = "quick",
    detail: bool = True,
    client=None,
    labels=None,
    good: str = DEFAULT_GOOD,
    bad: str = DEFAULT_BAD,
) -> Cache:
    """Resize every photo once to `width` pixels wide into the cache folder `cache`.

    `photos` is a folder with `positive`/`negative` subfolders or a CSV of path,label; or, with
    `labels`, the folder of your photos, labelled by the ratings you gave them (pyphotoq.ratings):
    `labels="xmp"` reads XMP sidecars (and the XMP embedded in photos without one), a path to a
    darktable `library.db`, digiKam `digikam4.db` or Lightroom Classic `.lrcat` reads that
    catalogue, strictly read-only. `good` and `bad` are the rules (e.g. "rating>=4, accepted" and
    "rejected"); photos neither rule labels are left out, and the summary says how many. Where
    each label came from is kept in the cache's labels.csv.
    Incremental: known files are not read again, new ones are added, vanished ones dropped.
    Every cached file is checked (`verify="quick"`: present, its recorded size, and its
    checksum when its time stamp changed; `"full"`: every checksum); a missing or damaged one
    is made again and reported. A version-1 cache is upgraded in place.
    `detail` also keeps the detail view: a few native-resolution patches per photo (detail.py),
    which the default recipe's second branch looks at; declaring it on an existing cache makes
    only the patches (the overviews are kept). `detail=False` never removes a declared view.
    `wait` is how many seconds to wait for another build holding the cache.
    `progress` shows a progress bar (None: only on a terminal).
    `client` builds on a Dask cluster (a distributed.Client, a scheduler address or "local:N";
    see pyphotoq.cluster): the workers make the view files, which they must see at the cache's
    path; this process writes the tables, and the manifest is the one a local build makes.
    """
    from .errors import check_number, check_whole

    folder = Path(cache).expanduser().resolve()
    if split_method not in SPLIT_METHODS:
        raise PhotoqError(f"split_method must be one of {', '.join(SPLIT_METHODS)}, got {split_method!r}")
    if not isinstance(detail, (bool, np.bool_)):
        raise PhotoqError(f"detail must be TRUE or FALSE, got {detail!r}")
    if verify not in ("quick", "full"):
        raise PhotoqError(f"verify must be 'quick' or 'full', got {verify!r}")
    width = check_whole(width, "width", 64)
    if width > MAX_WIDTH:
        raise PhotoqError(f"width must be at most {MAX_WIDTH} px, got {width}")
    quality = check_whole(quality, "quality", 1)
    if quality > 100:
        raise PhotoqError(f"quality must be from 1 to 100, got {quality}")
    if burst_seconds is None:
        burst_seconds = DEFAULT_SECONDS[split_method]
    burst_seconds = check_number(burst_seconds, "burst_seconds", low=0)
    wait = check_number(wait, "wait", low=0)
    if workers is not None:
        workers = check_whole(workers, "workers", 1)
    if folder.exists() and not folder.is_dir():
        raise PhotoqError(f"The cache must be a folder, but {folder} is a file")
    started = time.monotonic()
    # photoq cache and run folders below the photos are never read as photos (sources.py)
    if labels is None or labels == "folders":
        listing = labelled_photos(photos, positive, negative)
    else:
        listing = rated_photos(photos, _label_source(labels), good, bad, positive, negative)
    _check_outside(folder, listing)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder, wait):
        _remove_stale_temporaries(folder)
        info = _load_or_create_info(
            folder, width, positive, negative, split_method,
            check_fractions(split_fractions), burst_seconds, quality,
        )
        if detail and DETAIL not in info["views"]:
            info["views"][DETAIL] = dict(DETAIL_SPEC)  # written with the rest at the end
        _record_labels(folder, listing.attrs.get("labels"))
        cache_handle = _update(folder, info, _with_corrections(listing, folder), photos, started,
                               workers, progress, verify, client)
    if verbose:
        print(cache_handle.summary)
    return cache_handle


def _label_source(labels) -> str:
    """"xmp", or the catalogue file `labels` names (checked to exist), as a string."""
    if isinstance(labels, str) and labels.strip().lower() == "xmp":
        return "xmp"
    if not isinstance(labels, (str, os.PathLike)):
        raise PhotoqError(f"labels must be 'folders', 'xmp' or a catalogue file, got {labels!r}")
    path = Path(labels).expanduser()
    if not path.is_file():
        raise PhotoqError(f"labels: {path} {'is not a file' if path.exists() else 'was not found'}; expected "
                          "'xmp', or a darktable library.db, digiKam digikam4.db or Lightroom .lrcat file")
    return str(path.resolve())


def _record_labels(folder: Path, table) -> None:
    """labels.csv: where each label from ratings came from; removed when labels come from folders."""
    path = folder / "labels.csv"
    if table is None:
        if path.exists():
            path.unlink()
        return
    _write_table(path, table.astype({"rating": "string"}).fillna(""), FORMAT_VERSION)


def _check_outside(folder: Path, listing: pd.DataFrame) -> None:
    prefix = str(folder) + os.sep
    held = [p for p in listing["path"] if str(p).startswith(prefix)]
    if held:
        raise PhotoqError(
            f"The cache folder {folder} holds photos to cache (e.g. {printable(held[0])}): "
            "choose a new or empty folder for the cache"
        )


def _update(folder: Path, info: dict, listing: pd.DataFrame, photos, started: float, workers, progress,
            verify: str, client=None) -> Cache:
    """Bring the cache (locked by the caller) to `listing`: cache what is new, write the tables."""
    builder = _Builder(folder, info, workers, progress, verify)
    if client is not None:
        from .cluster import dask_client

        builder.client = dask_client(client)
    sources = builder.update_sources(listing)
    sources.attrs["pairs"] = listing.attrs.get("pairs", pd.DataFrame(columns=["used", "other"]))
    sources.attrs["label_lines"] = listing.attrs.get("lines", [])
    return _finish(folder, info, sources, started, photos, builder)


# ---- corrections: photos a user sorted after culling -----------------------------------------


def read_corrections(folder) -> pd.DataFrame:
    """corrections.csv of a cache folder (path, label, source); empty when there is none.

    Checked as the manifest is: every label one of the cache's classes, every path absolute (never
    read against the current folder) and outside any photoq cache or run folder; a damaged row is
    a PhotoqError naming the file, row and column."""
    folder = Path(folder)
    path = folder / "corrections.csv"
    table = _read_table(path, CORRECTIONS_COLUMNS, FORMAT_VERSION)
    if table.empty:
        return table
    classes = read_info(folder)["classes"]
    labels = (classes["positive"], classes["negative"])
    fix = f"; fix the row, or delete {path} to take the corrections back"
    held = _photoq_folder_test()
    for row, (photo, label) in enumerate(zip(table["path"], table["label"]), 1):
        if label not in labels:
            raise PhotoqError(f"{path} row {row}, column label: {label[:40]!r} is not one of the cache's classes "
                              f"({', '.join(labels)}){fix}")
        if not os.path.isabs(photo) or "\x00" in photo:
            raise PhotoqError(f"{path} row {row}, column path: {printable(photo)[:80]!r} is not an absolute path "
                              f"(photoq writes absolute ones){fix}")
        if is_inside(folder, photo) or held(os.path.dirname(photo)):
            raise PhotoqError(f"{path} row {row}, column path: {printable(photo)[:80]} is inside a photoq cache or "
                              f"run folder, never a photo to learn from{fix}")
    return table


def _photoq_folder_test():
    """A test of whether a folder is, or lies in, a photoq cache or run folder (remembered per folder)."""
    from functools import lru_cache

    from .sources import is_photoq_folder

    @lru_cache(maxsize=4096)
    def held(folder: str) -> bool:
        parent = os.path.dirname(folder)
        return is_photoq_folder(folder) or (parent != folder and held(parent))

    return held


def _with_corrections(listing: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """`listing` with the cache's corrections: their labels win for the same path, and the
    corrected photos not in `listing` are added while their files exist."""
    corrections = read_corrections(folder)
    if corrections.empty:
        return listing
    present = corrections[np.array([os.path.lexists(p) for p in corrections["path"]], dtype=bool)]
    merged = pd.concat(
        [listing[~listing["path"].isin(set(corrections["path"]))], present[["path", "label"]]],
        ignore_index=True,
    )
    merged.attrs = listing.attrs
    return merged


def add_corrections(cache, listing: pd.DataFrame, source, wait: float = 0, progress: bool | None = None,
                    workers: int | None = None) -> Cache:
    """Record the photos of `listing` (path, label), sorted by the user from `source` (a folder or
    a table), as corrections of the cache, and cache them.

    What was learned from the same `source` before is replaced (a photo moved again, or out of the
    folder, is taken as it is now), and corrections whose files are gone are dropped. Corrected photos new to the cache join the training split; a
    photo already cached keeps its split and takes the corrected label. Every later build_cache
    keeps the corrections (corrections.csv). Returns the updated cache, with its build summary.
    """
    handle = cache if isinstance(cache, Cache) else open_cache(cache)
    folder = handle.path
    source = str(Path(source).expanduser().resolve())
    labels = {handle.positive, handle.info["classes"]["negative"]}
    unknown = sorted(set(listing["label"]) - labels)
    if unknown:
        raise PhotoqError(f"Corrections with labels the cache {folder} does not have: {', '.join(unknown[:5])}")
    _check_outside(folder, listing)
    started = time.monotonic()
    with _locked(folder, wait):
        _remove_stale_temporaries(folder)
        info = read_info(folder)
        old = read_corrections(folder)
        kept = old[old["source"] != source]
        fresh = listing[["path", "label"]].drop_duplicates("path", keep="last").assign(source=source)
        kept = kept[np.array([os.path.lexists(p) for p in kept["path"]], dtype=bool)]  # files gone since
        corrections = pd.concat([kept[~kept["path"].isin(set(fresh["path"]))], fresh], ignore_index=True)
        corrections = corrections[CORRECTIONS_COLUMNS].sort_values(["source", "path"]).reset_index(drop=True)
        _write_table(folder / "corrections.csv", corrections, FORMAT_VERSION)
        # The cache's own listing: its sources index (with every cached photo, should the index be
        # damaged), less the photos corrected before and the files gone since.
        known = _read_table(folder / "sources.csv", SOURCES_COLUMNS, int(info["stored_version"]), tolerant=True)
        cached = handle.manifest.rename(columns={"original": "path"})
        known = pd.concat([known[["path", "label"]], cached.loc[~cached["path"].isin(set(known["path"])),
                                                                 ["path", "label"]]], ignore_index=True)
        exists = np.array([os.path.lexists(p) for p in known["path"]], dtype=bool)
        base = known[~known["path"].isin(set(old["path"])).to_numpy() & exists].reset_index(drop=True)
        updated = _update(folder, info, _with_corrections(base, folder), source, started, workers, progress, "quick")
    return updated


class _Builder:
    """Brings the sources index up to date, making every declared view with a pool of threads,
    and checks every cached file it keeps."""

    def __init__(self, folder: Path, info: dict, workers, progress, verify: str = "quick"):
        self.folder = folder
        self.info = info
        self.version = info["stored_version"]
        self.views = info["views"]
        for name, spec in self.views.items():
            if spec["make"] not in VIEW_MAKERS:
                raise PhotoqError(
                    f"The cache {folder} declares the view {name!r} made by {spec['make']!r}, which "
                    "this pyphotoq cannot make: upgrade pyphotoq"
                )
        self.width = int(self.views[OVERVIEW]["width"])
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self.verify = verify
        self.known_by_hash: dict[str, dict] = {}  # ok rows of the last index, by content hash
        self.files: dict[tuple[str, str], dict] = {}
        for row in _read_table(folder / "files.csv", FILES_COLUMNS + ["mtime_ns"], FORMAT_VERSION,
                               tolerant=True).to_dict("records"):
            if row["view"] in self.views and _HASH.match(row["hash"]):
                self.files[(row["view"], row["hash"])] = row
        self.checked: set[tuple[str, str]] = set()
        self.repaired: dict[str, str] = {}
        self.lock = threading.Lock()
        self.client = None  # a distributed.Client: the photos are cached by its workers

    def load_known(self) -> list[dict]:
        """The rows of the last sources index; remembers the usable ones by content hash."""
        records = _read_table(self.folder / "sources.csv", SOURCES_COLUMNS, self.version, tolerant=True).to_dict("records")
        self.known_by_hash = {
            row["hash"]: row for row in records if row["status"] == "ok" and _HASH.match(row["hash"])
        }
        return records

    # -- the sources index
    def update_sources(self, listing: pd.DataFrame) -> pd.DataFrame:
        records = self.load_known()
        known_by_path = {row["path"]: row for row in records}
        rows: dict[str, dict] = {}
        todo: list[tuple[str, str, int, int]] = []
        reused: list[tuple[str, str, int, int]] = []
        for path, label in listing.itertuples(index=False):
            try:
                stat = os.stat(path)
            except OSError as err:
                rows[path] = _skipped_row(path, label, 0, 0, f"cannot read: {err.strerror or err}")
                continue
            previous = known_by_path.get(path)
            if (
                previous is not None
                and int(previous["size"]) == stat.st_size
                and int(previous["mtime_ns"]) == stat.st_mtime_ns
                # a file that could not be read is tried again: chmod fixes it without a new mtime
                and not str(previous["reason"]).startswith("cannot read")
                and (previous["status"] != "ok" or _HASH.match(previous["hash"]))
            ):
                rows[path] = {**previous, "label": label}
                if previous["status"] == "ok":
                    reused.append((path, label, stat.st_size, stat.st_mtime_ns))
            else:
                todo.append((path, label, stat.st_size, stat.st_mtime_ns))
        # Every file of a known photo is checked; a photo with a missing or damaged one is redone.
        hashes = sorted({rows[job[0]]["hash"] for job in reused})
        with ThreadPoolExecutor(self.workers) as pool:
            whole = dict(zip(hashes, pool.map(self._all_views_ok, hashes)))
        redo = {h for h, ok in whole.items() if not ok}
        if redo:
            done: set[str] = set()
            for job in reused:
                digest = rows[job[0]]["hash"]
                if digest in redo and digest not in done:
                    todo.append(job)
                    done.add(digest)
        if todo:
            self._cache_images(todo, rows)
        return pd.DataFrame([rows[p] for p in listing["path"] if p in rows], columns=SOURCES_COLUMNS)

    def _cache_images(self, todo, rows: dict) -> None:
        last_save = time.monotonic()
        bar = tqdm(total=len(todo), desc="Caching photos", unit="photo", disable=self._bar_off())

        def done(row):
            nonlocal last_save
            rows[row["path"]] = row
            bar.update()
            if time.monotonic() - last_save > _INDEX_SAVE_SECONDS:
                self._save_index(rows)
                last_save = time.monotonic()

        if self.client is not None:
            self._cache_on_cluster(todo, done)
        else:
            with ThreadPoolExecutor(self.workers) as pool:
                for row in pool.map(self._cache_one, todo):
                    done(row)
        bar.close()  # _finish writes the complete index

    def _cache_on_cluster(self, todo, done) -> None:
        """Chunks of photos cached by the client's workers (cluster.build_chunk); their view
        files are recorded here as they arrive, as the local pool records them."""
        import uuid

        import distributed

        from .cluster import BUILD_CHUNK, build_chunk, chunk_size

        token = uuid.uuid4().hex
        size = chunk_size(self.client, len(todo), BUILD_CHUNK)
        chunks = [todo[start : start + size] for start in range(0, len(todo), size)]
        futures = [self.client.submit(build_chunk, str(self.folder), self.info, self.verify, token, chunk,
                                      pure=False) for chunk in chunks]
        try:
            for future in distributed.as_completed(futures):
                for result in future.result():
                    with self.lock:
                        for entry in result["entries"]:
                            key = (entry["view"], entry["hash"])
                            self.files[key] = entry
                            self.checked.add(key)
                        for relative, problem in result["repaired"].items():
                            self.repaired.setdefault(relative, problem)
                    done(result["row"])
        finally:
            self.client.cancel(futures)

    def _bar_off(self):
        return None if self.progress is None else not self.progress

    def _save_index(self, rows: dict) -> None:
        _write_table(self.folder / "files.csv", self.files_table(None), FORMAT_VERSION)
        _write_table(self.folder / "sources.csv", pd.DataFrame(list(rows.values()), columns=SOURCES_COLUMNS),
                     FORMAT_VERSION)

    # -- the cached files
    def files_table(self, hashes) -> pd.DataFrame:
        with self.lock:
            entries = [e for key, e in self.files.items() if hashes is None or key[1] in hashes]
        frame = pd.DataFrame(entries, columns=FILES_COLUMNS + ["mtime_ns"])
        return frame.sort_values(["view", "hash"]).reset_index(drop=True)

    def _all_views_ok(self, digest: str) -> bool:
        return all(self._file_problem(view, digest) is None for view in self.views)

    def _file_problem(self, view: str, digest: str) -> str | None:
        """None when the cached file of (view, digest) is whole; else what is wrong (recorded)."""
        key = (view, digest)
        with self.lock:
            if key in self.checked:
                return None
            entry = self.files.get(key)
        relative = view_file(digest, view, self.info)
        path = self.folder / relative
        problem = None
        try:
            stat = os.lstat(path)
        except FileNotFoundError:
            problem = "missing"
        except OSError as err:
            problem = f"cannot be read: {err.strerror or err}"
        else:
            import stat as stat_module

            if not stat_module.S_ISREG(stat.st_mode):
                problem = "not a plain file (a link or a folder)"
            elif entry is None:
                problem = self._record_unknown(key, path, stat)  # version 1, or a killed build
            elif stat.st_size != int(entry["size"]):
                problem = f"truncated or changed: {stat.st_size} bytes, {entry['size']} recorded"
            elif self.verify == "full" or stat.st_mtime_ns != int(entry["mtime_ns"] or 0):
                data = _read_bytes(path)
                if data is None or hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    problem = "damaged: its checksum differs from the one recorded"
                else:
                    with self.lock:
                        self.files[key] = {**entry, "mtime_ns": stat.st_mtime_ns}
        with self.lock:
            if problem is None:
                self.checked.add(key)
            elif digest in self.known_by_hash and (
                problem != "missing" or entry is not None or view == OVERVIEW
            ):  # damage to a file the cache had (a newly declared view's files are just made)
                self.repaired.setdefault(relative, problem)
        return problem

    def _record_unknown(self, key, path: Path, stat) -> str | None:
        """A file without a recorded checksum: kept (and recorded) when it decodes whole."""
        from PIL import Image

        data = _read_bytes(path)
        if data is None:
            return "cannot be read"
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
        except Exception:  # noqa: BLE001 (any decoding failure means damaged)
            return "damaged: it cannot be decoded"
        with self.lock:
            self.files[key] = {"view": key[0], "hash": key[1], "size": len(data),
                               "sha256": hashlib.sha256(data).hexdigest(), "mtime_ns": stat.st_mtime_ns}
        return None

    def _write_view(self, view: str, digest: str, data: bytes) -> None:
        relative = view_file(digest, view, self.info)
        target = own_folder(self.folder, Path(relative).parent) / Path(relative).name
        _write_file(target, data, root=self.folder)
        stat = os.stat(target)
        with self.lock:
            self.files[(view, digest)] = {"view": view, "hash": digest, "size": len(data),
                                          "sha256": hashlib.sha256(data).hexdigest(),
                                          "mtime_ns": stat.st_mtime_ns}
            self.checked.add((view, digest))

    def _cache_one(self, job) -> dict:
        path, label, size, mtime_ns = job
        try:
            data = read_photo_bytes(path)
        except UnusablePhoto as err:
            return _skipped_row(path, label, size, mtime_ns, str(err))
        digest = hashlib.sha256(data).hexdigest()
        seen = self.known_by_hash.get(digest)
        missing = [view for view in self.views if self._file_problem(view, digest) is not None]
        if seen is not None and not missing:  # renamed, touched or copied: no image work
            return {**seen, "path": path, "label": label, "size": size, "mtime_ns": mtime_ns}
        try:
            photo = open_photo(data, self.width)
            for view in missing:
                spec = self.views[view]
                self._write_view(view, digest, view_bytes(data, spec, photo))
        except UnusablePhoto as err:
            return _skipped_row(path, label, size, mtime_ns, str(err), digest)
        width, height = photo.image.size
        return {
            "path": path, "label": label, "size": size, "mtime_ns": mtime_ns, "hash": digest,
            "status": "ok", "reason": "", "width": width, "height": height,
            "source_width": photo.source_width, "source_height": photo.source_height,
            "taken": photo.taken, "look": look_hash(photo.image),
        }


def _read_bytes(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _skipped_row(path, label, size, mtime_ns, reason, digest="") -> dict:
    return {
        "path": path, "label": label, "size": size, "mtime_ns": mtime_ns, "hash": digest,
        "status": "skipped", "reason": reason, "width": 0, "height": 0,
        "source_width": 0, "source_height": 0, "taken": "", "look": "",
    }


def _finish(folder: Path, info: dict, sources: pd.DataFrame, started: float, photos, builder) -> Cache:
    """Derive manifest, files, skipped and conflicts tables from the sources index and write them."""
    version = info["stored_version"]
    try:
        previous = read_manifest(folder, info) if (folder / "manifest.csv").exists() else None
    except PhotoqError:
        previous = None  # a damaged manifest is rebuilt from the sources index
    if previous is None:
        previous = pd.DataFrame(columns=MANIFEST_COLUMNS)
    positive = info["classes"]["positive"]
    usable = sources[sources["status"] == "ok"]
    skipped = sources.loc[sources["status"] != "ok", SKIPPED_COLUMNS].reset_index(drop=True)
    corrected = set(read_corrections(folder)["path"])
    # Per hash, the kept copy is a corrected one (a user's correction relabels that content), else
    # the first path among the positive-labelled ones, else the first.
    ordered = usable.assign(_uncorrected=~usable["path"].isin(corrected), _negative=usable["label"] != positive)
    ordered = ordered.sort_values(["hash", "_uncorrected", "_negative", "path"])
    first = ~ordered["hash"].duplicated()
    kept = ordered[first]
    manifest = kept.assign(original=kept["path"])[
        [c for c in MANIFEST_COLUMNS if c not in ("split", "group")]
    ].reset_index(drop=True)
    others = ordered[~first]
    kept_by_hash = kept.set_index("hash")
    conflicts_table = pd.DataFrame({
        "hash": others["hash"],
        "kind": "duplicate",
        "kept_label": others["hash"].map(kept_by_hash["label"]),
        "kept_path": others["hash"].map(kept_by_hash["path"]),
        "other_label": others["label"],
        "other_path": others["path"],
    }, columns=CONFLICT_COLUMNS)
    conflicts_table.loc[conflicts_table["kept_label"] != conflicts_table["other_label"], "kind"] = "label conflict"
    conflicts_table = conflicts_table.sort_values(["hash", "other_path"]).reset_index(drop=True)
    split = info["split"]
    assigned = dict(zip(previous["hash"], previous["split"]))
    for path, digest in zip(usable["path"], usable["hash"]):
        if path in corrected:
            assigned.setdefault(digest, "train")  # a correction new to the cache teaches
    manifest = assign_splits(
        manifest, assigned,
        split["method"], split["fractions"], split["burst_seconds"],
    )
    manifest = manifest[MANIFEST_COLUMNS].sort_values("original").reset_index(drop=True)
    if manifest.empty:
        raise PhotoqError(
            f"No usable photos in {photos}: all {len(sources)} files were skipped"
            + (f" (first: {printable(skipped.iloc[0]['path'])}: {skipped.iloc[0]['reason']})" if len(skipped) else "")
        )
    current, before = set(manifest["hash"]), set(previous["hash"])
    for digest in current:  # every kept photo's files were checked or written this build
        if not builder._all_views_ok(digest):
            raise PhotoqError(f"The cached files of {digest} could not be made in {folder}")
    # files.csv first, cache.json last: a build killed in between is finished by the next one.
    _write_table(folder / "files.csv", builder.files_table(current)[FILES_COLUMNS + ["mtime_ns"]], FORMAT_VERSION)
    _write_table(folder / "manifest.csv", manifest, FORMAT_VERSION)
    _write_table(folder / "skipped.csv", skipped, FORMAT_VERSION)
    _write_table(folder / "conflicts.csv", conflicts_table, FORMAT_VERSION)
    _write_table(folder / "sources.csv", sources, FORMAT_VERSION)
    if version < FORMAT_VERSION or _declared_views(folder) != info["views"]:
        _write_info(folder, info)  # an upgrade, or a newly declared view: now complete
    _remove_orphans(folder, info, current)
    repaired = pd.DataFrame(sorted(builder.repaired.items()), columns=["file", "reason"])
    summary = BuildSummary(
        photos=len(manifest), added=len(current - before), reused=len(current & before),
        removed=len(before - current), skipped=skipped, conflicts=conflicts_table,
        seconds=time.monotonic() - started, repaired=repaired,
        upgraded_from=version if version < FORMAT_VERSION else None,
        pairs=sources.attrs.get("pairs", pd.DataFrame(columns=["used", "other"])),
        splits=split_counts(manifest), labels=list(sources.attrs.get("label_lines", [])),
    )
    cache = open_cache(folder)
    cache.summary = summary
    return cache


def _declared_views(folder: Path):
    try:
        return json.loads((folder / "cache.json").read_text(encoding="utf-8")).get("views")
    except (OSError, ValueError):
        return None


def _write_info(folder: Path, info: dict) -> None:
    stored = {k: v for k, v in info.items() if k != "stored_version"}
    stored["version"] = FORMAT_VERSION
    write_atomic(folder / "cache.json", json.dumps(stored, indent=2) + "\n")
    info["stored_version"] = FORMAT_VERSION


def _load_or_create_info(folder, width, positive, negative, method, fractions, burst_seconds, quality) -> dict:
    info_file = folder / "cache.json"
    if info_file.exists():
        info = read_info(folder)
        existing = int(info["views"][OVERVIEW]["width"])
        if existing != width:
            raise PhotoqError(
                f"The cache {folder} holds {existing} px wide images; asked for {width}. "
                "Use another cache folder for another width."
            )
        if info["classes"] != {"positive": positive, "negative": negative}:
            raise PhotoqError(
                f"The cache {folder} was built with classes {info['classes']}; "
                f"asked for positive={positive!r}, negative={negative!r}"
            )
        return info
    info = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "id": uuid.uuid4().hex,
        "created_by": f"pyphotoq {__version__}",
        "view_files": VIEW_FILE_RULE,
        "views": {
            OVERVIEW: {"make": "resize", "width": width, "encoding": "jpeg", "quality": int(quality)},
        },
        "classes": {"positive": positive, "negative": negative},
        "split": {"method": method, "fractions": list(fractions), "burst_seconds": float(burst_seconds)},
    }
    info["stored_version"] = 0
    _write_info(folder, info)
    return info


@contextmanager
def _locked(folder: Path, wait: float):
    """Hold the cache's build lock, waiting up to `wait` seconds for another build."""
    lock_file = folder / ".lock"
    if lock_file.is_symlink():
        raise PhotoqError(f"Refused {lock_file}: a link (the cache's lock must be a plain file)")
    with open(lock_file, "a+") as handle:
        deadline = time.monotonic() + float(wait)
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CacheBusy(
                        f"Another build is writing to the cache {folder}; wait for it to finish "
                        "(or pass wait= seconds to wait for it)"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale_temporaries(folder: Path) -> None:
    for current, _dirs, names in os.walk(folder):  # links to folders are not followed
        for name in names:
            if name.endswith(".tmp"):
                try:
                    os.unlink(os.path.join(current, name))
                except OSError:
                    pass


def _remove_orphans(folder: Path, info: dict, keep: set[str]) -> None:
    for view, spec in info["views"].items():
        base = folder / "views" / view
        if not base.is_dir() or base.is_symlink():
            continue
        suffix = "." + ENCODINGS[spec["encoding"]]
        for current, _dirs, names in os.walk(base):
            for name in names:
                if name.endswith(suffix) and name[: -len(suffix)] not in keep:
                    try:
                        os.unlink(os.path.join(current, name))
                    except OSError:
                        pass


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a fresh temporary file, fsync, rename, fsync the folder."""
    _write_file(path, text, root=Path(path).parent)


def _write_table(path: Path, frame: pd.DataFrame, version: int = FORMAT_VERSION) -> None:
    """Write a table atomically (file names encoded), unless the file already holds this text."""
    frame = frame.copy()
    if version >= 2:
        for column in _PATH_COLUMNS:
            if column in frame.columns:
                frame[column] = frame[column].map(lambda p: encode_path(p) if isinstance(p, str) else p)
    text = frame.to_csv(index=False, lineterminator="\n")
    try:
        same = path.exists() and path.read_bytes() == text.encode("utf-8")
    except OSError:
        same = False
    if not same:
        write_atomic(path, text)


def _read_table(path: Path, columns: list[str], version: int = FORMAT_VERSION, tolerant: bool = False) -> pd.DataFrame:
    """A cache table as strings (integer columns as int64), file names decoded.

    A damaged table is a PhotoqError naming the file, row and column; with `tolerant` (the
    build's own indexes, which it can rebuild) it reads as empty instead.
    """
    if not path.exists():
        return pd.DataFrame(columns=columns)
    try:
        frame = _parse_table(path, columns, version)
    except PhotoqError:
        if tolerant:
            return pd.DataFrame(columns=columns)
        raise
    return frame


def _parse_table(path: Path, columns: list[str], version: int) -> pd.DataFrame:
    from pandas.errors import EmptyDataError, ParserError

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except EmptyDataError:
        raise PhotoqError(f"{path} is empty (0 bytes): expected a header line with {', '.join(columns)}") from None
    except (ParserError, UnicodeDecodeError, ValueError) as err:
        raise PhotoqError(f"{path} cannot be read as a table: {str(err).strip()}") from None
    if "look" in columns and "look" not in frame.columns and version < 2:
        frame["look"] = ""  # version 1 had no look hashes; photos cached since have them
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PhotoqError(f"{path} lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    for column in _INTEGER_COLUMNS:
        if column in frame.columns and column in columns:
            numbers = pd.to_numeric(frame[column], errors="coerce")
            bad = numbers.isna() | (numbers < 0) | (numbers != numbers.round())
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise PhotoqError(
                    f"{path} row {row + 1}, column {column}: {frame[column].iloc[row][:40]!r} "
                    "is not a whole number >= 0"
                )
            frame[column] = numbers.astype("int64")
    if version >= 2:
        for column in _PATH_COLUMNS:
            if column in frame.columns:
                frame[column] = frame[column].map(decode_path)
    return frame
