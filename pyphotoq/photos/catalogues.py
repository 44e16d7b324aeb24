"""Ratings read from a photo program's catalogue, strictly read-only: darktable's `library.db`,
digiKam's `digikam4.db` and Lightroom Classic's `.lrcat` (SQLite databases, all three).

Reading never writes and never holds a lock the program could wait on for long:

* the catalogue is opened through SQLite's URI `mode=ro` (no journal, no write, no file created
  beside it), with a busy timeout of a fraction of a second, and read in one short transaction;
* a catalogue the program holds locked (Lightroom Classic keeps its catalogue locked while it
  runs), or one whose journal SQLite would have to touch, is read from a copy of its bytes taken
  into memory (`sqlite3.Connection.deserialize`): no file is opened by SQLite at all. Changes the
  program has not yet saved to the file are then not seen, and the summary says so.

What each program stores (schemas from the programs' own published sources at the versions
Debian 12 ships, darktable 4.2.1 and digiKam 7.9.0, and Lightroom Classic's as published by
open-source readers of it; tests/python/data/catalogues holds them):

* darktable: `images.flags`: stars in bits 0-2 (0..5; 6 was the reject of darktable < 3.0),
  reject in bit 3 (DT_IMAGE_REJECTED = 8); path = `film_rolls.folder` / `images.filename`.
* digiKam: `ImageInformation.rating` (-1 none, 0..5); the pick label is an internal tag under
  `_Digikam_Internal_Tags_` ("Pick Label Rejected", "Pick Label Pending", "Pick Label Accepted");
  path = the album root's folder (`AlbumRoots.identifier`'s `path=` and `specificPath`) +
  `Albums.relativePath` / `Images.name`; a rating of -1 is "none" (digiKam's NoRating), not a reject.
* Lightroom Classic: `Adobe_images.rating` (NULL or 0..5) and `pick` (-1 rejected, 0 none,
  1 picked); path = `AgLibraryRootFolder.absolutePath` + `AgLibraryFolder.pathFromRoot` +
  `AgLibraryFile.baseName` + "." + `extension`.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import PhotoqError
from ..core.files import printable
from .sidecar_files import Refused

#: Catalogue schema versions the readers were tested with; a newer one is read, with a line:
#: darktable 4.2.1's library (db_info version 37), digiKam 7.9.0's (Settings DBVersion 15), and for
#: Lightroom Classic, whose version numbers are not published, the schema dump of a Lightroom
#: Classic catalogue as open-source readers of it publish it (Adobe_DBVersion 1300025 assumed).
TESTED_VERSIONS = {"darktable": 37, "digiKam": 15, "Lightroom Classic": 1300025}

_BUSY_MS = 200

_DARKTABLE = """
    SELECT f.folder, i.filename, i.flags FROM images AS i JOIN film_rolls AS f ON i.film_id = f.id
"""
_DIGIKAM = """
    SELECT r.identifier, r.specificPath, a.relativePath, i.name, n.rating,
           (SELECT t.name FROM ImageTags AS it JOIN Tags AS t ON it.tagid = t.id
             WHERE it.imageid = i.id AND t.name LIKE 'Pick Label %'
               AND t.pid IN (SELECT id FROM Tags WHERE name = '_Digikam_Internal_Tags_') LIMIT 1)
      FROM Images AS i JOIN Albums AS a ON i.album = a.id JOIN AlbumRoots AS r ON a.albumRoot = r.id
      LEFT JOIN ImageInformation AS n ON n.imageid = i.id
     WHERE i.status = 1
"""
_LIGHTROOM = """
    SELECT r.absolutePath, d.pathFromRoot, f.baseName, f.extension, i.rating, i.pick
      FROM Adobe_images AS i JOIN AgLibraryFile AS f ON i.rootFile = f.id_local
      JOIN AgLibraryFolder AS d ON f.folder = d.id_local JOIN AgLibraryRootFolder AS r ON d.rootFolder = r.id_local
