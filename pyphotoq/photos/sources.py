"""Find the photos to learn from or to score, and their labels.

Labels come from class subfolders (``good/`` and ``bad/`` at any depth below them), from a
CSV of ``path,label``, or from the original workflow's labels table (columns original,
resized, width, height, hash, label), or, for corrections, from the sidecars a photographer
rated (pyphotoq.photos.ratings). Only files with an image extension are considered.

A RAW file and a JPEG (or HEIC) of the same name in the same folder are one photo taken as
RAW+JPEG: `camera_pairs` keeps the JPEG (the camera's full rendering, far quicker to decode).
Walking a folder (`walk_images`) and finding the pairs (`camera_pairs`) live in
pyphotoq.photos.photo_files, below this module and pyphotoq.photos.ratings, which both need them; they are
still imported from here.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pandas as pd

from ..core.errors import PhotoqError
from ..core.files import decode_path, printable
from .images import IMAGE_EXTENSIONS, is_image_name
from .photo_files import camera_pairs, is_photoq_folder, walk_images  # noqa: F401 (is_photoq_folder: exported)
from ..core.parameters import settings_object
from .ratings import DEFAULT_BAD, DEFAULT_GOOD, parse_rule, rated_photos, sidecar_corrections

def photos_to_score(photos) -> tuple[list[str], str]:
    """(the image files to score, sorted, and the folder that holds them all) from a folder (every
    image below it), one photo file, or a list of files and folders; a PhotoqError naming the
    first path that is not there or not a photo."""
    items = [photos] if isinstance(photos, (str, os.PathLike)) else list(photos)
    if not items:
        raise PhotoqError("No photos to score: the list of paths is empty")
    found: list[str] = []
    folders: list[str] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise PhotoqError(f"photos must be a folder, a photo file or a list of them, got {item!r}")
        path = Path(item).expanduser()
        if path.is_dir():
            found += walk_images(path)
            folders.append(str(path.resolve()))
        elif path.is_file():
            if not is_image_name(path.name):
                raise PhotoqError(f"Not a photo photoq reads: {printable(str(path))} (photos are "
                                  f"{', '.join(sorted(IMAGE_EXTENSIONS))})")
            found.append(str(path.resolve()))
            folders.append(str(path.resolve().parent))
        else:
            raise PhotoqError(f"Photo folder or file not found: {printable(str(path))}")
    found = sorted(dict.fromkeys(found))
    return found, os.path.commonpath(folders)


def _collapse_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (path, label) with RAW+JPEG pairs of one label collapsed, and the pairs table
    (columns used, other) in `frame.attrs["pairs"]`."""
    used, other = [], []
    dropped = pd.Series(False, index=frame.index)
    for label, group in frame.groupby("label", sort=False):
        _, pairs = camera_pairs(group["path"])
        used += list(pairs)
        other += list(pairs.values())
        dropped |= (frame["label"] == label) & frame["path"].isin(set(pairs.values()))
    result = frame[~dropped].reset_index(drop=True)
    result.attrs["pairs"] = pd.DataFrame({"used": used, "other": other}, columns=["used", "other"])
    return result


def labelled_photos(photos, positive: str = "good", negative: str = "bad", exclude=()) -> pd.DataFrame:
    """A table of (path, label) for every photo to cache.

    `photos` is a folder with `positive` and `negative` subfolders, or a CSV file with columns
    path,label (or the original workflow's labels table with columns original,label).
    RAW+JPEG pairs of one label are one photo, the JPEG (camera_pairs); the pairs found are in
    `attrs["pairs"]`, a table with columns used (the JPEG) and other (its RAW).
    """
    source = Path(photos).expanduser()
    if _is_table(source):
        return _both_classes(_collapse_pairs(_from_table(source, positive, negative)), source, positive, negative)
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
    frame = _walk_classes(_class_folders(source, positive, negative), exclude)
    if frame.empty:
        raise PhotoqError(
            f"No photos found in {source}: expected image files "
            f"({', '.join(sorted(IMAGE_EXTENSIONS))}) below '{positive}/' and '{negative}/'"
        )
    return _both_classes(_collapse_pairs(frame), source, positive, negative)


#: How a decision in score_photos' table becomes a label when it is learned from.
DECISION_LABELS = {"keep": "positive", "reject": "negative"}


