"""XMP sidecars that Lightroom, darktable and digiKam read: photoq's ratings and picks, merged, with undo.

Photographers cull in Lightroom Classic, darktable or digiKam, which read star ratings and pick/reject
marks from XMP sidecar files beside the photos. This module writes photoq's decisions into those
sidecars without ever touching a photo, keeps everything else a sidecar holds, and can take it all back.

Public functions (tables are pandas DataFrames):

* `plan_sidecars(decisions)`: what a write would do, sidecar by sidecar; reads, writes nothing (`--dry-run`).
* `write_sidecars(decisions, photos=None, journal=None)`: does it, after recording an undo journal.
* `undo_sidecars(target)`: restores, byte for byte, every sidecar the latest write changed
  (pyphotoq.photos.xmp_journal, which also keeps the journal; sidecar names and safe reads are in
  pyphotoq.photos.sidecar_files).
* `sidecar_paths(photo)`: the sidecar names photoq writes for one photo.

Sidecar names (checked against darktable's and digiKam's documentation and issue trackers):

* darktable and digiKam read `<file name with extension>.xmp` (`IMG_0001.CR2.xmp`, `IMG_0001.JPG.xmp`);
  digiKam's "keep image extension in XMP sidecar name" setting is on by default.
* Lightroom Classic (and Bridge / Camera Raw) read `<stem>.xmp` (`IMG_0001.xmp`), for proprietary RAW
  files only; for JPEG, TIFF, HEIC and (mostly) DNG they read the XMP embedded in the photo, which photoq
  never writes because originals are never written.
* Rule: a RAW file (DNG included, RAW_EXTENSIONS) gets both names, any other photo `<name.ext>.xmp`; the
  `pair` of a RAW+JPEG pair gets its own sidecars with the same marks. An existing sidecar whose name
  differs only in letter case (`IMG_0001.XMP`) is the one merged into. Two decisions that disagree about
  one sidecar (`IMG_0001.xmp` of `IMG_0001.CR2` and `IMG_0001.NEF`) leave it alone.

Tags:

* `xmp:Rating` (http://ns.adobe.com/xap/1.0/): 1..5 stars, 0 no rating, -1 rejected (the XMP
  specification's reject value, which darktable reads as rejected).
* `digiKam:PickLabel` (http://www.digikam.org/ns/1.0/): 0 none, 1 rejected, 2 pending, 3 accepted
  (digiKam's PickLabel enumeration).
* photoq's own marks, namespace `PHOTOQ_NS` (prefix `photoq`): `photoq:Rating` and `photoq:PickLabel`
  hold photoq's latest decision (the values it wants in `xmp:Rating` and `digiKam:PickLabel`),
  `photoq:Score`, `photoq:Rule` and `photoq:Photo` (the file the decision was made for). A reader
  tells photoq's marks from a person's by comparing: where `xmp:Rating` differs from `photoq:Rating`,
  the rating is the person's (given before photoq, or changed after it), and photoq leaves it.

Ratings a person gave are theirs: `xmp:Rating` (other than 0) or `digiKam:PickLabel` (other than none)
that a sidecar held before photoq ever wrote into it, or that was changed since, is never lowered or
replaced; photoq's decision then goes into its own namespace only, and the plan's reason says what
was kept. `replace_ratings=True` replaces them (journalled: undo restores them).

Merging: an existing sidecar is edited in place as text: only the values of the tags above change or are
added (as attributes of the first top-level `rdf:Description`, with namespace declarations where
needed); every other byte (namespaces and their prefixes, comments, the xpacket wrapper, darktable's
history, keywords, labels, layout) stays as it was. Tags are found both as attributes of a top-level
`rdf:Description` and as its child elements. A sidecar that is not UTF-8, not well-formed XML, has a
DOCTYPE, is not XMP, or holds one of these tags twice or in a nested form is refused with a one-line reason;
every other sidecar proceeds. A new sidecar is a minimal XMP packet (`<?xpacket begin=...?>` wrapper,
`x:xmpmeta` > `rdf:RDF` > `rdf:Description`).

Safety: photos are never opened for writing, moved or deleted. Sidecars are written through
`pyphotoq.core.files.write_atomic` (temporary name in the same folder, fsync, rename, fsync the folder); a
sidecar path that is a symbolic link, a folder or anything but a regular file is refused, never written
through. Before the first sidecar changes, the journal (by default the hidden folder `.photoq-undo` in
the photos folder, which photoq's photo walker skips) gets one new entry holding each merged sidecar's
old bytes, mode and checksum and each new sidecar's checksum. Every write that changes something adds
an entry; a write that changes nothing adds none. `undo_sidecars` undoes the latest entry not yet undone
and marks it undone, so calling it again undoes the write before (a stack); an entry folder can also be
named to undo it explicitly. A sidecar edited since photoq wrote it (checksum differs) is not undone:
it is reported, and its old bytes stay in the journal.

Pitfalls in the applications:

* darktable treats its library as the master copy: for photos already imported it only picks the
  sidecars up with "look for updated XMP files on startup" (preferences > storage) and a choice to
  reload them, and it rewrites sidecars from its library when it edits a photo.
* Lightroom Classic reads sidecars on import; for photos already in a catalog use Metadata > "Read
  Metadata from Files". Its pick/reject flags live only in the catalog, so photoq's reject reaches it
  only as `xmp:Rating` -1. digiKam reads sidecars when its metadata settings allow reading them.
"""

