"""The shared on-disk image cache: build it incrementally, open it, read it.

The cache is a documented format (see the README), readable without Python:

    cache.json     format name and version, id, views, classes, split rule
    manifest.csv   one row per cached photo (hash, label, split, original, cached, ...)
    skipped.csv    files that could not be used, with the reason
    conflicts.csv  the same content found twice (under two labels, or twice under one)
    sources.csv    every source file seen, with size and mtime, so rebuilds skip known files
    views/overview/<first two hash digits>/<hash>.jpg   the 480-wide overview of each photo

Every file is written under a temporary name and renamed into place, so a build killed at any
instant leaves a cache that opens, and the next build finishes the job.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from . import __version__
from .errors import CacheBusy, PhotoqError
from .images import UnusablePhoto, open_photo, read_photo_bytes
from .sources import labelled_photos
from .splits import METHODS as SPLIT_METHODS
from .splits import SPLITS, assign_splits, check_fractions

FORMAT_NAME = "photoq-cache"
FORMAT_VERSION = 1
OVERVIEW = "overview"

MANIFEST_COLUMNS = [
    "hash", "label", "split", "group", "original", "cached",
    "width", "height", "source_width", "source_height", "taken",
]
SOURCES_COLUMNS = [
    "path", "label", "size", "mtime_ns", "hash", "status", "reason",
    "width", "height", "source_width", "source_height", "taken",
]
SKIPPED_COLUMNS = ["path", "label", "reason"]
CONFLICT_COLUMNS = ["hash", "kind", "kept_label", "kept_path", "other_label", "other_path"]
_INTEGER_COLUMNS = ["width", "height", "source_width", "source_height", "size", "mtime_ns"]
_INDEX_SAVE_SECONDS = 5.0


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

    def __str__(self) -> str:
        lines = [
            f"{self.photos} photos in the cache: {self.added} added, {self.reused} already cached, "
            f"{self.removed} removed (gone from the source) in {self.seconds:.1f} s"
        ]
        if len(self.conflicts):
            kinds = self.conflicts["kind"].value_counts()
            lines.append(
                "same content found twice: "
                + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
                + " ('good' wins; see conflicts.csv)"
            )
        if len(self.skipped):
            lines.append(f"{len(self.skipped)} files skipped:")
            for row in self.skipped.head(20).itertuples():
                lines.append(f"  {row.path}: {row.reason}")
            if len(self.skipped) > 20:
                lines.append(f"  ... and {len(self.skipped) - 20} more (see skipped.csv)")
        return "\n".join(lines)


@dataclass
class Cache:
    """An opened cache: its folder, settings and tables."""

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

    def image_path(self, cached: str) -> Path:
        """Absolute path of a cached image from the manifest's `cached` column."""
        return self.path / cached

    def __repr__(self) -> str:
        counts = self.manifest.groupby(["split", "label"]).size()
        parts = ", ".join(f"{s}/{lab}: {n}" for (s, lab), n in counts.items())
        return f"<photoq cache {self.path} · {len(self.manifest)} photos ({parts})>"


def open_cache(cache) -> Cache:
    """Open an existing cache folder."""
    folder = Path(cache).expanduser().resolve()
    info_file = folder / "cache.json"
    if not info_file.exists():
        raise PhotoqError(f"No photoq cache at {folder}: cache.json not found (build one with build_cache)")
    info = json.loads(info_file.read_text())
    if info.get("format") != FORMAT_NAME or int(info.get("version", 0)) > FORMAT_VERSION:
        raise PhotoqError(
            f"{info_file} is not a photoq cache of format version <= {FORMAT_VERSION} "
            f"(found {info.get('format')!r} version {info.get('version')!r})"
        )
    return Cache(
        path=folder,
        info=info,
        manifest=_read_table(folder / "manifest.csv", MANIFEST_COLUMNS),
        skipped=_read_table(folder / "skipped.csv", SKIPPED_COLUMNS),
        conflicts=_read_table(folder / "conflicts.csv", CONFLICT_COLUMNS),
    )