def corrected_photos(photos, positive: str = "good", negative: str = "bad") -> pd.DataFrame:
    """A table of (path, label) of the photos a user sorted after culling, for learn_corrections.

    `photos` is a folder with `positive` and/or `negative` subfolders (one of them is enough:
    corrections may all go one way), a CSV of path,label, or the table that score_photos wrote
    (a CSV with columns path and decision, edited by the user): its 'keep' rows (or `positive`)
    are `positive`, its 'reject' rows (or `negative`) `negative`, in any case; 'review' and
    'skipped' rows are left out. RAW+JPEG pairs are one photo, as in labelled_photos.

    What a table names but cannot be learned is left out and said in `attrs["left_out"]`, one
    line each: files that are not there, and decisions that are none of those.
    """
    source = Path(photos).expanduser()
    left_out: list[str] = []
    if _is_table(source):
        sep = "\t" if source.suffix.lower() == ".tsv" else ","
        try:
            columns = pd.read_csv(source, sep=sep, nrows=0).columns
        except (OSError, ValueError) as err:
            raise PhotoqError(f"Cannot read the table {source}: {err}") from None
        if "label" in columns:
            frame = _from_table(source, positive, negative)
        elif {"path", "decision"} <= set(columns):
            frame = _from_decisions(source, sep, positive, negative, left_out)
        else:
            raise PhotoqError(
                f"The table {source} needs columns path and label, or path and decision (the scores "
                f"table with its decisions edited); it has: {', '.join(map(str, columns))}"
            )
        there = frame["path"].map(os.path.lexists).to_numpy(dtype=bool)
        if not there.all():
            gone = frame.loc[~there, "path"].tolist()
            left_out.append(f"{len(gone)} photo{'s' if len(gone) > 1 else ''} named in {source} "
                            f"{'are' if len(gone) > 1 else 'is'} not there (first: {gone[0]}): left out")
            frame = frame[there].reset_index(drop=True)
        empty = f"No photos to learn from in {source}" + (f" ({left_out[-1]})" if left_out else "")
    elif not source.is_dir():
        raise PhotoqError(
            f"Corrections not found: {source} (expected a folder with '{positive}/' and/or "
            f"'{negative}/' subfolders, or a CSV of path,label or of path,decision)"
            if not source.exists() else
            f"Expected a folder with '{positive}/' and/or '{negative}/' subfolders, or a CSV, got: {source}"
        )
    else:
        classes = _class_folders(source, positive, negative, both=False)  # one class is enough here
        if classes:
            frame = _walk_classes(classes)
            empty = f"No photos in {' or '.join(str(f) for f in classes.values())}: nothing to learn from"
        else:
            frame = sidecar_corrections(source, positive, negative)
            changed = frame.attrs["changed"]
            left_out += frame.attrs["left_out"]
            left_out.append(f"{len(changed)} photos rated or flagged differently in their sidecars than photoq "
                            f"decided, or rated by you alone (corrections); {len(frame) - len(changed)} as photoq "
                            "decided (accepted)")
            empty = (f"No class folders in {source} and no sidecar photoq wrote a decision into: move the photos "
                     f"you sorted into '{positive}/' and '{negative}/' subfolders of it, or rate them in your "
                     "program after pyphotoq score --xmp")
    frame = _without_conflicts(frame.drop_duplicates(["path", "label"]), source, left_out)
    if frame.empty:
        raise PhotoqError(empty)
    result = _collapse_pairs(frame)
    result.attrs["left_out"] = left_out
    return result


def _without_conflicts(frame: pd.DataFrame, source, left_out: list) -> pd.DataFrame:
    """`frame` (path, label; one row per pair) less the photos it gives two labels, each said in
    one line of `left_out`."""
    twice = frame["path"].duplicated(keep=False)
    for path, rows in frame[twice].groupby("path", sort=True):
        left_out.append(f"{printable(path)} is sorted both {' and '.join(sorted(rows['label']))} in {source}: "
                        "left out")
    return frame[~twice].reset_index(drop=True)


