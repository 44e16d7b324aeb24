"""Plots: ROC curve, training history and contact sheet, drawn from a real (tiny) run.

Every picture draws the tables of pyphotoq.reporting.plotdata (the ones R's ggplot2 plots draw too), so
these tests check both that the tables say the right thing and that the figure draws them.
"""

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
from pyphotoq.reporting.plotdata import FRAMES
from pyphotoq.reporting.plots import DPI


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
    data = pyphotoq.roc_plot_data(train_result)
    assert np.array_equal(data["curve"]["fpr"], train_result.roc["fpr"])
    figure = pyphotoq.plot_roc(train_result, tmp_path / "roc.png")
    assert isinstance(figure, Figure) and isinstance(figure.canvas, FigureCanvasAgg)
    assert_picture(tmp_path / "roc.png", figure)
    (ax,) = figure.axes
    (curve,) = [line for line in ax.lines if line.get_drawstyle() == "steps-post"]
    assert np.array_equal(curve.get_xdata(), data["curve"]["fpr"])
    assert np.array_equal(curve.get_ydata(), data["curve"]["tpr"])
    assert f"AUC {train_result.auc:.3f}" in ax.get_title()
    assert ax.get_xlim() == (0, 1) and ax.get_ylim() == (0, 1)
    assert ax.get_xlabel() == "False positive rate" and ax.get_ylabel() == "True positive rate"
    # the dot sits where photos scoring at least the threshold are called good
    predictions = train_result.predictions
    good = predictions["label"] == "good"
    called_good = predictions["score"] >= train_result.threshold
    (dot,) = [line for line in ax.lines if line.get_marker() == "o"]
    expected = [called_good[~good].mean(), called_good[good].mean()]
    assert dot.get_xydata()[0] == pytest.approx(expected)
    assert data["point"][["fpr", "tpr"]].iloc[0].tolist() == pytest.approx(expected)
    assert f"threshold {train_result.threshold:.3f}" in data["point"]["label"].iloc[0]


def test_roc_without_both_classes_says_so(train_result):
    one_class = dataclasses.replace(train_result, roc=train_result.roc.iloc[:0], auc=math.nan)
    figure = pyphotoq.plot_roc(one_class)
    assert any("both classes" in text for text in texts(figure))
    assert pyphotoq.roc_plot_data(one_class)["point"].empty


def test_history_draws_the_history_table(trained_run, tmp_path):
    data = pyphotoq.history_plot_data(trained_run)
    series = data["series"]
    history = trained_run.history
    auc = history[(history["set"] == "validation") & (history["metric"] == "auc")]
    rows = series[series["series"] == "validation AUC"]
    assert rows["batch"].tolist() == auc["batch"].tolist()
    assert rows["value"].tolist() == auc["value"].tolist()
    assert set(series["panel"]) == {"Loss", "Accuracy and quality"}

    figure = pyphotoq.plot_history(trained_run, tmp_path / "history.png")
    assert_picture(tmp_path / "history.png", figure)
    loss_ax, quality_ax = figure.axes
    assert loss_ax.get_shared_x_axes().joined(loss_ax, quality_ax)
    assert quality_ax.get_xlabel() == "batch" and quality_ax.get_ylim() == (0, 1)
    # every series of the table is a line with exactly its rows, on its panel
    axes = {"Loss": loss_ax, "Accuracy and quality": quality_ax}
    for name, rows in series.groupby("series"):
        (line,) = [line for line in axes[rows["panel"].iloc[0]].lines if line.get_label() == name]
        assert np.array_equal(line.get_xdata(), rows["batch"])
        assert np.array_equal(line.get_ydata(), rows["value"])
        assert to_rgba(line.get_color()) == to_rgba(rows["colour"].iloc[0])
    best = trained_run.state["best_batch"]
    assert data["best"]["batch"].tolist() == [best]
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
    (folder / "history.csv").unlink()  # no checkpoint yet: no history file
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


def captions(figure):
    return [t.get_text() for t in figure.axes[0].texts if t.get_gid() == "caption"]


def test_contact_sheet_rows_best_first_with_every_misclassified_photo(train_result):
    predictions = train_result.predictions
    assert len(predictions) > 12
    data = pyphotoq.contact_sheet_data(train_result, n_top=3, n_bottom=3)
    tiles = data["tiles"]
    wrong = predictions[~predictions["correct"]]
    assert len(wrong) > 0  # a briefly trained model gets some wrong: the point of the test
    expected = set(predictions["hash"].head(3)) | set(predictions["hash"].tail(3)) | set(wrong["hash"])
    assert set(tiles["hash"]) == expected and tiles["hash"].is_unique
    assert tiles["score"].is_monotonic_decreasing
    ranks = {h: i + 1 for i, h in enumerate(predictions["hash"])}
    assert tiles["rank"].tolist() == [ranks[h] for h in tiles["hash"]]
    # three decimals, rank and true label on each; frames name the misclassified
    for tile in tiles.itertuples():
        assert tile.caption == f"#{tile.rank}  {tile.score:.3f}  {tile.label}"
        assert tile.frame == ("correct" if tile.correct else "misclassified")
    assert set(FRAMES["frame"]) == {"correct", "misclassified"}


