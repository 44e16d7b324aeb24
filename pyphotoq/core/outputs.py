"""The one rule for every file photoq writes where a user pointed it.

Scores tables (`score --out`, `ask --out`, `explain --table`, `sweep --out`), the HTML report,
the pictures of `evaluate` and `explain`: each output path is checked before any work is done,
and again just before it is written:

* its folder must exist (checked before scoring, not after);
* nothing is written through a symbolic link, and a link at the path is refused;
* an existing file is replaced only when it is photoq's own output of the same kind: a table
  whose header starts as one of photoq's tables does, a page photoq generated, a picture whose
  PNG says photoq (or Matplotlib, for plots of older versions) made it. A photo, a device, a FIFO,
  a folder, the user's own table: anything else is refused with one line, and nothing is written.

Folders photoq writes inside a run or a cache (`booster/`, `report/`, `checkpoints/`,
`explain/`, `views/`) are made by `own_folder`: real folders inside it, never a link.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from .errors import PhotoqError
from .files import printable, write_atomic

#: How a table photoq writes begins: its first columns. Any table of photoq's may replace another.
TABLE_STARTS = (
    ("path", "score"),  # scores, ask, explain
    ("hash", "original", "cached"),  # predictions
    ("recipe", "seed", "run"),  # sweep
    ("batch", "split", "auc"),  # checkpoints
)
#: The tag photoq's HTML pages carry, and the PNG text key and values of its pictures.
PAGE_MARK = '<meta name="generator" content="pyphotoq">'
PICTURE_SOFTWARE = "pyphotoq"
_PICTURE_MAKERS = ("pyphotoq", "Matplotlib")
KINDS = ("table", "page", "picture")
_SNIFF_BYTES = 64 * 1024
_OLD_OVERLAY = re.compile(r"-[0-9a-f]{10}\.png$")


def check_output(path, kind: str, what: str = "output") -> Path:
    """`path` (expanded) if photoq may write its `kind` of file there; PhotoqError (one line naming
    the path and the reason) otherwise. Nothing is written."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    target = Path(os.fspath(path)).expanduser()
    parent = target.parent
    if not parent.is_dir():
        raise PhotoqError(f"Refused {what} {printable(target)}: its folder {printable(parent)} does not exist")
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return target
    except OSError as error:
        raise PhotoqError(f"Refused {what} {printable(target)}: {error.strerror or error}") from None
    if stat.S_ISLNK(info.st_mode):
        raise PhotoqError(f"Refused {what} {printable(target)}: it is a symbolic link; photoq never writes "
                          "through a link")
    if stat.S_ISDIR(info.st_mode):
        raise PhotoqError(f"Refused {what} {printable(target)}: it is a folder; name a file")
    if not stat.S_ISREG(info.st_mode):
        raise PhotoqError(f"Refused {what} {printable(target)}: it is not a regular file (a device, a FIFO "
                          "or a socket)")
    if not _is_own(target, kind):
        raise PhotoqError(f"Refused {what} {printable(target)}: the file there is not a {kind} photoq wrote "
                          "(photoq replaces only its own outputs); choose another name or move that file")
    return target


def write_output(path, data, kind: str, what: str = "output") -> Path:
    """Check `path` (check_output), then write `data` to it atomically; returns the path."""
    target = check_output(path, kind, what)
    write_atomic(target, data)
    return target


def check_output_folder(folder, what: str = "output folder") -> Path:
    """A folder the user named for photoq's files: created if missing (its parent must exist);
    PhotoqError when something other than a folder is there."""
    target = Path(os.fspath(folder)).expanduser()
    if os.path.lexists(target) and not target.is_dir():
        raise PhotoqError(f"Refused {what} {printable(target)}: it is a file, not a folder")
    if not target.exists():
        if not target.parent.is_dir():
            raise PhotoqError(f"Refused {what} {printable(target)}: its folder {printable(target.parent)} "
                              "does not exist")
        try:
            target.mkdir()
        except FileExistsError:
            pass
        except OSError as error:
            raise PhotoqError(f"Cannot create {what} {printable(target)}: {error.strerror or error}") from None
    return target


def own_folder(root, name) -> Path:
    """The folder `root`/`name` (each part of `name` a real folder inside `root`, made when
    missing); PhotoqError when a part is a link or a file (a run or cache folder is a closed world
    for writes too)."""
    base = Path(os.fspath(root))
    current = base
    for part in Path(os.fspath(name)).parts:
        if part in ("", ".", "..") or os.sep in part:
            raise ValueError(f"own_folder takes a relative name without '..', got {name!r}")
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            try:
                os.mkdir(current)
            except FileExistsError:
                pass
            except OSError as error:
                raise PhotoqError(f"Cannot create {printable(current)}: {error.strerror or error}") from None
            info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode):
            raise PhotoqError(f"Refused {printable(current)}: a symbolic link inside {printable(base)}; photoq "
                              "writes inside its folders only, never through a link (remove the link)")
        if not stat.S_ISDIR(info.st_mode):
            raise PhotoqError(f"Refused {printable(current)}: expected a folder inside {printable(base)}")
    return current


def _is_own(path: Path, kind: str) -> bool:
    try:
        with open(path, "rb", opener=_no_follow) as stream:
            head = stream.read(_SNIFF_BYTES)
    except OSError:
        return False
    if kind == "table":
        first = head.split(b"\n", 1)[0].strip(b"\r").decode("utf-8", errors="replace")
        columns = tuple(first.split(","))
        return any(columns[: len(start)] == start for start in TABLE_STARTS)
    if kind == "page":
        return PAGE_MARK.encode("utf-8") in head[:4096]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        software = _png_software(path)
        # overlays of older versions carried no tag, only their name: photo stem, '-', 10 hex digits
        return software in _PICTURE_MAKERS or (software == "" and _OLD_OVERLAY.search(path.name) is not None)
    # other formats plots are saved in (PDF, SVG): Matplotlib names itself near the top
    return path.suffix.lower() != ".png" and any(maker.lower().encode() in head.lower() for maker in _PICTURE_MAKERS)


def _png_software(path: Path) -> str:
    from PIL import Image

    try:
        with Image.open(path) as image:
            software = str(image.info.get("Software", image.info.get("software", "")))
    except Exception:  # noqa: BLE001 - any unreadable picture is simply not photoq's
        return ""
    return software.split(" ")[0].split("/")[0].split("version")[0].strip()


def _no_follow(path, flags):
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))
