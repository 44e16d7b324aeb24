"""Labels from the ratings photographers already have: XMP sidecars, the XMP embedded in the photos,
or a darktable, digiKam or Lightroom Classic catalogue (pyphotoq.photos.catalogues), read, never written.

`rated_photos(photos, labels, good, bad)` is the table of (path, label) that `build_cache(labels=)`
caches, with a line per rule of what it labelled and what it left out.

Where a photo's marks come from, with `labels="xmp"`:

* its sidecar: `<name.ext>.xmp` (darktable, digiKam) first, then `<stem>.xmp` for a RAW file
  (Lightroom Classic, Camera Raw); a name differing only in letter case is the same sidecar;
* where it has no sidecar, the XMP packet embedded in the photo (JPEG, TIFF, DNG, HEIC, found by
  the XMP specification's packet scanning). A sidecar wins over the embedded packet, as in the
  programs themselves, which read the sidecar of a photo when there is one.

The marks read: `xmp:Rating` (1..5 stars, 0 none, -1 rejected; darktable writes its reject as -1) and
digiKam's `digiKam:PickLabel` (accepted, pending, rejected). A RAW+JPEG pair is one photo (its JPEG,
as everywhere in photoq); its marks are those of whichever file has them, and a pair whose files
disagree is left out.

Rules (`good`, `bad`): a comma-separated list of conditions, any of which makes the label:
`rating>=4`, `rating=5`, `rating<=1` (`<`, `>`, `=`, `<=`, `>=`; -1..5), `rejected` (rating -1, a
pick label rejected, or the catalogue's reject flag), `accepted` (pick label accepted, or
Lightroom's pick flag), `pending`. A photo that both rules claim, or neither, is left out. The
defaults keep 1 star out of the bad photos on purpose: darktable gives every imported photo one
star unless told otherwise, so one star often means "not yet rated".
"""

from __future__ import annotations

import mmap
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .catalogues import Marks, catalogue_marks
from ..core.errors import PhotoqError
from ..core.files import printable
from .photo_files import camera_pairs, walk_images
from .sidecar_files import MAX_SIDECAR_BYTES, Refused, existing_spelling, read_sidecar, sidecar_paths

if TYPE_CHECKING:
    import pandas as pd

#: The default rules: what counts as good and as bad.
DEFAULT_GOOD = "rating>=4, accepted"
DEFAULT_BAD = "rejected"

#: The columns of the table of where each label came from (the cache's labels.csv).
LABEL_COLUMNS = ["path", "label", "source", "rating", "pick"]

#: A class smaller than this gets a warning in the summary.
TINY_CLASS = 30

_CONDITION = re.compile(r"^rating\s*(<=|>=|=|==|<|>)\s*(-?\d)$")
_FLAGS = ("rejected", "accepted", "pending")


def parse_rule(text, name: str) -> list[tuple[str, str, int]]:
    """The conditions of a rule (`good` or `bad`): a list of (kind, operator, value); a PhotoqError
    naming the part that is not a condition."""
    if not isinstance(text, str) or not text.strip():
        raise PhotoqError(f"{name} must be a rule such as {DEFAULT_GOOD!r}, got {text!r}")
    conditions = []
    for part in text.split(","):
        part = part.strip().lower()
        if part in _FLAGS:
            conditions.append((part, "", 0))
            continue
        match = _CONDITION.match(part)
        if match is None or not -1 <= int(match.group(2)) <= 5:
            raise PhotoqError(
                f"{name}: {part!r} is not a condition; use rating>=N, rating<=N, rating=N (N from -1 to 5), "
                f"{', '.join(_FLAGS)}, separated by commas (e.g. {DEFAULT_GOOD!r})"
            )
        operator = "=" if match.group(1) == "==" else match.group(1)
        conditions.append(("rating", operator, int(match.group(2))))
    return conditions


def matches(conditions, marks: Marks) -> bool:
    """Whether any condition holds for `marks`."""
    for kind, operator, value in conditions:
        if kind == "rejected" and marks.rejected:
            return True
        if kind in ("accepted", "pending") and marks.pick == kind:
            return True
        if kind == "rating" and marks.rating is not None:
            rating = marks.rating
            if ((operator == "=" and rating == value) or (operator == "<" and rating < value)
                    or (operator == ">" and rating > value) or (operator == "<=" and rating <= value)
                    or (operator == ">=" and rating >= value)):
                return True
    return False