"""
_DIGIKAM_PICKS = {"Pick Label Rejected": "rejected", "Pick Label Pending": "pending",
                  "Pick Label Accepted": "accepted", "Pick Label None": ""}


@dataclass(frozen=True)
class Marks:
    """What a photographer gave a photo: a rating (-1..5, None for none), a pick ('' for none).

    Here, below pyphotoq.photos.ratings, because a catalogue's rows are handed over as Marks; ratings
    makes them from sidecars and embedded XMP too, and exports the class as before."""

    rating: int | None
    pick: str
    source: str  # where they were read: "sidecar NAME", "embedded XMP", "darktable library.db", ...

    @property
    def rejected(self) -> bool:
        return self.rating == -1 or self.pick == "rejected"


def catalogue_marks(catalogue, root: Path, paths: list[str], lines: list[str]):
    """({photo path: Marks}, problems, what was read) for the photos `paths` below `root`, from the
    catalogue file `catalogue`; one line per thing to know is appended to `lines` (photos the
    catalogue names that are not on disk, files on disk it does not know, a copy read, a newer
    version). A catalogue that cannot be read is a PhotoqError naming it."""
    kind, version, rows, note = read_catalogue(catalogue)
    name = os.path.basename(os.fspath(catalogue))
    source = f"{kind} {name}"
    if note:
        lines.append(f"  {printable(name)}: {note}")
    tested = TESTED_VERSIONS[kind]
    if version is not None and version > tested:
        lines.append(f"  {printable(name)} is a {kind} catalogue of schema version {version}, newer than the "
                     f"versions photoq was tested with (up to {tested}); its ratings were read as those")
    on_disk = {os.path.realpath(path): path for path in paths}
    real_root = os.path.realpath(root)
    marks, missing, outside = {}, [], 0
    for path, rating, pick in rows:
        real = os.path.realpath(path)
        if not (real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)):
            outside += 1
            continue
        found = on_disk.get(real)
        if found is None:
            missing.append(path)
            continue
        marks[found] = Marks(rating, pick, source)
    if missing:
        lines.append(f"  {len(missing)} photos {printable(name)} names below {printable(str(root))} are not on disk "
                     f"(e.g. {printable(missing[0])}): left out")
    unknown = [path for path in paths if path not in marks]
    if unknown:
        lines.append(f"  {len(unknown)} files on disk {printable(name)} does not know (e.g. "
                     f"{printable(unknown[0])}): left out")
    if outside:
        lines.append(f"  {outside} photos of {printable(name)} lie outside {printable(str(root))}: not read")
    return marks, [], source


def read_catalogue(catalogue):
    """(kind, schema version or None, [(path, rating or None, pick)], note) of a catalogue file;
    a PhotoqError naming the file when it is none of the three or is damaged."""
    path = Path(catalogue).expanduser()
    try:
        with open(path, "rb") as stream:
            header = stream.read(16)
    except OSError as error:
        raise PhotoqError(f"Cannot read the catalogue {printable(str(path))}: {error.strerror or error}") from None
    if header != b"SQLite format 3\x00":
        raise PhotoqError(f"{printable(str(path))} is not a catalogue photoq reads (not an SQLite database: "
                          "expected darktable's library.db, digiKam's digikam4.db or a Lightroom .lrcat)")
    note = ""
    try:
        connection = _open_read_only(path)
        try:
            result = _read(connection, path)
        finally:
            connection.close()
    except _Busy as busy:
        note = (f"read from a copy of the file in memory ({busy}): changes the program has not yet saved "
                "to the file are not seen")
        connection = _copy_in_memory(path)
        try:
            result = _read(connection, path)
        finally:
            connection.close()
    return (*result, note)


class _Busy(Exception):
    pass


def _open_read_only(path: Path) -> sqlite3.Connection:
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=_BUSY_MS / 1000, isolation_level=None)
        connection.execute("PRAGMA query_only = ON")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        message = str(error)
        if "locked" in message or "busy" in message or "unable to open" in message or "readonly" in message:
            raise _Busy(f"the catalogue is in use: {message}") from None
        raise PhotoqError(f"{printable(str(path))} cannot be read as a catalogue: {message}") from None
    except sqlite3.DatabaseError as error:
        raise PhotoqError(f"{printable(str(path))} is a damaged catalogue: {error}") from None
    return connection


def _copy_in_memory(path: Path) -> sqlite3.Connection:
    try:
        data = path.read_bytes()
        connection = sqlite3.connect(":memory:", isolation_level=None)
        connection.deserialize(data)
        connection.execute("PRAGMA query_only = ON")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (OSError, sqlite3.DatabaseError) as error:
        raise PhotoqError(f"{printable(str(path))} cannot be read as a catalogue: {error}") from None
    return connection


def _read(connection: sqlite3.Connection, path: Path):
    name = printable(str(path))
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if {"images", "film_rolls"} <= tables:
            version = _version(connection, "SELECT value FROM db_info WHERE key = 'version'", "db_info" in tables)
            return "darktable", version, [_darktable_row(*row) for row in connection.execute(_DARKTABLE)]
        if {"Images", "Albums", "AlbumRoots", "ImageInformation"} <= tables:
            version = _version(connection, "SELECT value FROM Settings WHERE keyword = 'DBVersion'", "Settings" in tables)
            return "digiKam", version, [row for row in map(_digikam_row, connection.execute(_DIGIKAM)) if row]
        if {"Adobe_images", "AgLibraryFile", "AgLibraryFolder", "AgLibraryRootFolder"} <= tables:
            version = _version(connection, "SELECT value FROM Adobe_variablesTable WHERE name = 'Adobe_DBVersion'",
                               "Adobe_variablesTable" in tables)
            return "Lightroom Classic", version, [_lightroom_row(*row) for row in connection.execute(_LIGHTROOM)]
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise _Busy(f"the catalogue is in use: {error}") from None
        raise PhotoqError(f"{name} is not a catalogue of a version photoq reads ({error})") from None
    except sqlite3.DatabaseError as error:
        raise PhotoqError(f"{name} is a damaged catalogue: {error}") from None
    except (TypeError, ValueError, Refused) as error:
        raise PhotoqError(f"{name} holds a value photoq does not understand ({error})") from None
    raise PhotoqError(f"{name} is an SQLite database but not a darktable, digiKam or Lightroom Classic catalogue")


def _version(connection, query: str, present: bool) -> int | None:
    if not present:
        return None
    row = connection.execute(query).fetchone()
    try:
        return int(float(row[0])) if row and row[0] is not None else None
    except (TypeError, ValueError):
        return None


def _rating(value, low: int = -1) -> int | None:
    if value is None:
        return None
    number = float(value)
    if number != int(number) or not low <= number <= 5:
        raise ValueError(f"a rating {value!r}")
    return int(number)


def _darktable_row(folder: str, filename: str, flags):
    flags = int(flags or 0)
    stars = flags & 0x7
    rejected = bool(flags & 0x8) or stars == 6
    rating = -1 if rejected else min(stars, 5) or None
    return os.path.join(folder, filename), rating, ""


def _digikam_root(identifier: str, specific: str) -> str | None:
    """The folder of a digiKam album root: `volumeid:?path=/folder` names it; `volumeid:?uuid=U`
    names a volume, whose mount point (found from /dev/disk/by-uuid, else "/") + specificPath is it."""
    fields = urllib.parse.parse_qs(urllib.parse.urlparse(identifier or "").query)
    specific = (specific or "/").strip("/")
    if fields.get("path"):
        base = fields["path"][0]
    elif fields.get("uuid"):
        base = _mount_point(fields["uuid"][0])
    else:
        return None
    return os.path.normpath(os.path.join(base, specific)) if specific else os.path.normpath(base)


def _mount_point(uuid: str) -> str:
    try:
        device = os.path.realpath(os.path.join("/dev/disk/by-uuid", uuid))
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) > 1 and os.path.realpath(parts[0]) == device:
                    return parts[1].replace("\\040", " ")
    except OSError:
        pass
    return "/"


def _digikam_row(row):
    identifier, specific, relative, name, rating, pick_tag = row
    base = _digikam_root(identifier, specific)
    if base is None:
        return None  # an album root on a volume photoq cannot name (a removable disk by its UUID)
    folder = os.path.normpath(base + "/" + (relative or "/").strip("/")) if relative not in (None, "/") else base
    rating = None if rating is None or int(rating) < 0 else _rating(rating, 0) or None
    return os.path.join(folder, name), rating, _DIGIKAM_PICKS.get(pick_tag or "", "")


def _lightroom_row(root: str, from_root: str, base: str, extension: str, rating, pick):
    name = base + ("." + extension if extension else "")
    rating = None if rating is None else _rating(rating, 0) or None
    pick = {-1: "rejected", 1: "accepted"}.get(int(float(pick or 0)), "")
    return root + (from_root or "") + name, rating, pick
