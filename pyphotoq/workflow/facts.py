"""Measured facts about a photo, shown beside its score: focus, clipping, noise, tilt, colour.

These describe the photo, measured on the pixels the model saw (the cached or scored image,
as wide as the run's cache). The reason text names a fact only when it is unusual against the
run's training keepers (keeper_ranges, kept in run.json). They are *not* the model's reasons: the model never computes
them, and a photo can score low for reasons none of them captures. They help a photographer
check a score at a glance ("rejected, and indeed soft and tilted").

Columns (plain numbers a photographer can read). One measurement has one name: the facts that
are statistics of the overview (pyphotoq.models.statistics, the numbers the booster reads) are
read from that layer, under the statistic's name (`SHARED`); the others measure what no
statistic does, and no statistic bears their names.

    sharpness            variance of the Laplacian of the sharpest of 4x4 patches (higher: crisper;
                         the statistics' sharpness_full/half/quarter are of the whole frame)
    clipped_highlights   the statistic: share of pixels whose luminance is above 0.98 of white
                         (about 250 of 255)
    clipped_shadows      the statistic: share of pixels whose luminance is below 0.02 (about 5 of 255)
    noise                estimated noise, standard deviation in 8-bit levels (Immerkaer's method;
                         the statistics' noise_luma is the log of a Laplacian's quiet quantile)
    tilt_degrees         tilt of the horizon (counter-clockwise positive): measured only where one
                         straight line runs across most of the frame within 12 degrees of level;
                         0 otherwise (no horizon found with confidence: a macro, a curved subject)
    brightness           the statistic: mean luminance, 0 (black) to 1 (white)
    saturation           the statistic: mean saturation, (max - min) / (max + 0.001) of the channels
    colourfulness        the statistic, in 8-bit levels: Hasler and Suesstrunk's colourfulness
                         (0: grey; above ~60: vivid)
    portrait             taller than wide (the statistic of the same name, as true or false)
    aspect_ratio         width / height (the statistics' aspect is its log)
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from PIL import Image
from ..core.progress import tqdm

#: What the facts measure: a fact kept with a cache (facts.csv) under another version is measured again.
FACTS_VERSION = 2
#: The facts read from the statistics of the overview (pyphotoq.models.statistics.NAMES), and the
#: factor from the statistic to the fact (colourfulness: from 0-1 to 8-bit levels).
SHARED = {"brightness": 1.0, "clipped_highlights": 1.0, "clipped_shadows": 1.0, "saturation": 1.0,
          "colourfulness": 255.0}
FACT_COLUMNS = [
    "sharpness", "clipped_highlights", "clipped_shadows", "noise", "tilt_degrees",
    "brightness", "saturation", "colourfulness", "portrait", "aspect_ratio",
]
# What the reason text calls notable (rough guides for photos some hundreds of pixels wide).
SOFT = 60.0
CLIPPED_HIGHLIGHTS = 0.02
CLIPPED_SHADOWS = 0.05
DARK, BRIGHT = 0.25, 0.80
TILTED = 1.5
# A tilt is measured only on a horizon found with confidence: a straight line over this share of
# the width, fitting within this many pixels (median), at most this many degrees from level.
HORIZON_SPAN = 0.6
HORIZON_FIT = 1.5
HORIZON_MAX = 12.0
NOISY = 6.0
MUTED = 15.0
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def photo_facts(pixels, statistics=None) -> dict:
    """The facts of one photo, given as an (height, width, 3) uint8 array or a PIL image;
    `statistics`: the photo's statistics (pyphotoq.models.statistics.NAMES, one row) when they
    are already measured, else they are measured here."""
    from ..models.booster import overview_statistics
    from ..models.statistics import NAMES  # TensorFlow: imported when facts are measured, not before

    rgb8 = np.asarray(pixels.convert("RGB") if isinstance(pixels, Image.Image) else pixels, dtype=np.uint8)[..., :3]
    if statistics is None:
        statistics = overview_statistics(rgb8)
    statistics = np.asarray(statistics, dtype=np.float32)
    # float32: a third faster than float64; the facts agree to 1e-6, the tilt to a few
    # hundredths of a degree (where two rows tie)
    luma = rgb8.astype(np.float32) @ _LUMA
    height, width = luma.shape
    facts = {
        "sharpness": _sharpness(luma),
        "noise": _noise(luma),
        "tilt_degrees": _tilt(luma),
        **{name: float(statistics[NAMES.index(name)]) * scale for name, scale in SHARED.items()},
        "portrait": bool(height > width),
        "aspect_ratio": float(width / height),
    }
    return {column: facts[column] for column in FACT_COLUMNS}


def facts_table(paths, progress: bool | None = None, workers: int | None = None,
                statistics: np.ndarray | None = None) -> pd.DataFrame:
    """The facts of image files (one row each, in order; NaN where a file cannot be read);
    `statistics`: their statistics already measured (a row per file, NaN rows measured here)."""
    paths = list(paths)
    given = statistics if statistics is not None else [None] * len(paths)

    def one(path, row):
        try:
            with Image.open(path) as image:
                return photo_facts(image, None if row is None or np.isnan(row).any() else row)
        except OSError:
            return {}

    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        rows = list(tqdm(pool.map(one, paths, given), total=len(paths), desc="Facts", unit="photo",
                         disable=None if progress is None else not progress))
    return pd.DataFrame(rows, columns=FACT_COLUMNS)


def cached_facts(cache, hashes, progress: bool | None = None) -> pd.DataFrame:
    """The facts of cached photos (measured on their overviews), one row per hash in order: read
    from the cache's facts.csv where kept (pyphotoq.data.statistics_store), the rest measured and kept,
    so that each cached photo is measured once. NaN where a cached file cannot be read."""
    from ..data import statistics_store as store

    hashes = np.asarray(list(hashes), dtype=object)
    frame = pd.DataFrame({"hash": hashes})
    views = ("overview",)
    values, kept = store.stored(cache, frame, views, FACT_COLUMNS, FACTS_VERSION, store.FACTS_FILE, digits=17)
    missing = np.flatnonzero(~kept)
    if len(missing):
        measured = facts_table([cache.view_path(h) for h in hashes[missing]], progress=progress,
                               statistics=_kept_overview_statistics(cache, frame.iloc[missing]))
        values[missing] = measured.astype(float).to_numpy(dtype=np.float64)
        read = missing[~np.isnan(values[missing]).any(axis=1)]
        store.keep(cache, hashes[read], values[read], views, FACT_COLUMNS, FACTS_VERSION, store.FACTS_FILE, digits=17)
    table = pd.DataFrame(values, columns=FACT_COLUMNS)
    portrait = table["portrait"]  # a bool again, as facts_table gives it (NaN where unread)
    table["portrait"] = (portrait.astype(bool) if portrait.notna().all()
                         else portrait.map(lambda p: p if np.isnan(p) else bool(p)))
    return table


def _kept_overview_statistics(cache, frame: pd.DataFrame) -> np.ndarray:
    """The statistics of the overviews of `frame`'s photos that the booster kept with the cache
    (of the overview and the cache's other views, or of the overview alone), NaN rows where none."""
    from ..models.booster import kept_statistics, overview_part
    from ..data.views import OVERVIEW, VIEWS

    found = None
    for views in dict.fromkeys([tuple(v for v in VIEWS if v in cache.info["views"]), (OVERVIEW,)]):
        overview = overview_part(kept_statistics(cache, frame, views)[0], views)
        found = overview if found is None else np.where(np.isnan(found), overview, found)
    return found


#: The facts that can be a note, the side that is unusual ("low" or "high") and its words.
_NOTES = [
    ("sharpness", "low", "softer"), ("tilt_degrees", "high", "more tilted"),
    ("clipped_highlights", "high", "more blown highlights"), ("clipped_shadows", "high", "more crushed shadows"),
    ("brightness", "low", "darker"), ("brightness", "high", "brighter"),
    ("noise", "high", "noisier"), ("colourfulness", "low", "more muted"),
]


def keeper_ranges(facts: pd.DataFrame) -> dict:
    """{fact: [5th, 50th, 95th percentile]} of the facts of a run's training keepers (what
    `reason_text` compares a photo with; tilt as its size, |degrees|)."""
    ranges = {}
    for column in FACT_COLUMNS:
        if column not in facts or column in ("portrait", "aspect_ratio"):
            continue
        values = pd.to_numeric(facts[column], errors="coerce").dropna().to_numpy(dtype=float)
        if column == "tilt_degrees":
            values = np.abs(values)
        if len(values):
            ranges[column] = [float(v) for v in np.percentile(values, [5, 50, 95])]
    return ranges


def reason_text(score: float, threshold: float, facts: dict, positive: str = "good",
                negative: str = "bad", keepers: dict | None = None, decision: str | None = None) -> str:
    """A short text from the score and the facts: the decision, its margin, and the facts that
    are unusual against the run's training keepers (`keepers`, from keeper_ranges: "darker than
    95% of your keepers"); a tilt only where a horizon was found with confidence. Without
    `keepers` (runs trained before they were kept) fixed guides decide what is notable."""
    if score is None or np.isnan(score):
        return ""
    margin = score - threshold
    closeness = "close call, " if abs(margin) < 0.05 else ""
    side = "above" if margin >= 0 else "below"
    if decision:  # score_photos: its own decision, against the keep line
        text = f"{decision} ({closeness}{abs(margin):.3f} {side} the keep line)"
    else:
        called = f"called {positive}" if margin >= 0 else f"called {negative}"
        text = f"{called} ({closeness}{abs(margin):.3f} {side} the threshold)"
    notes = _keeper_notes(facts, keepers) if keepers else _fixed_notes(facts)
    return text + ("; photo: " + ", ".join(notes) if notes else "; nothing stands out in the facts")


def _keeper_notes(facts: dict, keepers: dict) -> list[str]:
    notes = []
    for column, side, words in _NOTES:
        value, reference = _number(facts.get(column), np.nan), keepers.get(column)
        if reference is None or np.isnan(value):
            continue
        if column == "tilt_degrees":
            value = abs(value)
            if value < TILTED:  # a horizon found level enough is never a note
                continue
        low, _, high = reference
        if (side == "low" and value < low) or (side == "high" and value > high and value > 0):
            shown = f" {facts.get(column):+.1f}°" if column == "tilt_degrees" else ""
            notes.append(f"{words}{shown} than 95% of your keepers")
    return notes


def _fixed_notes(facts: dict) -> list[str]:
    notes = []
    get = facts.get
    if _number(get("sharpness")) < SOFT:
        notes.append(f"soft (sharpness {get('sharpness'):.0f})")
    if abs(_number(get("tilt_degrees"), 0)) >= TILTED:
        notes.append(f"tilted {get('tilt_degrees'):+.1f}°")
    if _number(get("clipped_highlights"), 0) >= CLIPPED_HIGHLIGHTS:
        notes.append(f"{get('clipped_highlights'):.0%} blown highlights")
    if _number(get("clipped_shadows"), 0) >= CLIPPED_SHADOWS:
        notes.append(f"{get('clipped_shadows'):.0%} crushed shadows")
    if _number(get("brightness"), 0.5) < DARK:
        notes.append("dark")
    elif _number(get("brightness"), 0.5) > BRIGHT:
        notes.append("very bright")
    if _number(get("noise"), 0) >= NOISY:
        notes.append(f"noisy ({get('noise'):.1f} levels)")
    if _number(get("colourfulness"), 100) < MUTED:
        notes.append("muted colour")
    return notes


def add_facts(table: pd.DataFrame, facts: pd.DataFrame, threshold: float, positive: str,
              negative: str, keepers: dict | None = None, line: float | None = None) -> pd.DataFrame:
    """`table` (with a score column, and a decision column when it was culled) with margin (score
    minus `threshold`), the fact columns and reason appended (`keepers`: the run's keeper_ranges,
    see reason_text; a decision's reason is measured against the keep `line`, `threshold` unless
    given)."""
    line = threshold if line is None else line
    table = table.reset_index(drop=True).copy()
    facts = facts.reset_index(drop=True)
    table["margin"] = table["score"] - threshold
    for column in FACT_COLUMNS:
        table[column] = facts[column] if column in facts else np.nan
    table["reason"] = [
        reason_text(score, line if decision is not None else threshold, row, positive, negative, keepers, decision)
        for score, row, decision in zip(table["score"], facts.to_dict("records"),
                                        table["decision"] if "decision" in table else [None] * len(table))
    ]
    return table


def _number(value, default=np.inf) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return default if np.isnan(value) else value


def _sharpness(luma: np.ndarray, grid: int = 4) -> float:
    laplacian = (luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:]
                 - 4 * luma[1:-1, 1:-1])
    h, w = laplacian.shape
    if h < grid or w < grid:
        return float(laplacian.var()) if laplacian.size else float("nan")
    best = 0.0
    for rows in np.array_split(np.arange(h), grid):
        for cols in np.array_split(np.arange(w), grid):
            best = max(best, float(laplacian[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].var()))
    return best


