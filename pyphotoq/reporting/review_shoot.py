"""The shoot behind the review page: its scores table, the photographer's decisions, thumbnails.

`review(run, photos)` scores a shoot (or reads the scores table a review of it wrote before),
then serves the page (pyphotoq.reporting.review_server) until the photographer presses Done. The server
reads and changes a `Shoot`; this module owns what a decision does:

* every key the photographer presses is one decision, written at once: the scores table is
  rewritten atomically (its `rule` says "you", so that the table is the record of who decided
  what), and with `xmp` the photo's sidecars are written through the undo journal (pyphotoq.photos.xmp,
  one journal entry per decision, so `undo` steps back through them);
* the table is where a review resumes: a page reloaded, a second tab or a server started again on
  the same shoot read it, and every tab sees the others' decisions (a version number per change);
* thumbnails (480 pixels wide) and the sharpest region of each photo (where the compare view zooms
  to 100%) are made once, kept beside the run in RUN/review/thumbs and named by the photo's path,
  size and time, so a shoot opened again makes none; the photos themselves are read, never written.

Keys and what they set (the scores table's decision, rating and pick, as score_photos writes them):
P keep (accepted, the photo's stars kept, else 4), X reject (-1, rejected), U review (pending, the
stars kept, else 2), 0-5 stars (a rejected photo given stars goes back to review).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from ..workflow.culling import PICKS, RATINGS
from ..core.errors import PhotoqError
from ..core.files import decode_path, printable, write_atomic
from ..core.outputs import check_output, own_folder
from ..core.progress import tqdm
from ..models.runs import Run, open_run

#: The rule a decision made on the page carries in the scores table.
PERSON_RULE = "you (review page)"
#: Thumbnails' width in pixels (sharp on a 4K screen's grid of 6 across).
THUMB_WIDTH = 480
#: Photos taken more than this many seconds apart start a new scene on the page.
SCENE_SECONDS = 30.0
KEYS = {"p": "keep", "x": "reject", "u": "review"}


class Shoot:
    """A shoot under review: the table, its decisions, its thumbnails (see the module)."""

    def __init__(self, run: Run, table: pd.DataFrame, table_path: Path, facts: dict, xmp: bool = False,
                 progress: bool | None = None):
        self.run = run
        self.table_path = table_path
        self.facts = facts  # lines, drift, folder (the folder scored)
        self.xmp = xmp
        self.lock = threading.Lock()
        self.version = 0
        self.changed: dict[int, int] = {}  # row -> version of its last change
        table = table.reset_index(drop=True)
        self.table = table
        self.photos = self._layout(table)
        self.thumbs = own_folder(run.path, "review/thumbs")
        self.full = own_folder(run.path, "review/full")
        self._make_thumbnails(progress)

    # ---- what the page reads --------------------------------------------------------------

    def _layout(self, table: pd.DataFrame) -> list[dict]:
        """The photos in the order the page shows them (by capture time, then name), with their
        scene and burst."""
        taken = pd.to_datetime(table.get("taken", pd.Series([""] * len(table))), errors="coerce",
                               format="%Y-%m-%d %H:%M:%S")
        order = sorted(range(len(table)), key=lambda i: (pd.isna(taken[i]), taken[i] if not pd.isna(taken[i])
                                                          else pd.Timestamp(0), str(table.at[i, "path"])))
        scene, last, folder = 0, None, None
        photos = []
        for position, i in enumerate(order):
            here = os.path.dirname(str(table.at[i, "path"]))
            gap = (taken[i] - last).total_seconds() if last is not None and not pd.isna(taken[i]) else None
            if position and (gap is None or gap > SCENE_SECONDS or here != folder):
                scene += 1
            last, folder = (taken[i] if not pd.isna(taken[i]) else None), here
            photos.append({"id": int(i), "scene": scene})
        return photos

    def row(self, i: int) -> dict:
        """What the page shows of photo `i`."""
        row = self.table.loc[i]

        def text(name):
            value = row.get(name, "")
            return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)

        def number(name):
            try:
                value = float(row.get(name))
            except (TypeError, ValueError):
                return None
            return None if np.isnan(value) else value

        rating = number("rating")
        return {"id": int(i), "name": os.path.basename(text("path")), "path": text("path"),
                "score": number("score"), "decision": text("decision"), "rating": None if rating is None else int(rating),
                "pick": text("pick"), "rule": text("rule"), "reason": text("reason"), "burst": text("burst"),
                "best": text("best_in_burst").lower() in ("true", "1"), "taken": text("taken"),
                "by_you": text("rule") == PERSON_RULE}

    def listing(self) -> dict:
        """Everything the page needs to draw the shoot."""
        with self.lock:
            photos = [{**self.row(p["id"]), "scene": p["scene"], "focus": self.focus.get(p["id"], [0.5, 0.5])}
                      for p in self.photos]
            return {"version": self.version, "photos": photos, **self.facts, "table": str(self.table_path),
                    "xmp": self.xmp, "run": str(self.run.path)}

    def changes(self, since: int) -> dict:
        """The photos changed after version `since` (another tab's decisions)."""
        with self.lock:
            rows = [self.row(i) for i, version in self.changed.items() if version > since]
            return {"version": self.version, "photos": rows}

    # ---- decisions ------------------------------------------------------------------------

    def decide(self, i: int, key: str) -> dict:
        """Photo `i` after the key `key` (p, x, u or a digit 0-5); written at once."""
        key = str(key).lower()
        with self.lock:
            self._check_row(i)
            rating = self.table.at[i, "rating"]
            stars = int(rating) if pd.notna(rating) and int(rating) >= 1 else None
            decision = self.table.at[i, "decision"]
            if key in KEYS:
                decision = KEYS[key]
                rating = -1 if decision == "reject" else (stars or RATINGS[decision])
            elif key.isdigit() and len(key) == 1 and int(key) <= 5:
                rating = int(key)
                if decision == "reject" and rating >= 1 or decision == "skipped":
                    decision = "review"
                if decision == "reject":
                    rating = -1  # 0 stars on a rejected photo: it stays rejected
            else:
                raise PhotoqError(f"Unknown key {key!r}: use P, X, U or 0 to 5")
            return self._set(i, decision, int(rating), PICKS[decision], PERSON_RULE)

    def restore(self, i: int, decision: str, rating, pick: str, rule: str) -> dict:
        """Photo `i` as it was before (the page's undo): decision, rating, pick and rule."""
        if decision not in RATINGS or pick not in PICKS.values():
            raise PhotoqError(f"Cannot restore decision {decision!r} with pick {pick!r}")
        try:
            rating = int(rating)
        except (TypeError, ValueError):
            raise PhotoqError(f"Cannot restore rating {rating!r}") from None
        if not -1 <= rating <= 5:
            raise PhotoqError(f"Cannot restore rating {rating}")
        with self.lock:
            self._check_row(i)
            return self._set(i, decision, rating, pick, str(rule)[:200])

    def _check_row(self, i: int) -> None:
        if not isinstance(i, (int, np.integer)) or not 0 <= i < len(self.table):
            raise PhotoqError(f"No photo {i!r} in this shoot")
        if self.table.at[i, "decision"] == "skipped":
            raise PhotoqError(f"{printable(self.table.at[i, 'path'])} was skipped when scored: nothing to decide")

    def _set(self, i: int, decision: str, rating: int, pick: str, rule: str) -> dict:
        before = self.table.loc[i, ["decision", "rating", "pick", "rule"]].copy()
        self.table.loc[i, ["decision", "rating", "pick", "rule"]] = [decision, rating, pick, rule]
        try:
            self._write_table(i)
        except (OSError, PhotoqError):
            self.table.loc[i, ["decision", "rating", "pick", "rule"]] = before.to_list()
            self._lines = None
            raise
        problem = self._write_sidecar(i) if self.xmp else ""
        self.version += 1
        self.changed[i] = self.version
        return {**self.row(i), "version": self.version, "problem": problem}

    def _write_table(self, row: int | None = None) -> None:
        """The whole table, written atomically; only row `row` rendered again (the others' lines
        are kept from the last write: a key on a 2,000-photo shoot costs one line, not 2,000)."""
        from ..core.outputs import write_output
        from ..workflow.scoring import scores_text

        lines = getattr(self, "_lines", None)
        if lines is None or row is None:
            text = scores_text(self.table)
            lines = text.splitlines(keepends=True)
            self._lines = lines if len(lines) == len(self.table) + 1 else None  # a line per row, or none kept
        else:
            line = scores_text(self.table.loc[[row]], header=False)
            if line.count("\n") != 1:  # a text with a line break in it: render everything
                self._lines = None
                return self._write_table()
            lines[row + 1] = line
            text = "".join(lines)
        write_output(self.table_path, text, "table", "review table")

    def _write_sidecar(self, i: int) -> str:
        """The photo's sidecars with its new decision (journalled); '' or the reason it was not."""
        from ..photos.xmp import write_sidecars

        columns = [c for c in ("path", "rating", "pick", "pair", "score", "rule") if c in self.table.columns]
        decision = self.table.loc[[i], columns].copy()
        decision["rating"] = decision["rating"].astype(int)
        if "pair" in decision:
            decision["pair"] = decision["pair"].fillna("").astype(str)
        written = write_sidecars(decision, photos=self.facts.get("folder") or None, replace_ratings=True)
        refused = written[written["action"] == "refused"]
        return "; ".join(refused["reason"]) if len(refused) else ""

    # ---- thumbnails and the photos at 100% ------------------------------------------------

    def _key(self, i: int) -> str:
        path = str(self.table.at[i, "path"])
        try:
            info = os.stat(path)
            stamp = f"{info.st_size}:{info.st_mtime_ns}"
        except OSError:
            stamp = "gone"
        return hashlib.sha256(f"{os.path.realpath(path)}\0{stamp}".encode("utf-8", "surrogateescape")).hexdigest()[:24]

    def thumbnail(self, i: int) -> Path | None:
        self._check_index(i)
        file = self.thumbs / f"{self._key(i)}.jpg"
        return file if file.is_file() else None

    def _check_index(self, i: int) -> None:
        if not isinstance(i, (int, np.integer)) or not 0 <= i < len(self.table):
            raise PhotoqError(f"No photo {i!r} in this shoot")

    def _make_thumbnails(self, progress) -> None:
        """Each photo's thumbnail and its sharpest region, made once (see the module)."""
        focus_file = self.thumbs / "focus.json"
        try:
            known = json.loads(focus_file.read_text()) if focus_file.is_file() else {}
            known = {str(k): [float(v[0]), float(v[1])] for k, v in known.items()} if isinstance(known, dict) else {}
        except (OSError, ValueError, TypeError, IndexError):
            known = {}  # a damaged index is made again
        keys = {i: self._key(i) for i in range(len(self.table)) if self.table.at[i, "decision"] != "skipped"}
        todo = [i for i, key in keys.items() if key not in known or not (self.thumbs / f"{key}.jpg").is_file()]

        def make(i):
            return i, _thumbnail(str(self.table.at[i, "path"]), self.thumbs / f"{keys[i]}.jpg")

        if todo:
            with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
                for i, focus in tqdm(pool.map(make, todo), total=len(todo), desc="Thumbnails", unit="photo",
                                     disable=None if progress is None else not progress):
                    if focus is not None:
                        known[keys[i]] = focus
            write_atomic(focus_file, json.dumps(known), root=self.run.path)
        self.focus = {i: known[key] for i, key in keys.items() if key in known}

    def display(self, i: int) -> tuple[Path, str]:
        """(file, media type) of photo `i` at full size: a JPEG or PNG is served as it is, any
        other kind (RAW, HEIC, TIFF) as a JPEG made once beside the run."""
        self._check_index(i)
        path = Path(str(self.table.at[i, "path"]))
        with open(path, "rb") as stream:
            head = stream.read(8)
        if head.startswith(b"\xff\xd8\xff"):
            return path, "image/jpeg"
        if head.startswith(b"\x89PNG"):
            return path, "image/png"
        file = self.full / f"{self._key(i)}.jpg"
        if not file.is_file():
            from ..photos.images import open_photo

            opened = open_photo(str(path), width=_full_width(path))
            _save_jpeg(opened.image, file, self.run.path)
        return file, "image/jpeg"


def _full_width(path: Path) -> int:
    from ..photos.images import open_photo

    return max(1, min(open_photo(str(path), width=64).source_width, 8192))


def _save_jpeg(image, file: Path, root) -> None:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    write_atomic(file, buffer.getvalue(), root=root)


def _thumbnail(path: str, file: Path) -> list[float] | None:
    """Write the thumbnail; return the centre of its sharpest region (fractions across and down),
    or None when the photo cannot be opened."""
    from ..photos.images import UnusablePhoto, open_photo

    try:
        image = open_photo(path, width=THUMB_WIDTH).image
    except (UnusablePhoto, OSError, ValueError):
        return None
    _save_jpeg(image, file, file.parent.parent.parent)
    return sharpest_region(np.asarray(image.convert("L"), dtype=np.float32))


def sharpest_region(grey: np.ndarray, cells: int = 4) -> list[float]:
    """The centre of the cell of a `cells` x `cells` grid whose Laplacian varies most (where the
    photo is most detailed: the subject in focus), as fractions of the width and height."""
    laplacian = np.zeros_like(grey)
    laplacian[1:-1, 1:-1] = (grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]
                             - 4 * grey[1:-1, 1:-1])
    height, width = grey.shape
    best, where = -1.0, (0.5, 0.5)
    for row in range(cells):
        for column in range(cells):
            cell = laplacian[row * height // cells:(row + 1) * height // cells,
                             column * width // cells:(column + 1) * width // cells]
            if cell.size and float(cell.var()) > best:
                best, where = float(cell.var()), ((column + 0.5) / cells, (row + 0.5) / cells)
    return [where[0], where[1]]


# ---- the shoot: scored now or read back -----------------------------------------------------


def shoot_table_path(run: Run, photos, table=None) -> Path:
    """The scores table a review writes: `table`, else RUN/review/<folder>-<8 hex>.csv, named
    by the shoot's real path (the same shoot reviewed again resumes from it)."""
    if table is not None:
        return check_output(table, "table", "review table")
    name = os.path.realpath(os.fspath(photos[0] if isinstance(photos, (list, tuple)) else photos))
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(name).name)[:40] or "shoot"
    return check_output(own_folder(run.path, "review") / f"{stem}-{digest}.csv", "table", "review table")


