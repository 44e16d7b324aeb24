"""The data every picture draws: computed here once, drawn by Python (plots) and by R (ggplot2).

Each function returns a dict of tables (pandas DataFrames) and a ``labels`` dict of texts
(title, subtitle, axis names). Python's matplotlib plots and R's ggplot2 plots draw exactly
these rows, positions, colours and captions; neither side computes anything of its own, so
the two pictures cannot drift apart. R gets the same dicts through ``interop.to_plain``.

* ``roc_plot_data(result)``: ``curve`` (fpr, tpr, threshold; a step line), ``point`` (the
  operating point at the threshold, with its label), ``labels``.
* ``history_plot_data(run)``: ``series`` (batch, value, panel, series, kind, colour: one row
  per drawn point), ``best`` (the best checkpoint's batch and label), ``labels``.
* ``contact_sheet_data(result)``: ``tiles`` (one row per photo shown, with its rank, caption,
  frame and its place on the sheet), ``separator`` (the line at the threshold), ``frames``
  (the legend: frame name, colour, line width), ``labels``.

Sheet coordinates: each photo has a cell 1 wide and ``CELL_HEIGHT`` high; x grows to the right
and y grows upwards, so rows go down from y = 0. Photos called good come first, then a line at
the threshold, then photos called bad.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from ..workflow.history_plot import PANELS, SERIES_COLOURS, history_plot_data  # noqa: F401  (a run's history)

__all__ = ["roc_plot_data", "history_plot_data", "contact_sheet_data", "evaluation_from_plain"]

CURVE = "#1f77b4"
FRAMES = pd.DataFrame({
    "frame": ["misclassified", "correct"],
    "colour": ["#d62728", "#9e9e9e"],
    "linewidth": [2.5, 0.6],
})
CELL_HEIGHT = 1.0
CAPTION = 0.2  # height of the caption band, just below the photo it belongs to
PAD = 0.04
SEPARATOR_GAP = 0.3  # extra height for the threshold line and its label
ROW_GAP = 0.08  # space below a caption, before the next row's photos
SUBTITLE_WIDTH = 95  # characters per line of a wrapped subtitle


def _number(value: float, digits: int = 3) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


# ---- ROC ---------------------------------------------------------------------------------

def roc_plot_data(result) -> dict:
    """The ROC curve of an evaluation as drawn: step line, operating point, texts."""
    result = _evaluation(result)
    curve = result.roc[["fpr", "tpr", "threshold"]].reset_index(drop=True)
    if curve.empty:
        point = pd.DataFrame(columns=["fpr", "tpr", "threshold", "label"])
    else:
        row = curve[curve["threshold"] >= result.threshold].iloc[-1]
        fpr, tpr = float(row["fpr"]), float(row["tpr"])
        point = pd.DataFrame({
            "fpr": [fpr], "tpr": [tpr], "threshold": [float(result.threshold)],
            "label": [f"threshold {result.threshold:.3f}\nTPR {tpr:.2f}, FPR {fpr:.2f}"],
        })
    return {
        "curve": curve,
        "point": point,
        "labels": {
            "title": f"ROC on the {result.split} split ({result.n_photos} photos)",
            "subtitle": f"AUC {_number(result.auc)}" if not curve.empty
            else "no ROC: the split needs photos of both classes",
            "x": "False positive rate",
            "y": "True positive rate",
            "colour": CURVE,
        },
    }


# ---- contact sheet -------------------------------------------------------------------------

def sheet_rows(predictions: pd.DataFrame, n_top: int = 13, n_bottom: int = 12) -> pd.DataFrame:
    """The photos a contact sheet shows: the n_top best, the n_bottom worst and every
    misclassified photo, each once, best first, with its rank among all photos."""
    ranked = predictions.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    n = len(ranked)
    keep = np.zeros(n, dtype=bool)
    keep[: max(0, int(n_top))] = True
    if n_bottom > 0:
        keep[max(0, n - int(n_bottom)):] = True
    keep |= ~ranked["correct"].astype(bool).to_numpy()
    shown = ranked[keep].copy()
    shown.insert(0, "rank", np.flatnonzero(keep) + 1)
    return shown.reset_index(drop=True)


def contact_sheet_data(result, n_top: int = 13, n_bottom: int = 12, columns: int = 5) -> dict:
    """The contact sheet as drawn: every tile's place, image box, caption and frame."""
    result = _evaluation(result)
    shown = sheet_rows(result.predictions, n_top, n_bottom)
    columns = max(1, int(columns))
    called_good = shown["score"] >= result.threshold
    good_rows = math.ceil(called_good.sum() / columns)
    tiles = []
    for block, (mask, top) in enumerate([(called_good, 0.0),
                                         (~called_good, -(good_rows * CELL_HEIGHT + SEPARATOR_GAP))]):
        for index, photo in enumerate(shown[mask].itertuples(index=False)):
            row, column = divmod(index, columns)
            cell_top = top - row * CELL_HEIGHT
            width, height = _image_size(photo.cached)
            # the photo at the top of its cell, its caption right below it, then a gap: a caption
            # is nearer its own photo than any other
            box_w, box_h = 1 - 2 * PAD, CELL_HEIGHT - CAPTION - PAD - ROW_GAP
            scale = min(box_w / width, box_h / height) if width and height else 0
            w, h = (width * scale, height * scale) if scale else (box_w, box_h)
            centre_x, centre_y = column + 0.5, cell_top - PAD - box_h + h / 2
            wrong = not bool(photo.correct)
            tiles.append({
                "rank": int(photo.rank), "hash": photo.hash, "cached": str(photo.cached),
                "label": photo.label, "predicted": photo.predicted, "score": float(photo.score),
                "correct": bool(photo.correct),
                "caption": f"#{photo.rank}  {photo.score:.3f}  {photo.label}",
                "frame": "misclassified" if wrong else "correct",
                "side": "called " + ("good" if block == 0 else "bad"),
                "column": column, "row": row,
                "x": centre_x, "y_caption": centre_y - h / 2 - CAPTION / 2,
                "xmin": centre_x - w / 2, "xmax": centre_x + w / 2,
                "ymin": centre_y - h / 2, "ymax": centre_y + h / 2,
                "readable": bool(width and height),
            })
    tile_columns = ["rank", "hash", "cached", "label", "predicted", "score", "correct", "caption",
                    "frame", "side", "column", "row", "x", "y_caption", "xmin", "xmax", "ymin",
                    "ymax", "readable"]
    tiles = pd.DataFrame(tiles, columns=tile_columns)
    bad_rows = math.ceil((~called_good).sum() / columns)
    line_y = -(good_rows * CELL_HEIGHT + SEPARATOR_GAP / 2)
    separator = pd.DataFrame({
        "x": [0.0], "xend": [float(columns)], "y": [line_y], "yend": [line_y],
        "label": [f"threshold {result.threshold:.3f}: above called {result.positive}, "
                  f"below called {result.negative}"],
    })
    n_wrong = int((~shown["correct"].astype(bool)).sum())
    total = len(result.predictions)
    parts = []
    if n_top:
        parts.append(f"the {min(n_top, total)} highest")
    if n_bottom:
        parts.append(f"the {min(n_bottom, max(total - n_top, 0))} lowest")
    chosen = " and ".join(parts) + " scores" if parts else "no ranked photos"
    if n_top + n_bottom >= total:
        chosen = f"all {total} photos of the split"
    return {
        "tiles": tiles,
        "separator": separator,
        "frames": FRAMES.copy(),
        "labels": {
            "title": f"{result.split} split ({result.n_photos} photos): AUC {_number(result.auc)}, "
                     f"threshold {result.threshold:.3f} ({result.threshold_rule})",
            "subtitle": textwrap.fill(
                f"{len(shown)} photos shown: {chosen}, and every one of the {n_wrong} misclassified (a photo "
                "can be both); rank, score and true label under each", SUBTITLE_WIDTH),
            "xmax": float(columns),
            "ymin": -((good_rows + bad_rows) * CELL_HEIGHT + SEPARATOR_GAP),
            "ymax": 0.0,
        },
    }


