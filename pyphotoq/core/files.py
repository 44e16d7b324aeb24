"""Safe file handling shared by the cache, the run folder and scoring.

* `write_atomic`: write to a fresh temporary name (never through a link), fsync, rename into
  place, fsync the folder; a killed process or a power loss never leaves a half-written file
  under the real name.
* `inside`: resolve a path and refuse it unless it lies inside a given folder (closed worlds).
* `encode_path` / `decode_path`: the lossless text form of a file name in the cache's tables
  (file names are bytes on POSIX and need not be valid UTF-8).
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

from .errors import PhotoqError

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def fsync_folder(folder) -> None:
    """Make a rename or a new entry in `folder` durable."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot sync a folder
    finally:
        os.close(handle)


def write_atomic(path, data, root=None) -> None:
    """Write `data` (str or bytes) to `path`: temporary name, fsync, rename, fsync the folder.

    The temporary file is created exclusively and never through a symbolic link, and the rename
    replaces a link at `path` rather than following it. With `root`, the folder written into
    must resolve inside `root` (a folder inside a cache or run replaced by a link to elsewhere is
    refused).
    """
    path = Path(path)
    if root is not None:
        inside(root, path.parent, what="folder")
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    temporary = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}.tmp")
    handle = os.open(temporary, _FLAGS, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    fsync_folder(path.parent)


def inside(root, path, what="file") -> Path:
    """`path` resolved (links followed); PhotoqError unless it lies inside `root` (resolved)."""
    base = Path(root).resolve()
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = candidate.resolve()
    if resolved != base and base not in resolved.parents:
        raise PhotoqError(f"Refused {what} {candidate}: it resolves to {resolved}, outside {base}")
    return resolved


def is_inside(root, path) -> bool:
    """True when `path` (resolved) is `root` or lies below it (both resolved)."""
    base, resolved = Path(root).resolve(), Path(path).resolve()
    return resolved == base or base in resolved.parents


# ---- file names as text ------------------------------------------------------------------


def encode_path(path) -> str:
    """The text form of a file name in the cache's tables: UTF-8, with `%`, control characters
    and every byte that is not valid UTF-8 written as `%XX` (two upper-case hex digits).

    Lossless: `decode_path(encode_path(p)) == p` for any POSIX file name. Valid UTF-8 names
    without `%` or control characters are written as they are.
    """
    raw = os.fsencode(path)
    out: list[str] = []
    text = raw.decode("utf-8", errors="surrogateescape")
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that is not valid UTF-8
            out.append(f"%{code - 0xDC00:02X}")
        elif char == "%" or code < 0x20 or code == 0x7F:
            out.append(f"%{code:02X}")
        else:
            out.append(char)
    return "".join(out)


def decode_path(text: str) -> str:
    """The file name (as Python's os.fsdecode gives it) of a text form made by `encode_path`."""
    if "%" not in text:
        return text
    from urllib.parse import unquote_to_bytes

    return os.fsdecode(unquote_to_bytes(text))


def printable(path) -> str:
    """A file name for messages and plain text: invalid bytes shown as `%XX`."""
    return encode_path(path) if _needs_encoding(str(path)) else str(path)


def _needs_encoding(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
