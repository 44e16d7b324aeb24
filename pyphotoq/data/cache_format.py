"""The cache's format. The cache is a documented format (version 2, see the README), readable without Python:

    cache.json     format name and version, id, the declared views, classes, split rule
    manifest.csv   one row per cached photo (hash, label, split, original, sizes, ...)
    files.csv      one row per cached file: view, hash, size, sha256 (damage is detected)
    skipped.csv    files that could not be used, with the reason
    conflicts.csv  the same content found twice (under two labels, or twice under one)
    sources.csv    every source file seen, with size and mtime, so rebuilds skip known files
    corrections.csv  (optional) photos a user sorted after culling (learn_corrections): added to
                   every build's listing, their labels win, and they learn in the training split
    statistics.csv  (optional) the booster's statistics of each photo, measured once (by the first
                   training) and kept (pyphotoq.data.statistics_store); not part of the format's checks
    facts.csv      (optional) the facts shown beside each score, kept the same way
    views/<view>/<first two hash digits>/<hash>.<extension>   one file per photo and view

Every reader finds a photo's file for any view by that one rule (`view_file`), from the view's
declaration in cache.json; adding a view is declaring it (and its kind in the view registry,
pyphotoq.photos.view_kinds), not changing the format. File names in the tables are UTF-8 text in which `%`,
control characters and bytes that are not valid UTF-8 are written `%XX` (files.encode_path).
Every file is written under a temporary name, fsynced and renamed into place, so a build killed
at any instant leaves a cache that opens, and the next build finishes the job. A version-1 cache
opens as it is and is upgraded in place by the next build_cache (cache.json is written last).
This module owns the format: its names and columns, the one path rule (`view_file`), reading
and checking cache.json and manifest.csv, and writing and reading its tables. The rest of the
cache: its folder's housekeeping (cache_folder), how views are made (views), an opened cache
(cache), building (cache_build, cache_builder).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from ..photos.detail import spec_problem as detail_spec_problem
from ..core.errors import PhotoqError
from ..core.files import decode_path, encode_path
from ..core.files import write_atomic as _write_file
from ..core.parameters import SETTINGS
from ..photos.splits import METHODS as SPLIT_METHODS
from ..photos.splits import SPLITS
from ..photos.view_kinds import OVERVIEW


FORMAT_NAME = "photoq-cache"
FORMAT_VERSION = 2
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
MAX_WIDTH = SETTINGS["width"].high  # declared with the setting (pyphotoq.core.parameters)


def view_file(digest: str, view: str, info: dict) -> str:
    """Relative path of a photo's file for `view`: views/<view>/<hh>/<hash>.<extension>."""
    spec = info["views"][view]
    return f"views/{view}/{digest[:2]}/{digest}.{ENCODINGS[spec['encoding']]}"


def cached_name(digest: str, view: str = OVERVIEW) -> str:
    """Relative path of a photo's cached overview (JPEG views): views/<view>/<hh>/<hash>.jpg."""
    return f"views/{view}/{digest[:2]}/{digest}.jpg"


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