def photo_marks(photo: str, listings: dict | None = None) -> Marks | None:
    """The marks of one photo from its sidecar, else from the XMP embedded in it; None when it has
    none. Refused (the reason, without the file name, in `.args[1]` the file) when the XMP it
    would be read from is damaged or hostile."""
    from .xmp_packet import packet_marks

    for sidecar in sidecar_paths(photo):
        sidecar = existing_spelling(sidecar, listings)  # `listings`: folder listings shared by a walk
        try:
            data, _ = read_sidecar(sidecar)
        except Refused as refusal:
            raise Refused(str(refusal), sidecar) from None
        if data is None:
            continue
        try:
            marks = packet_marks(data)
        except Refused as refusal:
            raise Refused(str(refusal), sidecar) from None
        return Marks(marks["rating"], marks["pick"], f"sidecar {os.path.basename(sidecar)}")
    try:
        packet = embedded_packet(photo)
    except OSError as error:
        raise Refused(f"could not be read ({error.strerror or error})", photo) from None
    if packet is None:
        return None
    try:
        marks = packet_marks(packet)
    except Refused as refusal:
        raise Refused(f"its embedded XMP {refusal}", photo) from None
    return Marks(marks["rating"], marks["pick"], "embedded XMP")


def embedded_packet(photo: str) -> bytes | None:
    """The XMP packet embedded in a photo file, or None: found by packet scanning (the XMP
    specification's way for any file format), from `<x:xmpmeta` to its end tag."""
    with open(photo, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size == 0:
            return None
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
            start = data.find(b"<x:xmpmeta")
            if start < 0:
                return None
            end = data.find(b"</x:xmpmeta>", start)
            if end < 0 or end - start > MAX_SIDECAR_BYTES:
                raise Refused("has an embedded XMP packet that does not end (or is too large)")
            return bytes(data[start:end + len(b"</x:xmpmeta>")])


def rated_photos(photos, labels, good: str = DEFAULT_GOOD, bad: str = DEFAULT_BAD, positive: str = "good",
                 negative: str = "bad", exclude=()) -> pd.DataFrame:
    """A table of (path, label) of the photos below the folder `photos` that the rules label from
    their marks; `labels` is "xmp" or a catalogue file (library.db, digikam4.db, .lrcat).

    `attrs["labels"]` is the table of where each label came from (LABEL_COLUMNS), `attrs["lines"]`
    the summary lines (how many each rule labelled, how many were left out and why, the files
    that could not be read), `attrs["pairs"]` the RAW+JPEG pairs (as labelled_photos).
    """
    import pandas as pd

    good_rule, bad_rule = parse_rule(good, "good"), parse_rule(bad, "bad")
    root = Path(photos).expanduser()
    if not root.is_dir():
        raise PhotoqError(f"With labels from ratings, photos must be the folder of your photos; "
                          f"{root} {'is not a folder' if root.exists() else 'was not found'}")
    paths = walk_images(root, exclude)
    if not paths:
        raise PhotoqError(f"No photos found in {root}")
    lines: list[str] = []
    if labels == "xmp":
        marks, problems = _xmp_marks(paths)
        where = "XMP"
    else:
        marks, problems, where = catalogue_marks(labels, root, paths, lines)
    kept, pairs = camera_pairs(paths)
    rows, left, conflicts = [], {"no rating": 0, "neither rule": 0, "both rules": 0, "pair disagrees": 0}, []
    for path in kept:
        files = [path] + ([pairs[path]] if path in pairs else [])
        found = [(file, marks[file]) for file in files if marks.get(file) is not None]
        decided = {}
        for file, mark in found:
            is_good, is_bad = matches(good_rule, mark), matches(bad_rule, mark)
            decided[file] = ("both" if is_good and is_bad else positive if is_good else negative if is_bad
                             else None, mark)
        if not found:
            left["no rating"] += 1
            continue
        verdicts = {verdict for verdict, _ in decided.values()}
        if len(verdicts) > 1:
            left["pair disagrees"] += 1
            conflicts.append(path)
            continue
        verdict, mark = next(iter(decided.values()))
        if verdict == "both":
            left["both rules"] += 1
        elif verdict is None:
            left["neither rule"] += 1
        else:
            rows.append((path, verdict, mark.source, mark.rating, mark.pick))
    table = pd.DataFrame(rows, columns=LABEL_COLUMNS)
    table["rating"] = pd.array(table["rating"], dtype="Int64")
    counts = table["label"].value_counts()
    lines.insert(0, f"Labels from {where}: {counts.get(positive, 0)} {positive} ({good}), "
                    f"{counts.get(negative, 0)} {negative} ({bad}); left out: "
                    + ", ".join(f"{number} {why}" for why, number in left.items() if number or why == "no rating"))
    if conflicts:
        lines.append(f"  RAW+JPEG pairs whose files' marks disagree (left out), e.g. {printable(conflicts[0])}")
    for path, reason in problems[:10]:
        lines.append(f"  left out {printable(path)}: {reason}")
    if len(problems) > 10:
        lines.append(f"  and {len(problems) - 10} more files whose XMP could not be read")
    for label, rule_name in ((positive, "--good"), (negative, "--bad")):
        number = int(counts.get(label, 0))
        if number == 0:
            raise PhotoqError(
                f"No '{label}' photos: none of the {len(kept)} photos in {root} matches the rule "
                f"{good if label == positive else bad!r} ({where}); change it with {rule_name} "
                f"(e.g. {'rating>=3' if label == positive else 'rejected, rating<=1'})"
            )
        if number < TINY_CLASS:
            lines.append(f"  warning: only {number} '{label}' photos; fewer than {TINY_CLASS} of a class make "
                         f"a weak model (widen the rule with {rule_name}, or rate more photos)")
    listing = table[["path", "label"]].copy()
    listing.attrs["labels"] = table
    listing.attrs["lines"] = lines
    listing.attrs["pairs"] = pd.DataFrame({"used": [p for p in pairs if p in set(table["path"])],
                                           "other": [pairs[p] for p in pairs if p in set(table["path"])]},
                                          columns=["used", "other"])
    return listing


def _xmp_marks(paths) -> tuple[dict, list]:
    marks, problems, listings = {}, [], {}
    for path in paths:
        try:
            marks[path] = photo_marks(path, listings)
        except Refused as refusal:
            reason = refusal.args[0]
            named = refusal.args[1] if len(refusal.args) > 1 else path
            problems.append((path, reason if named == path else f"{printable(named)} {reason}"))
    return marks, problems


def sidecar_corrections(photos, positive: str = "good", negative: str = "bad", good: str = DEFAULT_GOOD,
                        bad: str = DEFAULT_BAD):
    """The corrections a photographer made in their own program to the sidecars photoq wrote:
    a table of (path, label) for learn_corrections, with `attrs["changed"]` (the photos whose
    rating or pick now differs from photoq's decision, the corrections proper) and
    `attrs["left_out"]` (lines saying what was not learned).

    A sidecar photoq never wrote into counts when the rules label its rating or pick (a photo
    ask_photos proposed, rated in the photographer's program). Where the photographer's mark
    differs from photoq's decision (photoq:Rating / photoq:PickLabel), the mark that changed decides through the
    rules (a rating changed in Lightroom, which leaves digiKam's pick label as photoq wrote it, is
    read alone). Unchanged sidecars are the shoot as photoq decided it, accepted: keep learns as
    `positive`, reject as `negative`; review photos are left out (as the edited scores table).
    """
    import pandas as pd

    from .xmp_packet import packet_marks

    good_rule, bad_rule = parse_rule(good, "good"), parse_rule(bad, "bad")
    paths = walk_images(photos)
    verdicts: dict[str, tuple[str | None, bool]] = {}  # path: (label or None, changed)
    left_out: list[str] = []
    unreadable = 0
    listings: dict = {}
    for path in paths:
        for sidecar in sidecar_paths(path):
            sidecar = existing_spelling(sidecar, listings)
            try:
                data, _ = read_sidecar(sidecar)
                if data is None:
                    continue
                marks = packet_marks(data)
            except Refused as refusal:
                unreadable += 1
                if unreadable <= 10:
                    left_out.append(f"{printable(sidecar)} {refusal}: left out")
                break
            if marks["photoq_rating"] is None and marks["photoq_pick"] is None:
                # a sidecar photoq never wrote into: the photographer's own rating (a photo that
                # ask_photos proposed, rated in their program) labels it through the rules
                own = Marks(marks["rating"], marks["pick"], "yours")
                is_good, is_bad = matches(good_rule, own), matches(bad_rule, own)
                if is_good != is_bad:
                    verdicts[path] = (positive if is_good else negative, True)
                break
            rating_changed = marks["photoq_rating"] is not None and marks["rating"] != marks["photoq_rating"]
            pick_changed = marks["photoq_pick"] is not None and marks["pick"] != marks["photoq_pick"]
            if rating_changed or pick_changed:
                now = Marks(marks["rating"] if rating_changed else None, marks["pick"] if pick_changed else "",
                            "changed")
                is_good, is_bad = matches(good_rule, now), matches(bad_rule, now)
                verdicts[path] = (positive if is_good and not is_bad else negative if is_bad and not is_good
                                  else None, True)
            else:
                decided = marks["photoq_pick"] or ""
                rating = marks["photoq_rating"]
                label = (positive if decided == "accepted" or (not decided and rating is not None and rating >= 4)
                         else negative if decided == "rejected" or (not decided and rating == -1) else None)
                verdicts[path] = (label, False)
            break
    if unreadable > 10:
        left_out.append(f"and {unreadable - 10} more sidecars that could not be read: left out")
    kept, pairs = camera_pairs(paths)
    rows, changed, neither = [], [], 0
    for path in kept:
        files = [path] + ([pairs[path]] if path in pairs else [])
        found = [verdicts[f] for f in files if f in verdicts]
        if not found:
            continue
        # a file of a pair changed by the photographer rules the pair
        label, was_changed = next((v for v in found if v[1]), found[0])
        if label is None:
            neither += was_changed
            continue
        rows.append((path, label))
        if was_changed:
            changed.append(path)
    if neither:
        left_out.append(f"{neither} photos whose changed rating or pick neither rule labels ({good!r} / {bad!r}): "
                        "left out")
    frame = pd.DataFrame(rows, columns=["path", "label"])
    frame.attrs["changed"] = changed
    frame.attrs["left_out"] = left_out
    return frame