def _image_size(path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            return image.size
    except OSError:
        return 0, 0


# ---- evaluations sent back from R -----------------------------------------------------------

def _evaluation(result):
    """An Evaluation, also from the plain dict R sends (see evaluation_from_plain)."""
    return evaluation_from_plain(result) if isinstance(result, dict) else result


def evaluation_from_plain(plain: dict):
    """An Evaluation from its plain form: R's photoq_evaluation as JSON, each table as
    {"columns": {name: values}, "doubles": [names of numeric columns, sent as exact text]}."""
    from ..workflow.evaluation import Evaluation

    def table(part) -> pd.DataFrame:
        part = part or {}
        columns = part.get("columns", {}) or {}
        frame = pd.DataFrame({k: v if isinstance(v, list) else [v] for k, v in columns.items()})
        for name in part.get("doubles", []) or []:  # doubles come as exact text ("0.1", "inf")
            frame[name] = [number(v) for v in frame[name]]
        return frame

    def number(value) -> float:
        if value is None:
            return math.nan
        if isinstance(value, list):
            value = value[0] if value else None
            return number(value)
        return float(value)

    roc = table(plain.get("roc"))
    for column in ("fpr", "tpr", "threshold"):
        if column not in roc:
            roc[column] = pd.Series(dtype=float)
    predictions = table(plain.get("predictions"))
    predictions["correct"] = predictions["correct"].astype(bool)
    return Evaluation(
        split=str(plain["split"]), checkpoint=str(plain["checkpoint"]),
        threshold=number(plain["threshold"]), threshold_rule=str(plain["threshold_rule"]),
        auc=number(plain.get("auc")), accuracy=number(plain.get("accuracy")),
        f1=number(plain.get("f1")), share_positive=number(plain.get("share_positive")),
        n_photos=int(plain["n_photos"]), positive=str(plain["positive"]),
        negative=str(plain["negative"]), roc=roc[["fpr", "tpr", "threshold"]],
        predictions=predictions, cache_path=Path(plain["cache_path"]),
        run_path=Path(plain["run_path"]),
    )