from __future__ import annotations

import math
import numbers
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import PhotoqError
from ..core.files import printable, write_atomic
from .sidecar_files import (MAX_SIDECAR_BYTES, RAW_EXTENSIONS, Refused, existing_spelling, read_sidecar, set_mode,
                            sha256_of, sidecar_paths, within)
from .xmp_journal import JOURNAL_FOLDER, UNDO_COLUMNS, clean_leftovers, journal_folder, record, undo_sidecars
from .xmp_packet import (
    XMP_NS,
    DIGIKAM_NS,
    PHOTOQ_NS,
    PICK_LABELS,
    _PICK_NAMES,
    _RATING,
    _PICK,
    _Q_RATING,
    _Q_PICK,
    _Q_SCORE,
    _Q_RULE,
    _Q_PHOTO,
    _SHORT,
    _NEW_PACKET,
    _scan,
    packet_marks,
    _number,
    _edit,
    _clean,
)

__all__ = ["XMP_NS", "DIGIKAM_NS", "PHOTOQ_NS", "JOURNAL_FOLDER", "RAW_EXTENSIONS", "PICK_LABELS", "PLAN_COLUMNS",
           "WRITE_COLUMNS", "UNDO_COLUMNS", "MAX_SIDECAR_BYTES", "sidecar_paths", "plan_sidecars", "write_sidecars",
           "undo_sidecars", "clean_leftovers", "packet_marks"]


PLAN_COLUMNS = ["sidecar", "photo", "action", "rating_before", "rating_after", "pick_before", "pick_after",
                "reason"]
WRITE_COLUMNS = [*PLAN_COLUMNS, "written", "journal"]


# ---- public API --------------------------------------------------------------------------------


def plan_sidecars(decisions: pd.DataFrame, photos=None, replace_ratings: bool = False) -> pd.DataFrame:
    """What `write_sidecars` would do, one row per sidecar, without writing anything (the dry run).

    `decisions` has one row per photo: `path` (the photo), `rating` (-1 reject, 0 none, 1..5 stars),
    `pick` ("accepted", "pending", "rejected" or "" for none), and optionally `pair` (the other file of a
    RAW+JPEG pair, or ""), `score` (a number) and `rule` (text: which rule decided), which are recorded in
    photoq's namespace. A rating or pick a person gave (one photoq did not write: see the module's
    help) is kept, and the table's `attrs["kept"]` counts the photos whose own marks were kept;
    `replace_ratings` replaces them too (still journalled, so undo restores them). The result has
    the columns of PLAN_COLUMNS: sidecar, photo (the file the sidecar
    belongs to), action ("create", "merge", "unchanged" or "refused"), rating and pick before and after
    (rating as a nullable integer, NA where the sidecar has none; pick as its name), and reason (one line
    naming the file: why it is refused, or what was kept; "" otherwise). Existing sidecars are read,
    never written; photos are not opened. With `photos` (the folder scored), a sidecar goes beside its
    photo only when the photo's real folder is inside it (a photo reached through a linked folder
    that leads outside is refused).
    """
    return _table(_plan(decisions, photos, replace_ratings))