def build_cache(
    photos,
    cache,
    width: int = 480,
    positive: str = "good",
    negative: str = "bad",
    split_method: str = "hash",
    split_fractions=(0.8, 0.1, 0.1),
    burst_seconds: float = 3.0,
    quality: int = 95,
    workers: int | None = None,
    wait: float = 0,
    progress: bool | None = None,
    verbose: bool = True,
) -> Cache:
    """Resize every photo once to `width` pixels wide into the cache folder `cache`.

    `photos` is a folder with `positive`/`negative` subfolders or a CSV of path,label.
    Incremental: known files are not read again, new ones are added, vanished ones dropped.
    `wait` is how many seconds to wait for another build holding the cache.
    `progress` shows a progress bar (None: only on a terminal).
    """
    folder = Path(cache).expanduser().resolve()
    if split_method not in SPLIT_METHODS:
        raise PhotoqError(f"split_method must be one of {', '.join(SPLIT_METHODS)}, got {split_method!r}")
    if int(width) < 64:
        raise PhotoqError(f"width must be at least 64 px (the network halves it six times), got {width}")
    started = time.monotonic()
    listing = labelled_photos(photos, positive, negative)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder, wait):
        _remove_stale_temporaries(folder)
        info = _load_or_create_info(
            folder, int(width), positive, negative, split_method,
            check_fractions(split_fractions), burst_seconds, quality,
        )
        builder = _Builder(folder, info, workers, progress)
        sources = builder.update_sources(listing)
        cache_handle = _finish(folder, info, sources, started, photos)
    if verbose:
        print(cache_handle.summary)
    return cache_handle