def test_contact_sheet_separator_sits_at_the_threshold(train_result):
    data = pyphotoq.contact_sheet_data(train_result)
    tiles, (line,) = data["tiles"], data["separator"].itertuples()
    above = tiles[tiles["ymin"] > line.y]
    below = tiles[tiles["ymax"] < line.y]
    assert len(above) + len(below) == len(tiles)
    assert (above["score"] >= train_result.threshold).all()
    assert (below["score"] < train_result.threshold).all()
    assert f"threshold {train_result.threshold:.3f}" in line.label
    assert f"threshold {train_result.threshold:.3f}" in data["labels"]["title"]


def test_contact_sheet_draws_its_table(train_result, tmp_path):
    figure = pyphotoq.contact_sheet(train_result, tmp_path / "sheet.png")
    assert_picture(tmp_path / "sheet.png", figure)
    data = pyphotoq.contact_sheet_data(train_result)
    tiles = data["tiles"]
    assert captions(figure) == tiles["caption"].tolist()
    (ax,) = figure.axes
    images = ax.get_images()
    assert len(images) == len(tiles)
    for image, tile in zip(images, tiles.itertuples()):
        assert image.get_extent() == pytest.approx([tile.xmin, tile.xmax, tile.ymin, tile.ymax])
        with Image.open(tile.cached) as photo:  # the whole photo, undistorted
            assert image.get_array().shape[:2] == (photo.height, photo.width)
            assert (tile.xmax - tile.xmin) / (tile.ymax - tile.ymin) == pytest.approx(
                photo.width / photo.height, rel=1e-6)
    frames = [p for p in ax.patches if (p.get_gid() or "").startswith("frame:")]
    assert [p.get_gid() for p in frames] == [f"frame:{f}" for f in tiles["frame"]]
    red = to_rgba(FRAMES.set_index("frame").loc["misclassified", "colour"])
    assert sum(p.get_edgecolor() == red for p in frames) == (~tiles["correct"]).sum()
    # a legend for the frame colours
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == ["misclassified frame", "correct frame"]
    assert f"AUC {train_result.auc:.3f}" in figure.get_suptitle()


def test_contact_sheet_of_few_photos_shows_each_once(trained_run, tmp_path):
    result = pyphotoq.evaluate_model(trained_run, split="validation")
    figure = pyphotoq.contact_sheet(result, tmp_path / "sheet.jpg", n_top=1, n_bottom=20)
    assert_picture(tmp_path / "sheet.jpg", figure, format="JPEG")
    assert captions(figure) == [f"#{i + 1}  {p.score:.3f}  {p.label}"
                                for i, p in enumerate(result.predictions.itertuples())]


def test_contact_sheet_survives_a_missing_cached_photo(train_result):
    predictions = train_result.predictions.copy()
    predictions.loc[0, "cached"] = "/nonexistent/photo.jpg"
    figure = pyphotoq.contact_sheet(dataclasses.replace(train_result, predictions=predictions))
    assert any(text.startswith("cannot read\nphoto.jpg") for text in texts(figure))
    assert len(captions(figure)) == len(pyphotoq.contact_sheet_data(train_result)["tiles"])


def test_plot_data_from_the_plain_evaluation_r_sends(train_result):
    """R sends its evaluation back as JSON (doubles as exact text): the same tables come out."""
    from pyphotoq.reporting.plotdata import evaluation_from_plain

    def table(frame):
        doubles = [c for c in frame if pd.api.types.is_float_dtype(frame[c])]
        columns = {c: ([repr(float(v)) for v in frame[c]] if c in doubles
                       else [v.item() if hasattr(v, "item") else v for v in frame[c]]) for c in frame}
        return {"columns": columns, "doubles": doubles}

    plain = {name: getattr(train_result, name) for name in (
        "split", "checkpoint", "threshold_rule", "n_photos", "positive", "negative")}
    plain.update({name: repr(float(getattr(train_result, name))) for name in (
        "threshold", "auc", "accuracy", "f1", "share_positive")})
    plain.update(roc=table(train_result.roc), predictions=table(train_result.predictions),
                 cache_path=str(train_result.cache_path), run_path=str(train_result.run_path))
    again = evaluation_from_plain(plain)
    assert again.roc["threshold"].iloc[0] == math.inf
    pd.testing.assert_frame_equal(pyphotoq.contact_sheet_data(plain)["tiles"],
                                  pyphotoq.contact_sheet_data(train_result)["tiles"])
    pd.testing.assert_frame_equal(pyphotoq.roc_plot_data(again)["curve"],
                                  pyphotoq.roc_plot_data(train_result)["curve"])


def test_contact_sheet_captions_sit_under_their_own_photo_and_counts_follow_the_split(train_result):
    data = pyphotoq.contact_sheet_data(train_result, columns=4)
    tiles = data["tiles"]
    for tile in tiles.itertuples():
        below_own = tile.ymin - tile.y_caption
        assert 0 < below_own <= 0.2, tile.caption  # right under its photo
        nxt = tiles[(tiles["side"] == tile.side) & (tiles["column"] == tile.column) & (tiles["row"] == tile.row + 1)]
        if len(nxt):
            assert nxt["ymax"].iloc[0] < tile.y_caption and tile.y_caption - nxt["ymax"].iloc[0] > below_own
    assert all(len(line) <= 95 for line in data["labels"]["subtitle"].splitlines())
    few = pyphotoq.contact_sheet_data(train_result, n_top=100, n_bottom=100)
    total = len(train_result.predictions)
    assert f"all {total} photos of the split" in few["labels"]["subtitle"].replace("\n", " ")
    assert "highest" not in few["labels"]["subtitle"]
