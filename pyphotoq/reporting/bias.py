"""The bias report of an evaluation: does the score follow something the labels do not?

For each nuisance variable (brightness, saturation, colourfulness, portrait or landscape,
aspect ratio, capture hour, camera model, source folder) three associations over the
evaluated photos:

    score_association    how strongly the score follows the variable
    label_association    how strongly the labels (good = 1) follow it
    within_class         how strongly the score follows it among photos of the same label

Numbers use Spearman's rank correlation (signed, -1 to 1); categories (portrait, camera,
folder, hour) use the correlation ratio eta (0 to 1), adjusted for the number of categories. A variable is *flagged* when, among
photos of one label, the score still follows it (|within_class| >= 0.3, a moderate
association) and the score follows it clearly more than the labels do (|score| - |label| >= 0.2):
the model leans on it beyond what the photographer's choices explain. A row whose score follows
the variable within each label but not over all photos (a category with few photos each) says
so in its note: such a within-label figure is noise, not a lean. With few photos these numbers are
noisy; `n` says how many photos each rests on.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from .plotdata import _evaluation

WITHIN_CLASS = 0.3
LEAN = 0.2
MIN_PHOTOS = 8
REPORT_COLUMNS = ["variable", "kind", "n", "score_association", "label_association",
                  "within_class", "lean", "flagged", "note"]
_NUMERIC = ["brightness", "saturation", "colourfulness", "aspect_ratio"]
_CATEGORIES = ["portrait", "capture_hour", "camera_model", "source_folder"]


def bias_report(result) -> pd.DataFrame:
    """The bias report of an Evaluation (from evaluate_model): one row per nuisance variable."""
    result = _evaluation(result)
    table = nuisance_table(result)
    labels = (table["label"] == result.positive).astype(float).to_numpy()
    scores = table["score"].astype(float).to_numpy()
    rows = []
    for variable in _NUMERIC + _CATEGORIES:
        kind = "number" if variable in _NUMERIC else "category"
        values = table[variable]
        known = values.notna().to_numpy() & np.isfinite(scores)
        note = ""
        n = int(known.sum())
        if n < MIN_PHOTOS or values[known].nunique() < 2:
            note = "too few photos or no variation"
            rows.append([variable, kind, n, math.nan, math.nan, math.nan, math.nan, False, note])
            continue
        v, s, y = values[known].to_numpy(), scores[known], labels[known]
        measure = _spearman if kind == "number" else _eta
        score_assoc, label_assoc = measure(v, s), measure(v, y)
        within = []
        for cls in (0.0, 1.0):
            part = y == cls
            if part.sum() >= MIN_PHOTOS // 2 and len(set(v[part])) > 1:
                within.append((part.sum(), measure(v[part], s[part])))
        within_class = (sum(w * a for w, a in within) / sum(w for w, _ in within)
                        if within else math.nan)
        lean = abs(score_assoc) - abs(label_assoc)
        flagged = bool(abs(within_class) >= WITHIN_CLASS and lean >= LEAN)
        if flagged:
            note = f"the score follows {variable.replace('_', ' ')} more than the labels do"
        elif abs(within_class) >= WITHIN_CLASS and abs(score_assoc) < LEAN and abs(label_assoc) < LEAN:
            note = ("within each label only, not over all photos: too few photos per value to mean a "
                    "lean (noise)")
        rows.append([variable, kind, n, score_assoc, label_assoc, within_class, lean, flagged, note])
    report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    report.attrs["split"] = result.split
    return report


def nuisance_table(result) -> pd.DataFrame:
    """The evaluated photos with their nuisance variables (facts, capture hour, camera, folder)."""
    from ..workflow.facts import facts_table

    predictions = result.predictions.reset_index(drop=True)
    table = predictions[["hash", "original", "label", "score"]].copy()
    missing = [c for c in ("brightness", "saturation", "colourfulness", "aspect_ratio", "portrait")
               if c not in predictions]
    facts = facts_table(predictions["cached"]) if missing else predictions
    for column in ("brightness", "saturation", "colourfulness", "aspect_ratio", "portrait"):
        table[column] = facts[column].to_numpy()
    table["portrait"] = table["portrait"].map(lambda p: None if pd.isna(p) else ("portrait" if p else "landscape"))
    taken = predictions["taken"] if "taken" in predictions else pd.Series([None] * len(table))
    table["capture_hour"] = [_hour(t) for t in taken]
    table["camera_model"] = [_camera(p) for p in predictions["original"]]
    table["source_folder"] = [_folder(p, label) for p, label in zip(predictions["original"], predictions["label"])]
    return table


def bias_plot_data(report: pd.DataFrame) -> dict:
    """The bias plot as drawn: one point per variable and measure, flagged rows marked."""
    if isinstance(report, dict):  # the plain table R sends
        report = pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in report.items()})
    measures = pd.DataFrame({
        "measure": ["score", "labels", "score within a label"],
        "column": ["score_association", "label_association", "within_class"],
        "colour": ["#1f77b4", "#7f7f7f", "#ff7f0e"],
        "marker": ["o", "s", "^"],
    })
    points = []
    for row in report.itertuples(index=False):
        for m in measures.itertuples(index=False):
            value = getattr(row, m.column)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                points.append({"variable": row.variable, "measure": m.measure, "value": float(value),
                               "flagged": bool(row.flagged)})
    return {
        "points": pd.DataFrame(points, columns=["variable", "measure", "value", "flagged"]),
        "measures": measures,
        "labels": {
            "title": "What the score follows, against what the labels follow",
            "x": "association (Spearman; eta for categories)",
        },
    }


def _spearman(x, y) -> float:
    x = pd.Series(np.asarray(x, dtype=float)).rank().to_numpy()
    y = pd.Series(np.asarray(y, dtype=float)).rank().to_numpy()
    if x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _eta(groups, y) -> float:
    """Correlation ratio: the share of y's spread explained by the groups, adjusted for the
    number of groups (many small groups explain much by chance alone), square-rooted."""
    y = np.asarray(y, dtype=float)
    total = ((y - y.mean()) ** 2).sum()
    if total == 0:
        return 0.0
    frame = pd.DataFrame({"g": [str(g) for g in groups], "y": y})
    between = frame.groupby("g")["y"].agg(lambda part: len(part) * (part.mean() - y.mean()) ** 2).sum()
    n, k = len(y), frame["g"].nunique()
    share = between / total
    if n > k:
        share = 1 - (1 - share) * (n - 1) / (n - k)
    return float(math.sqrt(max(0.0, share)))


def _hour(taken) -> str | None:
    if not isinstance(taken, str) or len(taken) < 13:
        return None
    return taken[11:13]


def _camera(path) -> str | None:
    try:
        with Image.open(path) as image:
            exif = image.getexif()
    except (OSError, ValueError):
        return None
    make, model = str(exif.get(0x010F, "")).strip(), str(exif.get(0x0110, "")).strip()
    name = model if model.startswith(make) else f"{make} {model}".strip()
    return name or None


def _folder(path, label) -> str:
    """The folder below the label folder ('.' for photos directly in it)."""
    parts = Path(path).parts
    if label in parts[:-1]:
        index = len(parts) - 2 - parts[:-1][::-1].index(label)
        below = parts[index + 1:-1]
        return "/".join(below) or "."
    return Path(path).parent.name