class _Builder:
    """Brings the sources index up to date, caching images with a pool of threads."""

    def __init__(self, folder: Path, info: dict, workers, progress):
        self.folder = folder
        self.width = int(info["views"][OVERVIEW]["width"])
        self.quality = int(info["views"][OVERVIEW]["quality"])
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress
        self.known_by_hash: dict[str, dict] = {}  # ok rows of the last index, by content hash

    def update_sources(self, listing: pd.DataFrame) -> pd.DataFrame:
        known = _read_table(self.folder / "sources.csv", SOURCES_COLUMNS)
        records = known.to_dict("records")
        known_by_path = {row["path"]: row for row in records}
        self.known_by_hash = {row["hash"]: row for row in records if row["status"] == "ok"}
        rows: dict[str, dict] = {}
        todo: list[tuple[str, str, int, int]] = []
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
            ):
                rows[path] = {**previous, "label": label}
            else:
                todo.append((path, label, stat.st_size, stat.st_mtime_ns))
        if todo:
            self._cache_images(todo, rows)
        return pd.DataFrame([rows[p] for p in listing["path"] if p in rows], columns=SOURCES_COLUMNS)

    def _cache_images(self, todo, rows: dict) -> None:
        last_save = time.monotonic()
        bar = tqdm(total=len(todo), desc="Caching photos", unit="photo", disable=self._bar_off())
        with ThreadPoolExecutor(self.workers) as pool:
            for row in pool.map(self._cache_one, todo):
                rows[row["path"]] = row
                bar.update()
                if time.monotonic() - last_save > _INDEX_SAVE_SECONDS:
                    self._save_index(rows)
                    last_save = time.monotonic()
        bar.close()  # _finish writes the complete index

    def _bar_off(self):
        return None if self.progress is None else not self.progress

    def _save_index(self, rows: dict) -> None:
        _write_table(self.folder / "sources.csv", pd.DataFrame(list(rows.values()), columns=SOURCES_COLUMNS))

    def _cache_one(self, job) -> dict:
        path, label, size, mtime_ns = job
        try:
            data = read_photo_bytes(path)
        except UnusablePhoto as err:
            return _skipped_row(path, label, size, mtime_ns, str(err))
        digest = hashlib.sha256(data).hexdigest()
        target = self.folder / cached_name(digest)
        seen = self.known_by_hash.get(digest)
        if seen is not None and target.exists():  # renamed, touched or copied: no image work
            return {**seen, "path": path, "label": label, "size": size, "mtime_ns": mtime_ns}
        try:
            photo = open_photo(data, self.width)
        except UnusablePhoto as err:
            return _skipped_row(path, label, size, mtime_ns, str(err), digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f"{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
            photo.image.save(temporary, "JPEG", quality=self.quality)
            os.replace(temporary, target)
        width, height = photo.image.size
        return {
            "path": path, "label": label, "size": size, "mtime_ns": mtime_ns, "hash": digest,
            "status": "ok", "reason": "", "width": width, "height": height,
            "source_width": photo.source_width, "source_height": photo.source_height,
            "taken": photo.taken,
        }


def cached_name(digest: str, view: str = OVERVIEW) -> str:
    """Relative path of a photo's cached image: views/<view>/<2 digits>/<hash>.jpg."""
    return f"views/{view}/{digest[:2]}/{digest}.jpg"


def _skipped_row(path, label, size, mtime_ns, reason, digest="") -> dict:
    return {
        "path": path, "label": label, "size": size, "mtime_ns": mtime_ns, "hash": digest,
        "status": "skipped", "reason": reason, "width": 0, "height": 0,
        "source_width": 0, "source_height": 0, "taken": "",
    }


def _finish(folder: Path, info: dict, sources: pd.DataFrame, started: float, photos) -> Cache:
    """Derive manifest, skipped and conflicts tables from the sources index and write them."""
    previous = _read_table(folder / "manifest.csv", MANIFEST_COLUMNS)
    positive = info["classes"]["positive"]
    usable = sources[sources["status"] == "ok"]
    skipped = sources.loc[sources["status"] != "ok", SKIPPED_COLUMNS].reset_index(drop=True)
    # Per hash, the kept copy is the first path among the positive-labelled ones, else the first.
    ordered = usable.assign(_negative=usable["label"] != positive).sort_values(["hash", "_negative", "path"])
    first = ~ordered["hash"].duplicated()
    kept = ordered[first]
    manifest = kept.assign(original=kept["path"], cached=kept["hash"].map(cached_name))[
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
    manifest = assign_splits(
        manifest, dict(zip(previous["hash"], previous["split"])),
        split["method"], split["fractions"], split["burst_seconds"],
    )
    manifest = manifest[MANIFEST_COLUMNS].sort_values("original").reset_index(drop=True)
    if manifest.empty:
        raise PhotoqError(
            f"No usable photos in {photos}: all {len(sources)} files were skipped"
            + (f" (first: {skipped.iloc[0]['path']}: {skipped.iloc[0]['reason']})" if len(skipped) else "")
        )
    _write_table(folder / "manifest.csv", manifest)
    _write_table(folder / "skipped.csv", skipped)
    _write_table(folder / "conflicts.csv", conflicts_table)
    _write_table(folder / "sources.csv", sources)
    current, before = set(manifest["hash"]), set(previous["hash"])
    _remove_orphans(folder, current)
    summary = BuildSummary(
        photos=len(manifest), added=len(current - before), reused=len(current & before),
        removed=len(before - current), skipped=skipped, conflicts=conflicts_table,
        seconds=time.monotonic() - started,
    )
    cache = open_cache(folder)
    cache.summary = summary
    return cache


def _load_or_create_info(folder, width, positive, negative, method, fractions, burst_seconds, quality) -> dict:
    info_file = folder / "cache.json"
    if info_file.exists():
        info = open_cache(folder).info
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
        "views": {OVERVIEW: {"width": width, "quality": int(quality), "format": "jpeg"}},
        "classes": {"positive": positive, "negative": negative},
        "split": {"method": method, "fractions": list(fractions), "burst_seconds": float(burst_seconds)},
    }
    write_atomic(info_file, json.dumps(info, indent=2) + "\n")
    return info


@contextmanager
def _locked(folder: Path, wait: float):
    """Hold the cache's build lock, waiting up to `wait` seconds for another build."""
    with open(folder / ".lock", "a+") as handle:
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
    for stale in folder.rglob("*.tmp"):
        stale.unlink(missing_ok=True)


def _remove_orphans(folder: Path, keep: set[str]) -> None:
    for image in (folder / "views" / OVERVIEW).glob("*/*.jpg"):
        if image.stem not in keep:
            image.unlink(missing_ok=True)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    with open(temporary, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    """Write a table atomically, unless the file already holds exactly this text."""
    text = frame.to_csv(index=False, lineterminator="\n")
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_atomic(path, text)


def _read_table(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=columns)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in _INTEGER_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column]).astype("int64")
    return frame

