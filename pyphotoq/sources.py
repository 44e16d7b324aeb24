"""Find the photos to learn from or to score, and their labels.

Labels come from class subfolders (``good/`` and ``bad/`` at any depth below them), from a
CSV of ``path,label``, or from the original workflow's labels table (columns original,
resized, width, height, hash, label). Only files with an image extension are considered.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .errors import PhotoqError
from .images import IMAGE_EXTENSIONS, is_image_name


#: A folder holding one of these files (with photoq's format name in it) is a photoq cache or
#: run folder: its images are photoq's outputs, never photos.
_PHOTOQ_FOLDER_MARKERS = {"cache.json": b'"photoq-cache"', "run.json": b'"photoq-run"'}


def is_photoq_folder(folder) -> bool:
    """True when `folder` is a photoq cache or run folder (by its cache.json or run.json)."""
    for name, marker in _PHOTOQ_FOLDER_MARKERS.items():
        try:
            with open(os.path.join(folder, name), "rb") as handle:
                if marker in handle.read(4096):
                    return True
        except OSError:
            continue
    return False


def walk_images(folder, exclude=()) -> list[str]:
    """Every image file below `folder`, sorted, following symlinks but never looping.

    Photoq cache and run folders below `folder`, and the folders in `exclude`, are not entered:
    their images are photoq's outputs, not photos.
    """
    root = Path(folder).expanduser()
    excluded = set()
    for path in exclude:
        try:
            info = os.stat(path)
        except OSError:
            continue
        excluded.add((info.st_dev, info.st_ino))
    if not root.exists():
        raise PhotoqError(f"Photo folder not found: {root}")
    if not root.is_dir():
        raise PhotoqError(f"Expected a folder of photos, got a file: {root}")
    found: list[str] = []
    seen_dirs: set[tuple[int, int]] = set()
    pending = [str(root.resolve())]
    while pending:
        current = pending.pop()
        try:
            info = os.stat(current)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in seen_dirs:
            continue  # a symlink loop or a second link to a folder already scanned
        seen_dirs.add((info.st_dev, info.st_ino))
        if (info.st_dev, info.st_ino) in excluded or is_photoq_folder(current):
            continue
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_symlink() and not os.path.exists(entry.path):
                    if is_image_name(entry.name):
                        found.append(entry.path)  # a broken or looping link: skipped with a reason
                elif entry.is_dir():
                    pending.append(entry.path)
                elif is_image_name(entry.name) and entry.is_file():
                    found.append(entry.path)
            except OSError:
                continue
    return sorted(found)


def labelled_photos(photos, positive: str = "good", negative: str = "bad", exclude=()) -> pd.DataFrame:
    """A table of (path, label) for every photo to cache.

    `photos` is a folder with `positive` and `negative` subfolders, or a CSV file with columns
    path,label (or the original workflow's labels table with columns original,label).
    """
    source = Path(photos).expanduser()
    if source.is_file() and source.suffix.lower() in (".csv", ".tsv", ".txt"):
        return _both_classes(_from_table(source, positive, negative), source, positive, negative)
    if not source.exists():
        raise PhotoqError(
            f"Photo folder not found: {source} "
            f"(expected a folder with '{positive}/' and '{negative}/' subfolders, or a CSV of path,label)"
        )
    if not source.is_dir():
        raise PhotoqError(
            f"Expected a folder with '{positive}/' and '{negative}/' subfolders, or a CSV of "
            f"path,label (.csv, .tsv or .txt), got a file: {source}"
        )
    classes = _class_folders(source, positive, negative)
    rows = [
        (path, label) for label, folder in classes.items() for path in walk_images(folder, exclude)
    ]
    if not rows:
        raise PhotoqError(
            f"No photos found in {source}: expected image files "
            f"({', '.join(sorted(IMAGE_EXTENSIONS))}) below '{positive}/' and '{negative}/'"
        )
    return _both_classes(pd.DataFrame(rows, columns=["path", "label"]), source, positive, negative)


def _both_classes(frame: pd.DataFrame, source, positive: str, negative: str) -> pd.DataFrame:
    """`frame` when it has photos of both classes; else the one-line reason."""
    for label in (positive, negative):
        if not (frame["label"] == label).any():
            where = f"'{label}/' folder" if Path(source).is_dir() else f"'{label}' rows"
            raise PhotoqError(
                f"No '{label}' photos in {source} (no {where} with image files): "
                f"learning needs photos of both classes, '{positive}' and '{negative}'"
            )
    return frame


def _class_folders(source: Path, positive: str, negative: str) -> dict[str, Path]:
    by_name = {child.name.lower(): child for child in source.iterdir() if child.is_dir()}
    classes = {label: by_name.get(label.lower()) for label in (positive, negative)}
    missing = [label for label, folder in classes.items() if folder is None]
    if len(missing) == 2:
        raise PhotoqError(
            f"No class folders in {source}: expected subfolders '{positive}/' and '{negative}/' "
            "holding the photos you sorted"
        )
    if missing:
        raise PhotoqError(
            f"No '{missing[0]}/' folder in {source}: learning needs photos of both classes, "
            f"in '{positive}/' and '{negative}/'"
        )
    return {label: folder for label, folder in classes.items() if folder is not None}


def _from_table(table: Path, positive: str, negative: str) -> pd.DataFrame:
    sep = "\t" if table.suffix.lower() == ".tsv" else ","
    try:
        frame = pd.read_csv(table, sep=sep, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as err:
        raise PhotoqError(f"Cannot read the labels table {table}: {err}") from None
    path_column = next((c for c in ("path", "original") if c in frame.columns), None)
    if path_column is None or "label" not in frame.columns:
        raise PhotoqError(
            f"The labels table {table} needs columns 'path' (or 'original') and 'label'; "
            f"it has: {', '.join(frame.columns)}"
        )
    paths = [
        str((table.parent / p).resolve()) if not os.path.isabs(p) else p
        for p in frame[path_column].map(os.path.expanduser)
    ]
    labels = frame["label"].str.strip()
    unknown = sorted(set(labels) - {positive, negative})
    if unknown:
        raise PhotoqError(
            f"The labels table {table} has labels other than '{positive}' and '{negative}': "
            f"{', '.join(unknown[:5])}"
        )
    result = pd.DataFrame({"path": paths, "label": labels})
    return result[result["path"].map(is_image_name)].reset_index(drop=True)