def open_shoot(run, photos, table=None, xmp: bool = False, progress: bool | None = None,
               **score_args) -> Shoot:
    """The shoot under review: its scores table read back if a review (or score_photos) wrote it
    before, else the shoot scored now (score_photos with `score_args`) and the table written."""
    from ..workflow.scoring import score_photos

    run = run if isinstance(run, Run) else open_run(run)
    path = shoot_table_path(run, photos, table)
    facts_file = _facts_file(run, path)
    if path.is_file():
        table = read_scores(path)
        facts = {}
        try:
            facts = json.loads(facts_file.read_text()) if facts_file.is_file() else {}
        except (OSError, ValueError):
            facts = {}
        if not isinstance(facts, dict):
            facts = {}
        print(f"Reviewing {len(table)} photos from {printable(path)} ({int((table['rule'] == PERSON_RULE).sum())} "
              "decided by you so far)")
        from ..photos.sources import photos_to_score

        try:
            listed = set(photos_to_score(photos)[0])
        except PhotoqError:
            listed = set()
        new = listed - set(table["path"]) - set(table.get("pair", pd.Series(dtype=str)))
        if new:
            print(f"warning: {len(new)} photo{'s' if len(new) > 1 else ''} in the shoot {'are' if len(new) > 1 else 'is'} "
                  f"not in that table (added since; first: {printable(sorted(new)[0])}): review them with another "
                  "table", file=sys.stderr)
    else:
        table = score_photos(run, photos, progress=progress, **score_args)
        facts = {"lines": {"keep": table.attrs.get("threshold"), "reject": table.attrs.get("reject_threshold"),
                           "rule": table.attrs.get("rule", "")},
                 "drift": table.attrs.get("drift", ""), "folder": str(table.attrs.get("photos", ""))}
        from ..workflow.scoring import write_scores

        write_scores(table, path)
        write_atomic(facts_file, json.dumps(facts, default=str), root=run.path)
    if not facts.get("folder"):
        from ..photos.sources import photos_to_score

        facts["folder"] = str(photos_to_score(photos)[1])
    return Shoot(run, table, path, facts, xmp=xmp, progress=progress)


