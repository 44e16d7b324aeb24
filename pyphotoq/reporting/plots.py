"""Pictures of a run and of an evaluation: ROC curve, training history, contact sheet, bias.

Every picture draws the tables of `plotdata` (the same tables R's ggplot2 plots draw), on its
own matplotlib Figure with the Agg canvas (no display, no pyplot state), returns it, and also
saves it when given a file (format from the extension).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from ..core.figures import DPI, finish, new_figure  # noqa: F401  (DPI: the pictures' resolution)
from ..workflow.history_plot import plot_history  # noqa: F401  (drawn with the workflow: training redraws it)
from .plotdata import contact_sheet_data, roc_plot_data

MISCLASSIFIED = "#d62728"


def plot_roc(result, file=None) -> Figure:
    """The ROC curve of an Evaluation, with its AUC and the operating point at its threshold."""
    data = roc_plot_data(result)
    labels = data["labels"]
    figure = new_figure(5.2, 5.6, "constrained")
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1)
    curve, point = data["curve"], data["point"]
    if curve.empty:
        ax.text(0.5, 0.55, labels["subtitle"], ha="center", va="center", color="dimgrey", wrap=True)
    else:
        ax.plot(curve["fpr"], curve["tpr"], drawstyle="steps-post", color=labels["colour"],
                linewidth=2, clip_on=False)
    for p in point.itertuples():
        ax.plot(p.fpr, p.tpr, "o", color="black", markersize=7, clip_on=False, zorder=3)
        right, low = p.fpr > 0.6, p.tpr < 0.15  # keep the label inside the axes
        ax.annotate(p.label, (p.fpr, p.tpr), xytext=(-10 if right else 10, 10 if low else -10),
                    textcoords="offset points", ha="right" if right else "left",
                    va="bottom" if low else "top", fontsize=9)
    ax.set_title(f"{labels['title']} — {labels['subtitle']}" if not curve.empty else labels["title"],
                 fontsize=10)
    ax.set(xlim=(0, 1), ylim=(0, 1), aspect="equal", xlabel=labels["x"], ylabel=labels["y"])
    ax.grid(alpha=0.3)
    return finish(figure, file)


def contact_sheet(result, file=None, n_top: int = 13, n_bottom: int = 12, columns: int = 5) -> Figure:
    """The highest- and lowest-scoring photos of an Evaluation and every misclassified one, best
    first; a line at the threshold parts those called good from those called bad; frames show
    which are misclassified (legend below)."""
    data = contact_sheet_data(result, n_top, n_bottom, columns)
    tiles, labels = data["tiles"], data["labels"]
    frames = data["frames"].set_index("frame")
    height_units = labels["ymax"] - labels["ymin"]
    inches = 2.0
    figure = new_figure(inches * labels["xmax"] + 0.2, inches * height_units + 1.3)
    top = 1 - 0.8 / figure.get_figheight()
    bottom = 0.5 / figure.get_figheight()
    ax = figure.add_axes((0.01, bottom, 0.98, top - bottom))
    for tile in tiles.itertuples():
        extent = (tile.xmin, tile.xmax, tile.ymin, tile.ymax)
        try:
            with Image.open(tile.cached) as image:
                ax.imshow(np.asarray(image.convert("RGB")), extent=extent, interpolation="antialiased")
        except OSError as error:
            ax.text(tile.x, (tile.ymin + tile.ymax) / 2,
                    f"cannot read\n{Path(tile.cached).name}\n({type(error).__name__})",
                    ha="center", va="center", fontsize=7)
        frame = frames.loc[tile.frame]
        ax.add_patch(Rectangle((tile.xmin, tile.ymin), tile.xmax - tile.xmin, tile.ymax - tile.ymin,
                               fill=False, edgecolor=frame["colour"], linewidth=frame["linewidth"] * 1.6,
                               gid=f"frame:{tile.frame}"))
        ax.text(tile.x, tile.y_caption, tile.caption, ha="center", va="center", fontsize=8,
                color=MISCLASSIFIED if not tile.correct else "black",
                fontweight="normal" if tile.correct else "bold", gid="caption")
    for line in data["separator"].itertuples():
        ax.plot([line.x, line.xend], [line.y, line.yend], color="0.2", linewidth=2, gid="separator")
        ax.text(line.xend, line.y, line.label + " ", ha="right", va="bottom", fontsize=8, color="0.2",
                backgroundcolor="white")
    ax.set(xlim=(0, labels["xmax"]), ylim=(labels["ymin"], labels["ymax"]), aspect="equal")
    ax.set_axis_off()
    figure.suptitle(labels["title"] + "\n" + labels["subtitle"], fontsize=10)
    figure.legend(
        handles=[Rectangle((0, 0), 1, 1, fill=False, edgecolor=f.colour, linewidth=f.linewidth * 1.6,
                           label=f"{f.frame} frame") for f in data["frames"].itertuples()],
        loc="lower center", ncol=len(data["frames"]), frameon=False, fontsize=9,
    )
    return finish(figure, file)


def plot_bias(report, file=None) -> Figure:
    """A bias report (from bias_report): how strongly the score and the labels follow each
    nuisance variable; flagged rows, where the score leans on what the labels do not, in red."""
    from .bias import bias_plot_data

    data = bias_plot_data(report)
    points, labels = data["points"], data["labels"]
    variables = list(dict.fromkeys(points["variable"]))
    figure = new_figure(7.5, 0.45 * max(len(variables), 2) + 1.6, "constrained")
    ax = figure.add_subplot()
    y = {name: len(variables) - 1 - i for i, name in enumerate(variables)}
    for measure in data["measures"].itertuples():
        rows = points[points["measure"] == measure.measure]
        ax.scatter(rows["value"], [y[v] for v in rows["variable"]], color=measure.colour,
                   marker=measure.marker, s=45, label=measure.measure, zorder=3)
    for name, rows in points.groupby("variable", sort=False):
        flagged = bool(rows["flagged"].iloc[0])
        ax.plot(rows["value"], [y[name]] * len(rows), color="#d62728" if flagged else "0.6",
                linewidth=2.5 if flagged else 1, zorder=2)
    ax.set_yticks(list(y.values()), [f"{v}  (flagged)" if points.loc[points["variable"] == v, "flagged"].iloc[0]
                                     else v for v in y])
    for tick, name in zip(ax.get_yticklabels(), y):
        if points.loc[points["variable"] == name, "flagged"].iloc[0]:
            tick.set_color("#d62728")
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set(xlim=(-1, 1), xlabel=labels["x"], title=labels["title"])
    ax.grid(axis="x", alpha=0.3)
    # below the axes, never over the points
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
    return finish(figure, file)
