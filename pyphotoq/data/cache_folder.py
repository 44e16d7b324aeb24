"""A cache folder's housekeeping: cache.json created and written, the build lock, temporaries
and orphans removed, and the corrections a user recorded (corrections.csv) read and merged into
a build's listing."""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..core.errors import CacheBusy, PhotoqError
from ..core.files import is_inside, printable
from .cache_format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    OVERVIEW,
    VIEW_FILE_RULE,
    ENCODINGS,
    CORRECTIONS_COLUMNS,
    read_info,
    write_atomic,
    _read_table,
)


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

    from ..photos.sources import is_photoq_folder

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
