"""The undo journal of the XMP sidecars photoq writes, and undo itself.

Before the first sidecar changes, `record` writes a complete journal entry (each merged sidecar's
old bytes, mode and checksum, each new sidecar's checksum) into the journal folder, by default
`.photoq-undo` in the photos folder; `undo_sidecars` restores the sidecars of the latest entry not
yet undone. A journal is untrusted input (a photo folder can come from someone else): every
record is checked before anything is done with it (`_checked_record`). What a killed write left
(temporary sidecars, unfinished entries) is removed by the next write or undo (`clean_leftovers`).
"""

from __future__ import annotations

import json
import os
import re
import stat
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..core.errors import PhotoqError
from ..core.files import decode_path, encode_path, fsync_folder, printable, write_atomic
from .sidecar_files import (MAX_SIDECAR_BYTES, READ_FLAGS, Refused, now, read_sidecar, set_mode, sha256_of,
                            sidecar_paths, within)

#: The journal's folder name inside the photos folder (hidden: photoq's photo walker skips it).
JOURNAL_FOLDER = ".photoq-undo"
UNDO_COLUMNS = ["sidecar", "action", "reason", "journal"]
_JOURNAL_FORMAT = "photoq-xmp-journal"


def undo_sidecars(target) -> pd.DataFrame:
    """Undo the latest write recorded in a journal; returns one row per sidecar that write changed.

    `target` is the photos folder (its `.photoq-undo` journal), a journal folder (its latest entry not yet
    undone), or one entry folder (undone even if it was before). A sidecar photoq created is removed; one
    it merged into gets its old bytes and mode back. A sidecar whose checksum is no longer the one photoq
    wrote was edited since, and is left as it is with a one-line reason (its old bytes stay in the
    journal). Columns (UNDO_COLUMNS): sidecar, action ("removed", "restored", "unchanged" or "refused"),
    reason, journal (the entry). The entry is then marked undone, so the next call undoes the write before.

    A journal is untrusted input (a photo folder can come from someone else): undo acts only on
    sidecars (`.xmp`, no link) of photos inside the folder that holds the journal folder, restores
    permission bits only (never setuid, setgid or sticky), and lists every record it refuses.
    Temporary files and unfinished journal entries left by a killed write are removed first; their
    names are in `table.attrs["cleaned"]`.
    """
    entry = _entry_to_undo(Path(os.fspath(target)).expanduser())
    records = _read_journal(entry)
    root = os.path.realpath(entry.parent.parent)
    checked = []
    for record in records:
        try:
            checked.append(_checked_record(record, root))
        except Refused as refusal:
            checked.append((_shown_sidecar(record), None, str(refusal)))
    cleaned = clean_leftovers(entry.parent, {os.path.dirname(c[1]["sidecar"]) for c in checked if c[1]})
    rows = []
    for sidecar, record, problem in checked:
        if record is None:
            action, reason = "refused", f"{printable(sidecar)}: {problem}"
        else:
            try:
                action, reason = _undo_one(entry, record, sidecar)
            except Refused as refusal:
                action, reason = "refused", f"{printable(sidecar)}: {refusal}"
            except OSError as error:
                action, reason = "refused", f"{printable(sidecar)}: could not be restored ({error.strerror or error})"
        rows.append({"sidecar": sidecar, "action": action, "reason": reason, "journal": str(entry)})
    summary = {"undone": now(), "actions": {a: sum(r["action"] == a for r in rows) for a in
                                             ("removed", "restored", "unchanged", "refused")}}
    try:
        write_atomic(entry / "undone.json", json.dumps(summary, indent=1) + "\n")
    except OSError as error:
        raise PhotoqError(f"Undid {printable(entry)} but could not mark it undone ({error.strerror or error}); "
                          f"undoing again repeats it without harm") from None
    table = pd.DataFrame(rows, columns=UNDO_COLUMNS)
    table.attrs["cleaned"] = cleaned
    return table


def clean_leftovers(journal, folders) -> list[str]:
    """Remove what a killed write left: sidecar temporaries (`NAME.xmp.<pid>-<thread>-<id>.tmp`) in
    `folders` and unfinished entries (`.<entry>.partial`) in the `journal` folder, each only when the
    process that made it is gone and it is a plain file or folder (never a link). Returns their names."""
    removed = []
    for folder in sorted(folders):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            match = _SIDECAR_TEMPORARY.match(name)
            path = os.path.join(folder, name)
            if match and not _alive(int(match.group(1))) and _plain(path, stat.S_ISREG):
                try:
                    os.unlink(path)
                    removed.append(path)
                except OSError:
                    pass
    try:
        names = os.listdir(journal)
    except OSError:
        names = []
    for name in names:
        match = _PARTIAL_ENTRY.match(name)
        path = os.path.join(journal, name)
        if match and not _alive(int(match.group(1))) and _plain(path, stat.S_ISDIR):
            _remove_staging(Path(path))
            if not os.path.lexists(path):
                removed.append(path)
    return removed