def _noise(luma: np.ndarray) -> float:
    """Immerkaer (1996): sigma from the image convolved with a Laplacian-difference mask."""
    h, w = luma.shape
    if h < 3 or w < 3:
        return float("nan")
    m = (luma[:-2, :-2] - 2 * luma[:-2, 1:-1] + luma[:-2, 2:]
         - 2 * luma[1:-1, :-2] + 4 * luma[1:-1, 1:-1] - 2 * luma[1:-1, 2:]
         + luma[2:, :-2] - 2 * luma[2:, 1:-1] + luma[2:, 2:])
    return float(np.sqrt(np.pi / 2) * np.abs(m).sum() / (6 * (w - 2) * (h - 2)))


def _tilt(luma: np.ndarray) -> float:
    """Tilt of the strongest horizon-like line, degrees counter-clockwise (0 when level).

    In every column, the row where brightness changes most from top to bottom; a straight line
    fitted through those rows (strong columns only, outliers dropped) gives the angle."""
    h, w = luma.shape
    if h < 8 or w < 8:
        return 0.0
    gy = np.abs(luma[4:, :] - luma[:-4, :])  # a 4-row difference: smooth over steps and grain
    rows = gy.argmax(axis=0).astype(float) + 2
    strength = gy.max(axis=0)
    keep = strength >= max(20.0, 0.5 * float(np.median(strength)))
    x = np.arange(w, dtype=float)
    for _ in range(3):
        if keep.sum() < max(8, w // 4):
            return 0.0
        slope, intercept = np.polyfit(x[keep], rows[keep], 1)
        residual = np.abs(rows - (slope * x + intercept))
        spread = max(2.0, 3 * float(np.median(residual[keep])))
        keep = keep & (residual <= spread)
    # a horizon found with confidence: one straight line across most of the frame, close to
    # level; anything else (a curved subject, a diagonal, scattered edges) is no horizon: 0
    if keep.sum() < max(8, int(HORIZON_SPAN * w)):
        return 0.0
    slope, intercept = np.polyfit(x[keep], rows[keep], 1)
    if float(np.median(np.abs(rows[keep] - (slope * x[keep] + intercept)))) > HORIZON_FIT:
        return 0.0
    degrees = float(np.degrees(np.arctan(-slope)))
    return degrees if abs(degrees) <= HORIZON_MAX else 0.0