def write_sidecars(decisions: pd.DataFrame, photos=None, journal=None, replace_ratings: bool = False) -> pd.DataFrame:
    """Write photoq's decisions into XMP sidecars, merged into existing ones; returns the plan's table.

    The table has the columns of WRITE_COLUMNS: the plan's, plus `written` (True where the sidecar was
    written) and `journal` (the undo entry's folder, "" when nothing changed). `journal` is the journal
    folder, by default `.photoq-undo` in `photos`, which defaults to the folder holding all the photos.
    The journal entry is complete before any sidecar changes; if it cannot be written, PhotoqError is
    raised and nothing is written. A sidecar that cannot be written gets a one-line reason and the rest
    proceed. Writing the same decisions again changes nothing (every action "unchanged", no new entry).
    """
    items = _plan(decisions, photos, replace_ratings)
    changing = [item for item in items if item.action in ("create", "merge")]
    entry = ""
    cleaned: list[str] = []
    if changing:
        folder = journal_folder([item for item in items if item.photo], photos, journal)
        cleaned = clean_leftovers(folder, {os.path.dirname(item.sidecar) for item in changing})
        entry = str(record(folder, changing))
        for item in changing:
            try:
                _apply(item)
                item.written = True
            except Refused as refusal:
                item.reason = f"{printable(item.sidecar)}: {refusal}"
            except OSError as error:
                item.reason = f"{printable(item.sidecar)}: could not be written ({error.strerror or error})"
    table = _table(items)
    table["written"] = [item.written for item in items]
    table["journal"] = entry
    table.attrs["cleaned"] = cleaned
    return table


# ---- planning ----------------------------------------------------------------------------------


@dataclass
class _Item:
    """One sidecar to touch: what is there, what photoq wants there, and the bytes that result."""

    sidecar: str
    photo: str
    rating: int = 0
    pick: str = ""
    score: str | None = None
    rule: str | None = None
    source: str = ""
    action: str = "refused"
    reason: str = ""
    rating_before: int | None = None
    rating_after: int | None = None
    pick_before: str | None = None
    pick_after: str | None = None
    old: bytes | None = None
    old_mode: int | None = None
    new: bytes | None = None
    written: bool = False
    replace: bool = False  # replace a rating or pick a person gave (replace_ratings)
    kept: bool = False  # a rating or pick a person gave was kept