_SIDECAR_TEMPORARY = re.compile(r"^.+\.xmp\.(\d{1,10})-\d+-[0-9a-f]{8}\.tmp$", re.IGNORECASE)
_PARTIAL_ENTRY = re.compile(r"^\.\d{8}T\d{6}\.\d{6}Z-(\d{1,10})-[0-9a-f]{8}\.partial$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _plain(path: str, kind) -> bool:
    try:
        return kind(os.lstat(path).st_mode)
    except OSError:
        return False


def journal_folder(items: list, photos, journal) -> Path:
    if journal is not None:
        return Path(os.fspath(journal)).expanduser().absolute()
    if photos is not None:
        root = Path(os.fspath(photos)).expanduser().absolute()
        if not root.is_dir():
            raise PhotoqError(f"Photo folder not found: {root}")
        return root / JOURNAL_FOLDER
    try:
        return Path(os.path.commonpath([os.path.dirname(item.photo) for item in items])) / JOURNAL_FOLDER
    except ValueError:
        raise PhotoqError("The photos have no common folder for the undo journal; give photos= or journal=") from None


def record(folder: Path, items: list) -> Path:
    """Write a complete journal entry for `items` (old bytes, modes, checksums) and return its folder."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        raise PhotoqError(f"Refused undo journal {printable(folder)}: it is a symbolic link")
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise PhotoqError(f"Refused undo journal {printable(folder)}: it is not a folder")
    name = f"{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S.%fZ')}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging = folder / f".{name}.partial"
    try:
        if info is None:
            try:
                os.mkdir(folder)
                fsync_folder(folder.parent)
            except FileExistsError:  # another write made it meanwhile: fine if it is a real folder
                if not stat.S_ISDIR(os.lstat(folder).st_mode):
                    raise PhotoqError(f"Refused undo journal {printable(folder)}: it is not a folder") from None
        os.mkdir(staging)
        records = []
        for number, item in enumerate(items, 1):
            record = {"sidecar": encode_path(item.sidecar), "photo": encode_path(item.photo),
                      "action": item.action, "new_sha256": sha256_of(item.new)}
            if item.action == "merge":
                copy = f"{number:06d}.xmp.old"
                write_atomic(staging / copy, item.old)
                record.update(old_sha256=sha256_of(item.old), old_copy=copy, old_mode=item.old_mode)
            records.append(record)
        journal = {"format": _JOURNAL_FORMAT, "version": 1, "created": now(), "sidecars": records}
        write_atomic(staging / "journal.json", json.dumps(journal, indent=1) + "\n")
        os.rename(staging, folder / name)
        fsync_folder(folder)
    except OSError as error:
        _remove_staging(staging)
        raise PhotoqError(f"Refused to write sidecars: the undo journal {printable(folder)} could not be "
                          f"written ({error.strerror or error}); nothing was changed") from None
    return folder / name


def _remove_staging(staging: Path) -> None:
    try:
        for child in staging.iterdir():
            child.unlink()
        staging.rmdir()
    except OSError:
        pass


def _entry_to_undo(target: Path) -> Path:
    if not target.exists():
        raise PhotoqError(f"Nothing to undo: {printable(target)} not found")
    if (target / "journal.json").is_file():
        return target
    folder = target / JOURNAL_FOLDER if (target / JOURNAL_FOLDER).is_dir() else target
    if folder.is_symlink():
        raise PhotoqError(f"Refused undo journal {printable(folder)}: it is a symbolic link")
    entries = sorted(child for child in folder.iterdir() if not child.name.startswith(".")
                     and child.is_dir() and not child.is_symlink() and (child / "journal.json").is_file())
    if not entries:
        raise PhotoqError(f"No photoq undo journal in {printable(target)} (expected {JOURNAL_FOLDER}/ there)")
    pending = [entry for entry in entries if not (entry / "undone.json").exists()]
    if not pending:
        raise PhotoqError(f"Nothing to undo in {printable(folder)}: every write recorded there was undone")
    return pending[-1]


def _read_journal(entry: Path) -> list[dict]:
    path = entry / "journal.json"
    try:
        with os.fdopen(os.open(path, READ_FLAGS), "rb") as stream:
            data = stream.read(_MAX_JOURNAL_BYTES + 1)
        if len(data) > _MAX_JOURNAL_BYTES:
            raise ValueError(f"over {_MAX_JOURNAL_BYTES} bytes")
        journal = json.loads(data.decode("utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise PhotoqError(f"Damaged undo journal {printable(path)}: {error}") from None
    if not isinstance(journal, dict) or journal.get("format") != _JOURNAL_FORMAT \
            or not isinstance(journal.get("sidecars"), list):
        raise PhotoqError(f"Damaged undo journal {printable(path)}: not a photoq sidecar journal")
    return journal["sidecars"]  # each record is checked before it is acted on (_checked_record)


_MAX_JOURNAL_BYTES = 64 * 1024 * 1024
_HEX = re.compile(r"^[0-9a-f]{64}$")
_OLD_COPY = re.compile(r"^\d{6}\.xmp\.old$")
_MAX_PATH = 4096


def _checked_record(record, root: str) -> tuple[str, dict, str]:
    """(sidecar, the record with checked values, "") of one journal record; Refused when it names
    anything but the sidecar of a photo inside `root` or holds values photoq never writes."""
    if not isinstance(record, dict):
        raise Refused("is not a journal record; left alone")
    sidecar, photo = _journal_path(record, "sidecar"), _journal_path(record, "photo")
    if not sidecar.lower().endswith(".xmp"):
        raise Refused("is not an XMP sidecar name; photoq only ever restores or removes sidecars")
    folder = os.path.dirname(sidecar)
    if os.path.dirname(photo) != folder or os.path.basename(sidecar).lower() not in \
            {os.path.basename(name).lower() for name in sidecar_paths(photo)}:
        raise Refused(f"is not a sidecar of {printable(photo)}, the photo the journal names; left alone")
    if not within(root, os.path.realpath(folder)):
        raise Refused(f"is outside {printable(root)}, the folder that holds the journal; left alone")
    action = record.get("action")
    if action not in ("create", "merge"):
        raise Refused(f"has an unknown action {str(action)[:40]!r} in the journal; left as it is")
    checked = {"sidecar": sidecar, "photo": photo, "action": action, "new_sha256": _digest(record, "new_sha256")}
    if action == "merge":
        copy, mode = record.get("old_copy"), record.get("old_mode")
        if not isinstance(copy, str) or not _OLD_COPY.match(copy):
            raise Refused("has a damaged journal record (old_copy); left as it is")
        if mode is not None and (isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777):
            raise Refused(f"has a damaged journal record (old_mode {str(mode)[:24]}); left as it is")
        # permission bits only: photoq never sets setuid, setgid or sticky bits
        checked.update(old_sha256=_digest(record, "old_sha256"), old_copy=copy,
                       old_mode=None if mode is None else mode & 0o777)
    return sidecar, checked, ""


def _journal_path(record: dict, key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value or len(value) > _MAX_PATH:
        raise Refused(f"has a damaged journal record ({key}); left alone")
    path = decode_path(value)
    if "\x00" in path:
        raise Refused(f"has a NUL byte in its {key} path in the journal; left alone")
    if not os.path.isabs(path) or os.path.normpath(path) != path:
        raise Refused(f"has a {key} path that is not absolute and plain in the journal; left alone")
    return path


def _digest(record: dict, key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not _HEX.match(value):
        raise Refused(f"has a damaged journal record ({key}); left as it is")
    return value


def _shown_sidecar(record) -> str:
    """The sidecar a refused record names, as text for its row (whatever the record holds)."""
    value = record.get("sidecar") if isinstance(record, dict) else None
    if not isinstance(value, str):
        return repr(value)[:80]
    try:
        return decode_path(value[:_MAX_PATH]).replace("\x00", "%00")
    except (ValueError, UnicodeError):
        return value[:80]



def _undo_one(entry: Path, record: dict, sidecar: str) -> tuple[str, str]:
    """Undo one sidecar (a record checked by _checked_record); returns (action, reason)."""
    action = record["action"]
    copy = entry / str(record.get("old_copy", ""))
    kept = f"; the copy from before photoq is {printable(copy)}" if action == "merge" else ""
    try:
        current, _ = read_sidecar(sidecar)
    except Refused as refusal:
        raise Refused(f"{refusal}; left as it is{kept}") from None
    if current is None:
        if action == "create":
            return "unchanged", ""
        raise Refused(f"was removed since photoq wrote it; nothing restored{kept}")
    digest = sha256_of(current)
    if action == "merge" and digest == record.get("old_sha256"):
        return "unchanged", ""
    if digest != record.get("new_sha256"):
        raise Refused(f"was edited since photoq wrote it (its checksum differs); left as it is{kept}")
    if action == "create":
        os.unlink(sidecar)
        fsync_folder(os.path.dirname(sidecar))
        return "removed", ""
    try:
        with os.fdopen(os.open(copy, READ_FLAGS), "rb") as stream:  # never through a link
            old = stream.read(MAX_SIDECAR_BYTES + 1)
    except OSError as error:
        raise Refused(f"its copy in the journal cannot be read ({error.strerror or error}); left as it is") from None
    if sha256_of(old) != record.get("old_sha256"):
        raise Refused(f"its copy {printable(copy)} in the journal is damaged; left as it is")
    write_atomic(sidecar, old)
    if record.get("old_mode") is not None:
        set_mode(sidecar, record["old_mode"])
    return "restored", ""