def _facts_file(run: Run, table: Path) -> Path:
    """Where the lines and drift note of a review's table are kept: always in RUN/review (never
    beside a table the user named, where a file of theirs could be)."""
    folder = own_folder(run.path, "review")
    if table.parent.resolve() == folder.resolve():
        return table.with_suffix(".json")
    digest = hashlib.sha256(os.fsencode(os.path.realpath(table))).hexdigest()[:12]
    return folder / f"table-{digest}.json"


def read_scores(path) -> pd.DataFrame:
    """A scores table as score_photos wrote it (names decoded as files.decode_path reads them)."""
    try:
        table = pd.read_csv(path, dtype={"path": str, "decision": str, "pick": str, "rule": str, "reason": str,
                                         "burst": str, "pair": str, "duplicate_of": str, "taken": str},
                            keep_default_na=False, na_values={"score": [""], "rating": [""]})
    except (OSError, ValueError) as error:
        raise PhotoqError(f"Cannot read the scores table {printable(path)}: {error}") from None
    missing = {"path", "score", "decision", "rating", "pick", "rule"} - set(table.columns)
    if missing:
        raise PhotoqError(f"The table {printable(path)} is not a scores table (no {', '.join(sorted(missing))})")
    for column in ("path", "pair", "duplicate_of"):
        if column in table:
            table[column] = table[column].map(lambda v: decode_path(v) if v else v)
    table["rating"] = pd.to_numeric(table["rating"], errors="coerce").fillna(0).astype(int)
    return table

