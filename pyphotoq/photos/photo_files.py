"""Which files below a folder are photos, and which of them are one photo.

`walk_images` lists every image file below a folder (pyphotoq.photos.images.is_image_name), leaving out
photoq's own cache and run folders; `camera_pairs` collapses each RAW+JPEG pair to its JPEG.
Both the readers of labels (pyphotoq.photos.sources) and of ratings (pyphotoq.photos.ratings) walk folders
this way, so it lives below them both.
"""

from __future__ import annotations

import os
from pathlib import Path

from .camera import READABLE_RAW_EXTENSIONS
from ..core.errors import PhotoqError
from .images import is_image_name

#: The renderings a camera writes beside a RAW, in the order one is preferred as the pair's photo.
_PAIR_RENDERINGS = (".jpg", ".jpeg", ".jpe", ".heic", ".heif", ".hif")
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


def camera_pairs(paths) -> tuple[list[str], dict[str, str]]:
    """`paths` with each RAW+JPEG pair collapsed to its JPEG, and the pairs found.

    A pair is a RAW file (camera.READABLE_RAW_EXTENSIONS) and a JPEG, else a HEIC/HEIF, with the same name
    before the extension (extensions compared without case) in the same folder: the camera wrote
    both for one shot. The RAW is left out; every other path is kept, in the order given. Returns
    (the kept paths, {the pair's kept path: its RAW}). A name with several RAWs (e.g. a .CR2 and a
    .DNG made from it) pairs none of them.
    """
    paths = [str(path) for path in paths]
    by_stem: dict[tuple[str, str], dict[str, list[str]]] = {}
    for path in paths:
        folder, name = os.path.split(path)
        stem, extension = os.path.splitext(name)
        by_stem.setdefault((folder, stem), {}).setdefault(extension.lower(), []).append(path)
    dropped: set[str] = set()
    pairs: dict[str, str] = {}
    for files in by_stem.values():
        raws = [path for extension, found in files.items() if extension in READABLE_RAW_EXTENSIONS for path in found]
        if len(raws) != 1:
            continue
        rendering = next((files[ext][0] for ext in _PAIR_RENDERINGS if len(files.get(ext, ())) == 1), None)
        if rendering is not None:
            pairs[rendering] = raws[0]
            dropped.add(raws[0])
    return [path for path in paths if path not in dropped], pairs
