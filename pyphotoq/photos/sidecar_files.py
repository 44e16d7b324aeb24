"""Sidecar files on disk: their names, reading one safely, and the small helpers the XMP writer
and its undo journal share (pyphotoq.photos.xmp, pyphotoq.photos.xmp_journal)."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import datetime, timezone

from .camera import RAW_EXTENSIONS  # a RAW's sidecar is also named `<stem>.xmp` (Lightroom's name)

#: Larger files are not sidecars (darktable's longest histories stay far below this).
MAX_SIDECAR_BYTES = 32 * 1024 * 1024

READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class Refused(Exception):
    """A sidecar (or one decision) photoq leaves alone; the message is the reason, without the file name."""

def sidecar_paths(photo) -> list[str]:
    """The sidecars photoq writes for `photo`: `<name.ext>.xmp`, and `<stem>.xmp` too for a RAW file."""
    folder, name = os.path.split(os.path.abspath(os.fspath(photo)))
    names = [name + ".xmp"]
    stem, extension = os.path.splitext(name)
    if stem and extension.lower() in RAW_EXTENSIONS:
        names.append(stem + ".xmp")
    return [os.path.join(folder, each) for each in names]

def read_sidecar(path: str) -> tuple[bytes | None, int | None]:
    """(bytes, mode) of an existing sidecar, (None, None) when there is none; _Refused when it is no file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None, None
    if stat.S_ISLNK(info.st_mode):
        raise Refused("is a symbolic link; photoq never writes through a link")
    if stat.S_ISDIR(info.st_mode):
        raise Refused("is a folder, not a sidecar file")
    if not stat.S_ISREG(info.st_mode):
        raise Refused("is not a regular file")
    if info.st_size > MAX_SIDECAR_BYTES:
        raise Refused(f"is {info.st_size} bytes, too large to be an XMP sidecar")
    handle = os.open(path, READ_FLAGS)
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise Refused("is not a regular file")
        return stream.read(MAX_SIDECAR_BYTES + 1), stat.S_IMODE(info.st_mode)

def set_mode(path: str, mode: int) -> None:
    info = os.lstat(path)
    mode &= 0o777  # permission bits only, never setuid, setgid or sticky
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)

def sha256_of(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def within(root: str, path: str) -> bool:
    """Whether `path` (resolved) is `root` (resolved) or lies below it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def existing_spelling(path: str, listings: dict[str, dict[str, list[str]]] | None = None) -> str:
    """`path`, or the one existing file in its folder whose name differs from it only in letter case."""
    if os.path.lexists(path):
        return path
    folder, name = os.path.split(path)
    listings = {} if listings is None else listings
    if folder not in listings:
        by_lower: dict[str, list[str]] = {}
        try:
            for each in os.listdir(folder):
                by_lower.setdefault(each.lower(), []).append(each)
        except OSError:
            pass
        listings[folder] = by_lower
    same = listings[folder].get(name.lower(), [])
    return os.path.join(folder, same[0]) if len(same) == 1 else path