def _plan(decisions, photos=None, replace_ratings: bool = False) -> list[_Item]:
    if not isinstance(replace_ratings, (bool, np.bool_)):
        raise PhotoqError(f"replace_ratings must be TRUE or FALSE, got {replace_ratings!r}")
    if not isinstance(decisions, pd.DataFrame):
        raise PhotoqError(f"decisions must be a table (pandas DataFrame), got {type(decisions).__name__}")
    missing = [column for column in ("path", "rating", "pick") if column not in decisions.columns]
    if missing:
        raise PhotoqError(f"decisions lacks the column(s) {', '.join(missing)} (needs path, rating, pick)")
    items: dict[str, _Item] = {}
    order: list[_Item] = []
    photos_named = set()
    listings: dict[str, dict[str, list[str]]] = {}
    for row in decisions.to_dict("records"):
        path = _text(row.get("path"))
        if not path:
            order.append(_Item(sidecar="", photo="", reason="a decision without a photo path: skipped"))
            continue
        path = os.path.abspath(path)
        photos_named.add(path)
        pair = _text(row.get("pair"))
        files = [path] + ([os.path.abspath(pair)] if pair else [])
        photos_named.update(files)
        try:
            wanted = _decision(row)
            problem = ""
        except Refused as refusal:
            wanted, problem = None, str(refusal)
        for photo in files:
            for sidecar in sidecar_paths(photo):
                sidecar = existing_spelling(sidecar, listings)
                item = items.get(sidecar)
                if item is not None:
                    if item.action != "refused" and (wanted is None or (item.rating, item.pick) != wanted[:2]):
                        item.reason = (f"{printable(sidecar)}: the decisions for {printable(item.source)} and "
                                       f"{printable(path)} disagree; left as it is")
                        item.action = "refused"
                    continue
                item = _Item(sidecar=sidecar, photo=photo, source=path, replace=bool(replace_ratings))
                items[sidecar] = item
                order.append(item)
                if wanted is None:
                    item.reason = f"{printable(sidecar)}: {problem}"
                    continue
                item.rating, item.pick, item.score, item.rule = wanted
                item.action = "pending"
    root = None if photos is None else os.path.realpath(os.fspath(Path(os.fspath(photos)).expanduser()))
    for item in order:
        if item.action != "pending":
            continue
        try:
            if item.sidecar in photos_named:
                raise Refused("is one of the photos; photos are never written")
            if root is not None and not within(root, os.path.realpath(os.path.dirname(item.sidecar))):
                raise Refused(f"its photo's real folder {printable(os.path.realpath(os.path.dirname(item.photo)))} "
                               f"is outside {printable(root)}, the folder scored; photoq writes sidecars "
                               "only inside it")
            _check_photo(item.photo)
            _prepare(item)
        except Refused as refusal:
            item.action, item.reason = "refused", f"{printable(item.sidecar)}: {refusal}"
        except OSError as error:
            item.action = "refused"
            item.reason = f"{printable(item.sidecar)}: could not be read ({error.strerror or error})"
    return order


def _decision(row) -> tuple[int, str, str | None, str | None]:
    """(rating, pick, score text or None, rule or None) of one row, or Refused naming what is wrong."""
    rating = row.get("rating")
    if _boolean(rating) or not isinstance(rating, numbers.Real) or not math.isfinite(float(rating)) \
            or float(rating) != int(rating) or not -1 <= int(rating) <= 5:
        raise Refused(f"rating must be a whole number from -1 to 5, got {rating!r}")
    pick = row.get("pick")
    pick = "" if _missing(pick) else pick
    if not isinstance(pick, str) or pick.strip().lower() not in PICK_LABELS:
        raise Refused(f"pick must be one of accepted, pending, rejected or empty, got {pick!r}")
    score = row.get("score")
    if _missing(score):
        score_text = None
    elif _boolean(score) or not isinstance(score, numbers.Real) or not math.isfinite(float(score)):
        raise Refused(f"score must be a finite number, got {score!r}")
    else:
        score_text = format(float(score), ".6g")
    rule = _text(row.get("rule")) or None
    return int(rating), pick.strip().lower(), score_text, rule


