"""A run's training history: its table (the one R's ggplot2 plot draws too) and its picture,
which training redraws in the run folder at every checkpoint (history.png). Re-exported by
plotdata (the tables) and plots (the pictures), where every other plot lives; it sits with the
workflow because training draws it."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..core.figures import finish, new_figure
from ..models.runs import Run, open_run

__all__ = ["SERIES_COLOURS", "PANELS", "history_plot_data", "plot_history"]

#: One colour per history series, so that the legend tells every line apart.
SERIES_COLOURS = {
    ("train", "loss"): "#aec7e8", ("train", "loss_avg"): "#1f77b4", ("validation", "loss"): "#ff7f0e",
    ("train", "accuracy_avg"): "#17becf", ("validation", "accuracy"): "#d62728",
    ("validation", "auc"): "#2ca02c", ("validation", "f1"): "#9467bd",
}

# (set, metric) -> (panel, series label, kind); kind: faint line, line, or points joined by lines
_HISTORY_SERIES = [
    ("train", "loss", "Loss", "training, per batch", "faint"),
    ("train", "loss_avg", "Loss", "training, moving average", "line"),
    ("validation", "loss", "Loss", "validation loss", "points"),
    ("train", "accuracy_avg", "Accuracy and quality", "training accuracy, moving average", "line"),
    ("validation", "accuracy", "Accuracy and quality", "validation accuracy", "points"),
    ("validation", "auc", "Accuracy and quality", "validation AUC", "points"),
    ("validation", "f1", "Accuracy and quality", "validation F1", "points"),
]
PANELS = ["Loss", "Accuracy and quality"]


def history_plot_data(run) -> dict:
    """A run's training history as drawn: one row per point of every series, by panel."""
    run = run if isinstance(run, Run) else open_run(run)
    history = run.history
    parts = []
    for order, (set_name, metric, panel, label, kind) in enumerate(_HISTORY_SERIES):
        rows = history[(history["set"] == set_name) & (history["metric"] == metric)]
        rows = rows[rows["value"].notna()].sort_values("batch", kind="stable")
        if rows.empty:
            continue
        colour = SERIES_COLOURS[(set_name, metric)]
        parts.append(pd.DataFrame({
            "batch": rows["batch"].astype(int).to_numpy(),
            "value": rows["value"].astype(float).to_numpy(),
            "panel": panel, "series": label, "kind": kind, "colour": colour, "order": order,
        }))
    columns = ["batch", "value", "panel", "series", "kind", "colour", "order"]
    series = pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
    best = run.state.get("best_batch")
    best_auc = run.state.get("best_auc")
    best_table = pd.DataFrame(columns=["batch", "label"])
    if best is not None:
        label = f"best checkpoint (batch {best}" + (f", AUC {best_auc:.3f})" if best_auc is not None else ")")
        best_table = pd.DataFrame({"batch": [int(best)], "label": [label]})
    return {
        "series": series,
        "best": best_table,
        "labels": {
            "title": f"{run.path.name}: {run.batches_done} of {run.settings['batches']} batches",
            "x": "batch",
            "empty": "" if len(series) else "no history yet",
        },
    }


def plot_history(run, file=None) -> Figure:
    """Training loss and accuracy (moving average) and validation metrics, by batch."""
    data = history_plot_data(run)
    series, labels = data["series"], data["labels"]
    figure = new_figure(9, 6.4)  # fixed margins: a layout engine would draw it twice when saving
    loss_ax, quality_ax = figure.subplots(2, 1, sharex=True, gridspec_kw=dict(
        left=0.08, right=0.7, bottom=0.08, top=0.9, hspace=0.22))
    axes = dict(zip(["Loss", "Accuracy and quality"], (loss_ax, quality_ax)))
    style = {
        "faint": dict(alpha=0.2, linewidth=0.5),
        "line": dict(linewidth=1.8),
        "points": dict(marker="o", markersize=4, linewidth=1.2, clip_on=False),
    }
    for (_, name), rows in series.groupby(["order", "series"], sort=True):
        first = rows.iloc[0]
        axes[first["panel"]].plot(rows["batch"], rows["value"], color=first["colour"],
                                  label=name, **style[first["kind"]])
    for best in data["best"].itertuples():
        for ax in (loss_ax, quality_ax):
            ax.axvline(best.batch, color="black", linestyle=":", linewidth=1.2, label=best.label)
    if labels["empty"]:
        loss_ax.text(0.5, 0.5, labels["empty"], transform=loss_ax.transAxes,
                     ha="center", va="center", color="dimgrey")
    loss_ax.set(ylabel="loss", title="Loss")
    quality_ax.set(ylabel="share / AUC", xlabel=labels["x"], ylim=(0, 1), title="Accuracy and quality")
    quality_ax.set_xlim(left=0)
    quality_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (loss_ax, quality_ax):
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    figure.suptitle(labels["title"], fontsize=11)
    return finish(figure, file)
