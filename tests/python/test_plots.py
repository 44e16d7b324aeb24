"""Plots: ROC curve, training history and contact sheet, drawn from a real (tiny) run."""

import dataclasses
import math
import shutil

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

import pyphotoq
from pyphotoq.plots import DPI


@pytest.fixture(scope="module")
def train_result(trained_run):
    """The run evaluated on its training split: enough photos (both classes) for a full sheet."""
    return pyphotoq.evaluate_model(trained_run, split="train")


def assert_picture(path, figure, format="PNG"):
    """`path` is a non-blank picture of `format`, the size of `figure` at the plots' dpi."""
    with Image.open(path) as image:
        assert image.format == format
        assert image.size == tuple(round(v * DPI) for v in figure.get_size_inches())
        assert np.asarray(image.convert("L")).std() > 5


def texts(figure):
    return [t.get_text() for t in figure.findobj(Text)]


def test_roc_draws_the_roc_table_with_auc_and_operating_point(train_result, tmp_path):
    figure = pyphotoq.plot_roc(train_result, tmp_path / "roc.png")
    assert isinstance(figure, Figure) and isinstance(figure.canvas, FigureCanvasAgg)
    assert_picture(tmp_path / "roc.png", figure)
    (ax,) = figure.axes
    (curve,) = [line for line in ax.lines if line.get_drawstyle() == "steps-post"]
    roc = train_result.roc
    assert np.array_equal(curve.get_xdata(), roc["fpr"])
    assert np.array_equal(curve.get_ydata(), roc["tpr"])
    assert f"AUC {train_result.auc:.3f}" in ax.get_title()
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)
    assert ax.get_xlabel() == "False positive rate" and ax.get_ylabel() == "True positive rate"
    # the dot sits where photos scoring at least the threshold are called good
    predictions = train_result.predictions
    good = predictions["label"] == "good"
    called_good = predictions["score"] >= train_result.threshold
    (dot,) = [line for line in ax.lines if line.get_marker() == "o"]
    assert dot.get_xydata()[0] == pytest.approx([called_good[~good].mean(), called_good[good].mean()])


def test_roc_without_both_classes_says_so(train_result):
    one_class = dataclasses.replace(train_result, roc=train_result.roc.iloc[:0], auc=math.nan)
    figure = pyphotoq.plot_roc(one_class)
    assert "AUC n/a" in figure.axes[0].get_title()
    assert any("both classes" in text for text in texts(figure))


def test_history_of_a_run_and_of_its_folder(trained_run, tmp_path):
    figure = pyphotoq.plot_history(trained_run, tmp_path / "history.png")
    assert_picture(tmp_path / "history.png", figure)
    loss_ax, quality_ax = figure.axes
    assert loss_ax.get_shared_x_axes().joined(loss_ax, quality_ax)
    assert quality_ax.get_xlabel() == "batch" and quality_ax.get_ylim() == (0, 1)
    history = trained_run.history
    auc = history[(history["set"] == "validation") & (history["metric"] == "auc")]
    (auc_line,) = [line for line in quality_ax.lines if line.get_label() == "validation AUC"]
    assert np.array_equal(auc_line.get_xdata(), auc["batch"])
    assert np.array_equal(auc_line.get_ydata(), auc["value"])
    best = trained_run.state["best_batch"]
    for ax in figure.axes:
        assert any(line.get_linestyle() == ":" and list(line.get_xdata()) == [best, best]
                   for line in ax.lines)
    title = figure.get_suptitle()
    assert trained_run.path.name in title and str(trained_run.batches_done) in title

    from_folder = pyphotoq.plot_history(str(trained_run.path), tmp_path / "history.jpg")
    assert_picture(tmp_path / "history.jpg", from_folder, format="JPEG")
    assert from_folder.get_suptitle() == title


