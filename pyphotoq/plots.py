"""Pictures of a run and of an evaluation: training history, ROC curve and a contact sheet.

Every function draws on its own matplotlib Figure with the Agg canvas (no display, no pyplot
state), returns it, and also saves it when given a file (format from the extension).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from PIL import Image

from .runs import Run, open_run

DPI = 120
TRAINING = "tab:blue"
VALIDATION = {"loss": "tab:orange", "accuracy": "tab:orange", "auc": "tab:green", "f1": "tab:purple"}
MISCLASSIFIED = "red"


def plot_roc(result, file=None) -> Figure:
    """The ROC curve of an Evaluation, with its AUC and the operating point at its threshold."""
    figure = _figure(5.2, 5.4, "constrained")
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    roc = result.roc
    if roc.empty:
        ax.text(0.5, 0.55, "no ROC: the split needs\nphotos of both classes",
                ha="center", va="center", color="dimgrey")
    else:
        ax.plot(roc["fpr"], roc["tpr"], drawstyle="steps-post", color=TRAINING, linewidth=2,
                clip_on=False)
        fpr, tpr = _operating_point(roc, result.threshold)
        ax.plot(fpr, tpr, "o", color="black", markersize=7, clip_on=False, zorder=3)
        right, low = fpr > 0.6, tpr < 0.15  # keep the label inside the axes
        ax.annotate(f"threshold {result.threshold:.2f}\nTPR {tpr:.2f}, FPR {fpr:.2f}", (fpr, tpr),
                    xytext=(-10 if right else 10, 10 if low else -10), textcoords="offset points",
                    ha="right" if right else "left", va="bottom" if low else "top", fontsize=9)
    auc = "n/a" if math.isnan(result.auc) else f"{result.auc:.3f}"
    ax.set_title(f"ROC on the {result.split} split ({result.n_photos} photos) — AUC {auc}",
                 fontsize=10)
    ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal",
           xlabel="False positive rate", ylabel="True positive rate")
    ax.grid(alpha=0.3)
    return _finish(figure, file)


def _operating_point(roc, threshold: float) -> tuple[float, float]:
    """(fpr, tpr) when photos scoring at least `threshold` are called good (row 0 is at inf)."""
    row = roc[roc["threshold"] >= threshold].iloc[-1]
    return float(row["fpr"]), float(row["tpr"])


def plot_history(run, file=None) -> Figure:
    """Training loss and accuracy (moving average) and validation metrics, by batch."""
    run = run if isinstance(run, Run) else open_run(run)
    series = {key: frame.sort_values("batch") for key, frame in run.history.groupby(["set", "metric"])}
    figure = _figure(9, 6.4)  # fixed margins: a layout engine would draw it twice when saving
    loss_ax, quality_ax = figure.subplots(2, 1, sharex=True, gridspec_kw=dict(
        left=0.08, right=0.7, bottom=0.08, top=0.9, hspace=0.22))

    def draw(ax, key, *style, **options):
        if key in series:
            ax.plot(series[key]["batch"], series[key]["value"], *style, **options)

    draw(loss_ax, ("train", "loss"), color=TRAINING, alpha=0.2, linewidth=0.5,
         label="training, per batch")
    draw(loss_ax, ("train", "loss_avg"), color=TRAINING, linewidth=1.8,
         label="training, moving average")
    draw(quality_ax, ("train", "accuracy_avg"), color=TRAINING, linewidth=1.8,
         label="training accuracy, moving average")
    for metric, ax, label in (("loss", loss_ax, "validation"),
                              ("accuracy", quality_ax, "validation accuracy"),
                              ("auc", quality_ax, "validation AUC"),
                              ("f1", quality_ax, "validation F1")):
        draw(ax, ("validation", metric), "o-", color=VALIDATION[metric], markersize=4,
             linewidth=1.2, clip_on=False, label=label)
    best = run.state.get("best_batch")
    if best is not None:
        auc = run.state.get("best_auc")
        label = f"best checkpoint (batch {best}" + (f", AUC {auc:.3f})" if auc is not None else ")")
        for ax in (loss_ax, quality_ax):
            ax.axvline(best, color="black", linestyle=":", linewidth=1.2, label=label)
    if not series:
        loss_ax.text(0.5, 0.5, "no history yet", transform=loss_ax.transAxes,
                     ha="center", va="center", color="dimgrey")
    loss_ax.set(ylabel="loss", title="Loss")
    quality_ax.set(ylabel="share / AUC", xlabel="batch", ylim=(0, 1), title="Accuracy and quality")
    quality_ax.set_xlim(left=0)
    quality_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (loss_ax, quality_ax):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    figure.suptitle(f"{run.path.name}: {run.batches_done} of {run.settings['batches']} batches",
                    fontsize=11)
    return _finish(figure, file)


def contact_sheet(result, file=None, n_top: int = 13, n_bottom: int = 12, columns: int = 5) -> Figure:
    """The highest- and lowest-scoring photos of an Evaluation; misclassified ones framed in red."""
    predictions = result.predictions.sort_values("score", ascending=False, kind="stable")
    top = predictions.iloc[:n_top]
    bottom = predictions.iloc[max(len(top), len(predictions) - n_bottom):]
    shown = [*top.itertuples(), *bottom.itertuples()]
    rows = max(1, math.ceil(len(shown) / columns))
    height = 1.95 * rows + 0.9
    figure = _figure(2.1 * columns, height)
    grid = figure.add_gridspec(rows, columns, left=0.01, right=0.99, bottom=0.01,
                               top=1 - 0.85 / height, hspace=0.25, wspace=0.06)
    for index, photo in enumerate(shown):
        _tile(figure.add_subplot(grid[divmod(index, columns)]), photo)
    if len(top) and len(bottom):
        _separator(figure, grid, len(top))
    auc = "n/a" if math.isnan(result.auc) else f"{result.auc:.3f}"
    figure.suptitle(
        f"{result.split} split ({result.n_photos} photos): AUC {auc}, threshold "
        f"{result.threshold:.2f} ({result.threshold_rule})\n"
        + (f"the {len(top)} highest scores, then past the line the {len(bottom)} lowest"
           if len(bottom) else f"{len(top)} photos by score")
        + "; score and true label on each; red frame: misclassified",
        fontsize=10,
    )
    return _finish(figure, file)


def _tile(ax, photo) -> None:
    try:
        with Image.open(photo.cached) as image:
            ax.imshow(np.asarray(image.convert("RGB")))
    except OSError as error:
        ax.text(0.5, 0.5, f"cannot read\n{Path(photo.cached).name}\n({type(error).__name__})",
                ha="center", va="center", fontsize=7, transform=ax.transAxes)
    ax.set_axis_off()
    ax.set_title(f"{photo.score:.2f} {photo.label}", fontsize=8)
    if not photo.correct:
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, fill=False,
                               edgecolor=MISCLASSIFIED, linewidth=4, clip_on=False))


def _separator(figure: Figure, grid, first: int) -> None:
    """A stepped line between the grid cells before `first` and those from `first` on."""
    rows, columns = grid.get_geometry()
    row, column = divmod(first, columns)
    bottoms, tops, lefts, rights = grid.get_grid_positions(figure)
    gap = (tops[0] - bottoms[0]) * grid.hspace

    def above(r):  # between row r's title and the row over it
        return tops[r] + 0.75 * gap

    if column == 0:
        points = [(lefts[0], above(row)), (rights[-1], above(row))]
    else:
        middle = (rights[column - 1] + lefts[column]) / 2
        if row + 1 < rows:
            points = [(lefts[0], above(row + 1)), (middle, above(row + 1))]
        else:
            points = [(middle, bottoms[row])]
        points.append((middle, above(row)))
        if row > 0:
            points.append((rights[-1], above(row)))
    xs, ys = zip(*points)
    figure.add_artist(Line2D(xs, ys, transform=figure.transFigure, color="0.2", linewidth=2.5))


def _figure(width: float, height: float, layout: str | None = None) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)
    return figure


def _finish(figure: Figure, file) -> Figure:
    """Save `figure` to `file` (if given) through a temporary file and a rename."""
    if file is not None:
        path = Path(file)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        figure.savefig(temporary, format=path.suffix.lstrip(".").lower() or "png", dpi=DPI)
        os.replace(temporary, path)
    return figure