def _from_decisions(table: Path, sep: str, positive: str, negative: str, left_out: list) -> pd.DataFrame:
    try:
        frame = pd.read_csv(table, sep=sep, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as err:
        raise PhotoqError(f"Cannot read the decisions table {table}: {err}") from None
    names = {"positive": positive, "negative": negative}
    labels = {**{d: names[side] for d, side in DECISION_LABELS.items()},
              positive.lower(): positive, negative.lower(): negative}
    decision = frame["decision"].str.strip().str.lower()
    unknown = sorted(set(decision) - set(labels) - {"review", "skipped", ""})
    if unknown:
        rows = int(decision.isin(unknown).sum())
        left_out.append(
            f"{rows} row{'s' if rows > 1 else ''} of {table} with a decision that is not keep, reject, "
            f"{positive} or {negative} ({', '.join(repr(u) for u in unknown[:5])}): left out"
        )
    decided = frame[decision.isin(list(labels))]
    # the scores table writes names as the cache's tables do (files.encode_path); older ones raw
    paths = [_decoded(p) for p in _table_paths(table, decided["path"])]
    result = pd.DataFrame({"path": paths, "label": [labels[d] for d in decision[decision.isin(list(labels))]]},
                          columns=["path", "label"])
    return result[result["path"].map(is_image_name).to_numpy(dtype=bool)].reset_index(drop=True)


def _decoded(path: str) -> str:
    named = decode_path(path)
    return named if named == path or os.path.lexists(named) or not os.path.lexists(path) else path


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


def _is_table(source: Path) -> bool:
    """Whether `source` names a table of photos (a CSV, TSV or TXT file) rather than a folder."""
    return source.is_file() and source.suffix.lower() in (".csv", ".tsv", ".txt")


def _walk_classes(classes: dict[str, Path], exclude=()) -> pd.DataFrame:
    """(path, label) of every photo below each class folder of `classes` ({label: folder})."""
    return pd.DataFrame([(path, label) for label, folder in classes.items() for path in walk_images(folder, exclude)],
                        columns=["path", "label"])


def _class_folders(source: Path, positive: str, negative: str, both: bool = True) -> dict[str, Path]:
    """{label: its subfolder of `source`} (names matched in any case); with `both`, the one-line
    error when either is missing."""
    by_name = {child.name.lower(): child for child in source.iterdir() if child.is_dir()}
    classes = {label: by_name.get(label.lower()) for label in (positive, negative)}
    missing = [label for label, folder in classes.items() if folder is None]
    if not both:
        return {label: folder for label, folder in classes.items() if folder is not None}
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


def _table_paths(table: Path, column: pd.Series) -> list[str]:
    """The paths of a table's column, `~` expanded and relative ones taken from the table's folder."""
    return [str((table.parent / p).resolve()) if not os.path.isabs(p) else p for p in column.map(os.path.expanduser)]


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
    paths = _table_paths(table, frame[path_column])
    labels = frame["label"].str.strip()
    unknown = sorted(set(labels) - {positive, negative})
    if unknown:
        raise PhotoqError(
            f"The labels table {table} has labels other than '{positive}' and '{negative}': "
            f"{', '.join(unknown[:5])}"
        )
    result = pd.DataFrame({"path": paths, "label": labels})
    return result[result["path"].map(is_image_name).to_numpy(dtype=bool)].reset_index(drop=True)


#: Where the labels come from, besides a catalogue file: class folders (or a CSV), or XMP ratings.
LABEL_SOURCES = ("folders", "xmp")


@dataclasses.dataclass(frozen=True)
class Labelling:
    """Where build_cache's labels come from: one object that `build_cache(labels=)` takes, as
    `score_photos` takes a pyphotoq.Culling, so that the cache's own settings stay apart from how
    the photos are labelled.

    source    "folders" (the default): `positive`/`negative` subfolders, or a CSV of path,label;
              "xmp": the ratings in XMP sidecars (else the XMP embedded in the photo); or a
              darktable library.db, digiKam digikam4.db or Lightroom Classic .lrcat file, read
              strictly read-only (pyphotoq.photos.ratings)
    positive  the class of the keepers (their subfolder with "folders")
    negative  the class of the rejects
    good      with ratings: what counts as good, conditions such as "rating>=4, accepted"
    bad       with ratings: what counts as bad, e.g. "rejected, rating<=1"; photos neither rule
              labels are left out, and the build's summary says how many

    Every value is checked when the object is made (one line naming the setting); a catalogue
    file is looked for when the photos are listed. A dict of the same names (what R's
    labelling() sends), or a source alone ("xmp", a catalogue's path), is accepted wherever a
    Labelling is (`Labelling.of`).
    """

    source: str = "folders"
    positive: str = "good"
    negative: str = "bad"
    good: str = DEFAULT_GOOD
    bad: str = DEFAULT_BAD

    def __post_init__(self):
        source = os.fspath(self.source) if isinstance(self.source, os.PathLike) else self.source
        if not isinstance(source, str) or not source.strip():
            raise PhotoqError(f"source must be 'folders', 'xmp' or a catalogue file, got {self.source!r}")
        if source.strip().lower() in LABEL_SOURCES:
            source = source.strip().lower()
        object.__setattr__(self, "source", source)
        for name in ("positive", "negative"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or value != value.strip():
                raise PhotoqError(f"{name} must be the name of a class (a folder's name), got {value!r}")
        if self.positive == self.negative:
            raise PhotoqError(f"positive and negative must differ, both are {self.positive!r}")
        parse_rule(self.good, "good")
        parse_rule(self.bad, "bad")

    @classmethod
    def of(cls, labels) -> "Labelling":
        """`labels` as a Labelling: None gives the defaults (folders), a string or path that
        source, a dict its named settings."""
        if isinstance(labels, (str, os.PathLike)):
            return cls(source=labels)
        return settings_object(cls, labels, "labels", more=", 'folders', 'xmp' or a catalogue file")

    def listing(self, photos, exclude=()) -> pd.DataFrame:
        """The table of (path, label) of `photos` these settings label (labelled_photos, or
        rated_photos with the rules)."""
        if self.source == "folders":
            return labelled_photos(photos, self.positive, self.negative, exclude)
        return rated_photos(photos, self._rated_source(), self.good, self.bad, self.positive, self.negative,
                            exclude)

    def _rated_source(self) -> str:
        """"xmp", or the catalogue file, checked to exist, as a full path."""
        if self.source == "xmp":
            return "xmp"
        path = Path(self.source).expanduser()
        if not path.is_file():
            raise PhotoqError(f"labels: {path} {'is not a file' if path.exists() else 'was not found'}; expected "
                              "'xmp', or a darktable library.db, digiKam digikam4.db or Lightroom .lrcat file")
        return str(path.resolve())