def copy_run(run, folder, history):
    """A copy of `run`'s folder, without checkpoints, whose history.csv holds `history`."""
    shutil.copytree(run.path, folder, ignore=shutil.ignore_patterns("checkpoints"))
    history.to_csv(folder / "history.csv", index=False)
    return folder


def test_history_with_no_rows_yet(trained_run, tmp_path):
    folder = copy_run(trained_run, tmp_path / "run", trained_run.history.iloc[:0])
    figure = pyphotoq.plot_history(folder, tmp_path / "history.png")
    assert len(figure.axes) == 2
    assert "no history yet" in texts(figure)
    assert_picture(tmp_path / "history.png", figure)


def test_history_before_the_first_validation(trained_run, tmp_path):
    history = trained_run.history
    folder = copy_run(trained_run, tmp_path / "run",
                      history[(history["set"] == "train") & (history["batch"] <= 5)])
    figure = pyphotoq.plot_history(folder)
    labels = [line.get_label() for ax in figure.axes for line in ax.lines]
    assert "training, moving average" in labels and "validation AUC" not in labels
    assert "no history yet" not in texts(figure)


def shown_tiles(figure):
    """(title, image array) of every tile, in reading order."""
    return [(ax.get_title(), ax.get_images()[0].get_array()) for ax in figure.axes]


def test_contact_sheet_shows_highest_then_lowest_scores(train_result, tmp_path):
    figure = pyphotoq.contact_sheet(train_result, tmp_path / "sheet.png")
    assert_picture(tmp_path / "sheet.png", figure)
    predictions = train_result.predictions
    assert len(predictions) > 25
    shown = pd.concat([predictions.head(13), predictions.tail(12)])
    tiles = shown_tiles(figure)
    assert [title for title, _ in tiles] == [f"{p.score:.2f} {p.label}" for p in shown.itertuples()]
    for (_, pixels), path in zip(tiles, shown["cached"]):
        with Image.open(path) as image:  # the whole photo, portrait or landscape, undistorted
            assert pixels.shape[:2] == (image.height, image.width)
    assert all(ax.get_aspect() == 1 for ax in figure.axes)
    assert f"AUC {train_result.auc:.3f}" in figure.get_suptitle()
    assert f"threshold {train_result.threshold:.2f}" in figure.get_suptitle()


def red_frames(figure):
    red = to_rgba("red")
    return [p for p in figure.findobj(Rectangle) if p.get_edgecolor() == red and not p.get_fill()]


def test_contact_sheet_frames_the_misclassified_in_red(trained_run, tmp_path):
    everything_good = pyphotoq.evaluate_model(trained_run, split="train", threshold=0.0)
    predictions = everything_good.predictions
    shown = pd.concat([predictions.head(4), predictions.tail(4)])
    figure = pyphotoq.contact_sheet(everything_good, n_top=4, n_bottom=4, columns=4)
    assert len(figure.axes) == 8
    assert len(red_frames(figure)) == (~shown["correct"]).sum() > 0
    for ax, correct in zip(figure.axes, shown["correct"]):
        assert any(p in red_frames(figure) for p in ax.patches) != correct


def test_contact_sheet_of_few_photos_shows_each_once(trained_run, tmp_path):
    result = pyphotoq.evaluate_model(trained_run, split="validation")
    figure = pyphotoq.contact_sheet(result, tmp_path / "sheet.jpg", n_top=1, n_bottom=20)
    assert_picture(tmp_path / "sheet.jpg", figure, format="JPEG")
    titles = [title for title, _ in shown_tiles(figure)]
    assert titles == [f"{p.score:.2f} {p.label}" for p in result.predictions.itertuples()]


def test_contact_sheet_survives_a_missing_cached_photo(train_result):
    predictions = train_result.predictions.copy()
    predictions.loc[0, "cached"] = "/nonexistent/photo.jpg"
    figure = pyphotoq.contact_sheet(dataclasses.replace(train_result, predictions=predictions))
    assert len(figure.axes) == 25
    assert any(text.startswith("cannot read\nphoto.jpg") for text in texts(figure))