def _prepare(item: _Item) -> None:
    """Read the sidecar (if any) and work out its new bytes, action and before/after values."""
    item.old, item.old_mode = read_sidecar(item.sidecar)
    packet = _scan(item.old if item.old is not None else _NEW_PACKET)
    rating_now = _number(packet, _RATING)
    pick_now = _number(packet, _PICK)
    if pick_now is not None and pick_now not in _PICK_NAMES:
        raise Refused(f"has digiKam:PickLabel {pick_now}, which is not 0 to 3")
    item.rating_before, item.pick_before = rating_now, _PICK_NAMES.get(pick_now or 0)
    changes: dict[tuple[str, str], str | None] = {}
    notes = []
    for key, mark, now, wanted in ((_RATING, _Q_RATING, rating_now, item.rating),
                                   (_PICK, _Q_PICK, pick_now, PICK_LABELS[item.pick])):
        recorded = _number(packet, mark)
        if recorded != wanted:
            changes[mark] = str(wanted)  # photoq's own decision, in its own namespace, always
        if now == wanted:
            continue
        if recorded is not None and now != recorded and not item.replace:
            notes.append(f"kept {_SHORT[key]} {'none' if now is None else now}, changed since photoq wrote {recorded}")
            item.kept = True
            continue
        if recorded is None and now not in (None, 0) and not item.replace:
            notes.append(f"kept your {_SHORT[key]} {_shown(key, now)} (photoq's would be {_shown(key, wanted)})")
            item.kept = True
            continue
        changes[key] = str(wanted)
    for key, wanted in ((_Q_SCORE, item.score), (_Q_RULE, item.rule), (_Q_PHOTO, os.path.basename(item.source))):
        present = packet.props.get(key)
        if (present.value if present is not None else None) != (None if wanted is None else _clean(wanted)):
            changes[key] = wanted
    new = _edit(packet, changes) if changes else packet.data
    check = _scan(new)
    for key, wanted in changes.items():
        found = check.props.get(key)
        if (found.value if found is not None else None) != (None if wanted is None else _clean(wanted)):
            raise Refused("could not be merged safely (photoq's check of its own edit failed); left as it is")
    rating_after, pick_after = _number(check, _RATING), _number(check, _PICK)
    item.rating_after, item.pick_after = rating_after, _PICK_NAMES.get(pick_after or 0)
    item.new = new
    if item.old is None:
        item.action = "create"
    elif new == item.old:
        item.action = "unchanged"
    else:
        item.action = "merge"
    if notes:
        item.reason = f"{printable(item.sidecar)}: " + "; ".join(notes)


def _shown(key, value: int) -> str:
    return _PICK_NAMES.get(value, str(value)) or "none" if key == _PICK else str(value)


def _table(items: list[_Item]) -> pd.DataFrame:
    table = pd.DataFrame({
        "sidecar": [item.sidecar for item in items],
        "photo": [item.photo for item in items],
        "action": [item.action for item in items],
        "rating_before": pd.array([item.rating_before for item in items], dtype="Int64"),
        "rating_after": pd.array([item.rating_after for item in items], dtype="Int64"),
        "pick_before": [item.pick_before for item in items],
        "pick_after": [item.pick_after for item in items],
        "reason": [item.reason for item in items],
    }, columns=PLAN_COLUMNS)
    # photos (not sidecars) whose own rating or pick was kept
    table.attrs["kept"] = len({item.source for item in items if item.kept})
    return table


def _check_photo(photo: str) -> None:
    try:
        info = os.stat(photo)
    except OSError:
        raise Refused(f"its photo {printable(photo)} was not found") from None
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"its photo {printable(photo)} is not a file")


# ---- reading and editing an XMP packet as text ---------------------------------------------------


# ---- writing, the journal, undo --------------------------------------------------------------


def _apply(item: _Item) -> None:
    """Write one sidecar, after checking that it is still what the plan read."""
    old, _ = read_sidecar(item.sidecar)
    if item.action == "create" and old is not None:
        raise Refused("appeared while photoq was writing; left as it is")
    if item.action == "merge" and (old is None or sha256_of(old) != sha256_of(item.old)):
        raise Refused("changed while photoq was writing; left as it is")
    write_atomic(item.sidecar, item.new)
    if item.old_mode is not None:
        set_mode(item.sidecar, item.old_mode)


# ---- small helpers --------------------------------------------------------------------------------


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, numbers.Real) and not _boolean(value) and math.isnan(float(value))


def _boolean(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _text(value) -> str:
    """A table cell as text: "" for a missing value."""
    if _missing(value):
        return ""
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value).strip()
