"""From scores to a culled shoot: keep / review / reject, bursts, duplicates, protected sequences.

`decide` turns a scored folder (one row per photo: score, content hash, capture time, look,
exposure settings) into decisions, each with the rule that made it:

* **Band.** Two lines chosen on the run's validation scores: photos at or above the *keep line*
  (the lowest score at which the validation photos kept are at least `keep_precision` good)
  are kept, photos below the *reject line* (the highest score that still keeps `keep_recall`
  of the good validation photos) are rejected, the rest go to review. A single `threshold`
  (or `keep_recall` alone, as before) makes one cut without a review band.
* **Quota.** `best=N` or `best_share=0.2` keeps the N (or that share) best-scoring photos
  instead of the keep line; the others go to review, or are rejected below the reject line.
* **Bursts.** Shots taken within `burst_seconds` of the previous one that look alike (their
  look hashes, `splits.look_hash`, within BURST_LOOK_BITS bits) form a burst; the best-scoring
  shot of each is marked, and the others that would be kept go to `weaker_in_burst` ("review"
  by default, or "reject", or "keep") as "weaker duplicate of X".
* **Exact duplicates.** Photos with the same content hash: the first (by path) is decided as
  usual, the others are rejected as "exact duplicate of X".
* **Protected sequences**, kept together: all kept, or all in review, never split.
  An exposure bracket is 3 or more shots, each within SEQUENCE_SECONDS of the previous, with at
  least two different exposure biases (EXIF ExposureBiasValue). A panorama sequence is 3 or
  more shots within PANORAMA_SECONDS of each other, with identical exposure time, aperture, ISO
  and focal length (a panorama is shot in manual), each looking unlike its neighbour (the camera
  turned). A focus stack cannot be told from a burst by standard EXIF (cameras record focus
  bracketing only in their maker notes): it is handled as a burst.

`rating` and `pick` follow from the decision (keep 4 stars, the best of a burst or a kept
sequence 5, review 2, reject -1; pick accepted / pending / rejected): what XMP sidecars carry.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from ..core.errors import PhotoqError
from ..core.parameters import SETTINGS, check, settings_object
from ..photos.splits import SMALL_SPLIT, look_distance

#: Shots closer in time than this (seconds) and alike in look form a burst (pyphotoq.core.parameters).
BURST_SECONDS = SETTINGS["burst_seconds"].default
#: Look hashes (64 bits) within this many bits look alike for a burst (a moving subject).
BURST_LOOK_BITS = 10
SEQUENCE_SECONDS = 2.0
PANORAMA_SECONDS = 6.0
MIN_SEQUENCE = 3
WEAKER = SETTINGS["weaker_in_burst"].choices
RATINGS = {"keep": 4, "review": 2, "reject": -1}
PICKS = {"keep": "accepted", "review": "pending", "reject": "rejected"}
#: The default lines (declared in pyphotoq.core.parameters): kept photos at least 90% good, 95% of the good
#: ones above the reject line.
KEEP_PRECISION = SETTINGS["keep_precision"].default
REJECT_RECALL = SETTINGS["reject_recall"].default
CULL_COLUMNS = ["rule", "rating", "pick", "burst", "best_in_burst", "duplicate_of", "sequence"]
#: What the rules read of a photo's EXIF (NaN where unknown): the exposure settings that tell
#: brackets and panoramas.
EXIF_NUMBERS = ["exposure_bias", "exposure_time", "f_number", "iso", "focal_length"]


@dataclasses.dataclass(frozen=True)
class Culling:
    """How scores become keep / review / reject (the module text): one object that
    `score_photos`, `ask_photos` and the CLI's `score` take, as scikit-learn takes a splitter.

    keep_precision   the keep line: validation photos at or above it are this share good
    reject_recall    the reject line: it keeps this share of the good validation photos above it
    threshold        one cut at this score (None: the keep and reject lines)
    keep_recall      one cut keeping this share of the good validation photos (None: the keep and
                     reject lines)
    best, best_share keep this many (or this share of) best photos instead of the keep line
    burst_seconds    shots this close in time that look alike form a burst
    weaker_in_burst  what happens to a burst's weaker shots that would be kept: "review",
                     "reject" or "keep"

    Every value is checked when the object is made, against the declarations of
    pyphotoq.core.parameters (one line naming the setting). A dict of the
    same names (what R's culling() sends) is accepted wherever a Culling is (`Culling.of`).
    """

    keep_precision: float = KEEP_PRECISION
    reject_recall: float = REJECT_RECALL
    threshold: float | None = None
    keep_recall: float | None = None
    best: int | None = None
    best_share: float | None = None
    burst_seconds: float = BURST_SECONDS
    weaker_in_burst: str = SETTINGS["weaker_in_burst"].default

    def __post_init__(self):
        checked = {field.name: check(field.name, getattr(self, field.name)) for field in dataclasses.fields(self)}
        if checked["best"] is not None and checked["best_share"] is not None:
            raise PhotoqError("Give best (a number of photos) or best_share (a share), not both")
        for name, value in checked.items():  # the checked values (whole numbers as int, numbers as float)
            object.__setattr__(self, name, value)

    @classmethod
    def of(cls, culling) -> "Culling":
        """`culling` as a Culling: None gives the defaults, a dict its named settings (an unknown
        name is one line listing the known ones)."""
        return settings_object(cls, culling, "culling")

    def lines(self, validation: pd.DataFrame, positive: str) -> dict:
        """The keep and reject lines on a run's validation scores (culling_lines)."""
        return culling_lines(validation, positive, self.threshold, self.keep_recall, self.keep_precision,
                             self.reject_recall)


def precision_threshold(labels, scores, precision: float) -> float:
    """The lowest score at which the photos at or above it are at least `precision` good
    (the highest score when no threshold reaches it)."""
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(labels[order])
    shares = hits / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(shares >= precision - 1e-12)
    if not len(ok):
        return float(scores[order[0]])
    # the last position where precision still holds, moved up to the start of its tie
    return float(scores[order[ok[-1]]])


def culling_lines(validation: pd.DataFrame, positive: str, threshold: float | None = None,
                  keep_recall: float | None = None, keep_precision: float = KEEP_PRECISION,
                  reject_recall: float = REJECT_RECALL) -> dict:
    """The keep and reject lines chosen on a run's validation scores (columns label, score), as
    the module text says: {"keep", "reject", "rule", "f1" (the max-F1 cut, for metrics)}. The one
    decision policy: score_photos, evaluate_model, explain_photos and the report all decide
    through these lines (`band`)."""
    from ..models.metrics import best_f1_threshold, recall_threshold

    labels = (validation["label"] == positive).to_numpy().astype(int)
    scores = validation["score"].to_numpy(dtype=float)
    if labels.sum() == 0 or labels.sum() == len(labels):
        raise PhotoqError("The validation split needs photos of both classes to choose the lines")
    if threshold is not None or keep_recall is not None:  # one cut, no review band
        cut = threshold if threshold is not None else recall_threshold(labels, scores, keep_recall)
        rule = "threshold given" if threshold is not None else f"keeps {keep_recall:.0%} of good on validation"
        lines = {"keep": float(cut), "reject": float(cut), "rule": rule}
    else:
        keep_line = precision_threshold(labels, scores, keep_precision)
        reject_line = min(recall_threshold(labels, scores, reject_recall), keep_line)
        rule = f"keep at {keep_precision:.0%} precision, reject below {reject_recall:.0%} recall of good on validation"
        positives, negatives = int(labels.sum()), int(len(labels) - labels.sum())
        if min(positives, negatives) < SMALL_SPLIT:
            # too few validation photos to place the lines: the review band is widened, never
            # narrowed. Too few good ones to trust a reject line: nothing is rejected by score
            # (a first shoot's keepers can score below every good validation photo); too few bad
            # ones: the keep line rises above every bad validation photo.
            if positives < SMALL_SPLIT:
                reject_line = 0.0
            keep_line = max(keep_line, float(np.nextafter(scores[labels == 0].max(), np.inf)))
            reject_line = min(reject_line, keep_line)
            rule += (f"; widened, as they rest on only {positives} {positive} and {negatives} other validation "
                     "photos" + (f" (too few {positive} ones to reject by score: below the keep line is review)"
                                 if positives < SMALL_SPLIT else ""))
        lines = {"keep": keep_line, "reject": reject_line, "rule": rule}
    lines["f1"] = best_f1_threshold(labels, scores)
    return lines


def shot_exif(data: bytes) -> dict:
    """A photo's camera model and the exposure settings the rules read ('' or NaN when absent)."""
    from ..photos.camera import photo_exif

    exif = photo_exif(data)
    return {"camera": exif.get("model") or "",
            **{name: float(exif[name]) if exif.get(name) is not None else np.nan for name in EXIF_NUMBERS}}


def originals_exif(frame: pd.DataFrame, originals) -> pd.DataFrame:
    """shot_exif of each row of `frame` (its capture time in `taken`), read from its file in
    `originals` (a path, or None for none): only for a shot with another within PANORAMA_SECONDS,
    as no other can be part of a sequence; '' and NaN for the others and for files that cannot be
    read."""
    times = _times(frame)
    order = np.argsort(times, kind="stable")
    near = np.zeros(len(frame), dtype=bool)
    close = np.diff(times[order]) <= max(SEQUENCE_SECONDS, PANORAMA_SECONDS)  # NaN times compare False
    near[order[1:][close]] = near[order[:-1][close]] = True
    rows = []
    for is_near, path in zip(near, originals):
        data = b""
        if is_near and isinstance(path, str) and path:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                pass
        rows.append(shot_exif(data) if data else {"camera": "", **dict.fromkeys(EXIF_NUMBERS, np.nan)})
    return pd.DataFrame(rows, columns=["camera", *EXIF_NUMBERS], index=frame.index)


def band(scores, lines: dict) -> np.ndarray:
    """keep (at or above the keep line), reject (below the reject line) or review, for each score:
    the verdict by score alone, before bursts, duplicates and sequences (`decide`)."""
    scores = np.asarray(scores, dtype=float)
    return np.where(scores >= lines["keep"], "keep", np.where(scores < lines["reject"], "reject", "review")).astype(object)


def decide(frame: pd.DataFrame, validation: pd.DataFrame, positive: str,
           culling: Culling | dict | None = None) -> tuple[pd.DataFrame, dict]:
    """(`frame` with decision, rule and the columns of CULL_COLUMNS, the lines used), decided by
    `culling` (a Culling, a dict of its settings, or None for the defaults).

    `frame`: one row per usable photo with path, score, hash, taken, look and the EXIF columns
    exposure_bias, exposure_time, f_number, iso, focal_length (NaN where unknown).
    `validation`: the run's validation scores (label, score). The lines are returned as
    {"keep": ..., "reject": ..., "rule": text} (culling_lines)."""
    culling = Culling.of(culling)
    best, best_share = culling.best, culling.best_share
    burst_seconds, weaker_in_burst = culling.burst_seconds, culling.weaker_in_burst
    lines = culling.lines(validation, positive)
    table = frame.reset_index(drop=True).copy()
    n = len(table)
    decision = np.full(n, "review", dtype=object)
    rule = np.full(n, f"review: between the reject line {lines['reject']:.3f} and the keep line "
                      f"{lines['keep']:.3f}", dtype=object)
    score = table["score"].to_numpy(dtype=float)
    if best is not None or best_share is not None:
        count = best if best is not None else math.ceil(best_share * n - 1e-9)
        count = max(0, min(n, int(count)))
        top = np.argsort(-score, kind="stable")[:count]
        quota = np.zeros(n, dtype=bool)
        quota[top] = True
        decision[quota] = "keep"
        rule[quota] = f"keep: among the best {count} by score" if best is not None else \
            f"keep: among the best {best_share:.0%} by score"
        low = ~quota & (score < lines["reject"])
        rule[~quota & ~low] = f"review: outside the best {count}, above the reject line {lines['reject']:.3f}"
    else:
        by_score = band(score, lines)  # the one rule by score
        keep = by_score == "keep"
        decision[keep] = "keep"
        rule[keep] = f"keep: score at or above the keep line {lines['keep']:.3f}"
        low = by_score == "reject"
    decision[low] = "reject"
    rule[low] = f"reject: score below the reject line {lines['reject']:.3f}"

    # exact duplicates: the first by path is decided; the others are rejected
    duplicate_of = np.full(n, "", dtype=object)
    if "hash" in table:
        first = table.sort_values("path", kind="stable").groupby("hash")["path"].transform("first")
        duplicate_of = np.where(first.reindex(table.index).to_numpy() != table["path"].to_numpy(),
                                first.reindex(table.index).to_numpy(), "")

    # a protected sequence's shots and the later copies of an exact duplicate join no burst
    sequence = _sequences(table)
    burst = _bursts(table, burst_seconds, exclude=(sequence != "") | (duplicate_of != ""))
    best_in_burst = np.zeros(n, dtype=bool)
    for members in _groups(burst):
        # the best score; a tie goes to the first by path (not by row: the same in any order)
        top = min(members, key=lambda i: (-score[i], str(table.loc[i, "path"])))
        best_in_burst[top] = True
        if weaker_in_burst == "keep":
            continue
        for i in members:
            if i != top and not sequence[i] and decision[i] == "keep":
                decision[i] = weaker_in_burst
                rule[i] = f"{weaker_in_burst}: weaker duplicate of {table.loc[top, 'path']} (same burst)"
    for members in _groups(sequence):
        together = "keep" if all(decision[i] == "keep" for i in members) else "review"
        for i in members:
            if decision[i] != together:
                rule[i] = f"{together}: part of {sequence[members[0]]} (kept together)"
            else:
                rule[i] = f"{rule[i]}; part of {sequence[members[0]]}"
            decision[i] = together
    for i in np.flatnonzero(duplicate_of != ""):
        decision[i] = "reject"
        rule[i] = f"reject: exact duplicate of {duplicate_of[i]}"
    rating = np.array([RATINGS[d] for d in decision])
    top_of_group = (best_in_burst | (sequence != "")) & (decision == "keep")
    rating[top_of_group] = 5
    table["decision"] = decision
    table["rule"] = rule
    table["rating"] = rating
    table["pick"] = [PICKS[d] for d in decision]
    table["burst"] = burst
    table["best_in_burst"] = best_in_burst & (burst != "")
    table["duplicate_of"] = duplicate_of
    table["sequence"] = sequence
    return table, lines


def _groups(labels: np.ndarray) -> list[list[int]]:
    groups: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        if label:
            groups.setdefault(label, []).append(i)
    return [members for members in groups.values() if len(members) > 1]


def _times(table: pd.DataFrame) -> np.ndarray:
    taken = pd.to_datetime(table.get("taken", pd.Series([""] * len(table))), errors="coerce",
                           format="%Y-%m-%d %H:%M:%S")
    return (taken - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy()


def _runs(table: pd.DataFrame, seconds: float, joins) -> list[list[int]]:
    """Runs of consecutive shots (by capture time, then path) whose gaps are at most
    `seconds` and where joins(previous, next) holds."""
    times = _times(table)
    timed = [i for i in np.argsort(table["path"].to_numpy(), kind="stable") if not np.isnan(times[i])]
    timed.sort(key=lambda i: times[i])
    runs, current = [], []
    for i in timed:
        if current and times[i] - times[current[-1]] <= seconds and joins(current[-1], i):
            current.append(i)
        else:
            if len(current) > 1:
                runs.append(current)
            current = [i]
    if len(current) > 1:
        runs.append(current)
    return runs


def _bursts(table: pd.DataFrame, seconds: float, exclude) -> np.ndarray:
    """'burst N' for the shots of each burst (numbered by time), '' for the others; the shots
    in `exclude` (a mask) are left out."""
    looks = table["look"].to_numpy() if "look" in table else np.full(len(table), "")
    labels = np.full(len(table), "", dtype=object)
    kept = table[~np.asarray(exclude)]
    runs = [[int(kept.index[i]) for i in run] for run in _runs(
        kept.reset_index(drop=True), seconds,
        lambda a, b: look_distance(looks[kept.index[a]], looks[kept.index[b]]) <= BURST_LOOK_BITS)]
    for number, members in enumerate(runs, 1):
        labels[members] = f"burst {number}"
    return labels


def _sequences(table: pd.DataFrame) -> np.ndarray:
    """'bracket N' or 'panorama N' for the shots of each protected sequence, '' otherwise."""
    labels = np.full(len(table), "", dtype=object)

    def column(name):
        return table[name].to_numpy(dtype=float) if name in table else np.full(len(table), np.nan)

    bias = column("exposure_bias")
    for number, members in enumerate(
            [r for r in _runs(table, SEQUENCE_SECONDS, lambda a, b: not np.isnan(bias[a]) and not np.isnan(bias[b]))
             if len(r) >= MIN_SEQUENCE and len(set(bias[r].round(2))) >= 2], 1):
        labels[members] = f"bracket {number}"
    settings = np.stack([column(c) for c in ("exposure_time", "f_number", "iso", "focal_length")], 1)
    looks = table["look"].to_numpy() if "look" in table else np.full(len(table), "")

    def same_exposure_turned(a, b):
        return (not labels[a] and not labels[b] and not np.isnan(settings[[a, b]]).any()
                and np.array_equal(settings[a], settings[b]) and look_distance(looks[a], looks[b]) > BURST_LOOK_BITS)

    panoramas = [r for r in _runs(table, PANORAMA_SECONDS, same_exposure_turned) if len(r) >= MIN_SEQUENCE]
    for number, members in enumerate(panoramas, 1):
        labels[members] = f"panorama {number}"
    return labels


#: Training photos sampled for the drift comparison (their cached overviews and EXIF).
DRIFT_SAMPLE = 100


def drift_text(run, scored: pd.DataFrame, validation: pd.DataFrame, exif_of=None) -> str:
    """One line saying how the scored photos differ from the training photos, or '' when
    nothing stands out: the score distribution against validation's (Kolmogorov-Smirnov,
    p < 0.001 with at least 20 photos), and, when the run's cache can be opened, the image size
    (median megapixels off by more than 2x), the brightness (median off by more than 0.15) and
    cameras the training photos never came from. `scored` has score, camera, brightness and
    megapixels per photo; `exif_of(bytes)` reads a training original's EXIF (model)."""
    from scipy.stats import ks_2samp

    notes = []
    scores = scored["score"].dropna().to_numpy(dtype=float)
    if len(scores) >= 20 and len(validation) >= 20:
        test = ks_2samp(scores, validation["score"].to_numpy(dtype=float))
        if test.pvalue < 1e-3:
            here, there = float(np.median(scores)), float(validation["score"].median())
            notes.append(f"scores sit {'lower' if here < there else 'higher'} than on validation "
                         f"(median {here:.2f} against {there:.2f})")
    reference_values = _training_reference(run, exif_of) if len(scored) else None
    if reference_values is not None:
        pixels, reference, known = reference_values
        here = float(scored["megapixels"].median())
        if pixels > 0 and not 0.5 <= here / pixels <= 2:
            notes.append(f"photos of {here:.2g} MP against {pixels:.2g} MP in training")
        bright = float(scored["brightness"].median())
        if abs(bright - reference) > 0.15:
            notes.append(f"{'darker' if bright < reference else 'brighter'} than the training photos "
                         f"(median brightness {bright:.2f} against {reference:.2f})")
        if exif_of is not None:
            cameras = scored["camera"].fillna("")
            new = cameras[(cameras != "") & ~cameras.isin(known)].value_counts()
            if known and len(new):
                notes.append(", ".join(f"camera {name} ({count} photos)" for name, count in new.head(3).items())
                             + f" not seen in training ({', '.join(sorted(known)[:3])})")
    return ("the photos differ from the training photos: " + "; ".join(notes)) if notes else ""


_REFERENCES: dict = {}


def _training_reference(run, exif_of) -> tuple[float, float, set] | None:
    """(median megapixels, median brightness of a sample of cached overviews, the cameras of
    that sample's originals) of the training photos of the run's cache, or None when the cache
    cannot be opened; computed once per process and state of the cache's manifest (about a
    second), so that scoring again costs nothing."""
    from pathlib import Path

    try:
        manifest = (Path(run.info["cache"]["path"]) / "manifest.csv").stat()
    except (OSError, KeyError, TypeError):
        return None
    key = (str(run.info["cache"]["path"]), run.info["cache"].get("id"), manifest.st_mtime_ns, manifest.st_size)
    if key not in _REFERENCES:
        from .facts import facts_table

        try:
            cache = run.open_cache()
        except PhotoqError:
            return None

        train = cache.split("train")
        sample = train.sample(min(DRIFT_SAMPLE, len(train)), random_state=0) if len(train) else train
        pixels = float((train["source_width"] * train["source_height"] / 1e6).median()) if len(train) else 0.0
        brightness = facts_table([cache.view_path(h) for h in sample["hash"]], progress=False)["brightness"]
        known = set()
        for path in sample["original"] if exif_of is not None else ():
            try:
                with open(path, "rb") as handle:
                    known.add(exif_of(handle.read()).get("model") or "")
            except OSError:
                continue
        known.discard("")
        _REFERENCES[key] = (pixels, float(brightness.median()) if len(brightness) else float("nan"), known)
    return _REFERENCES[key]
