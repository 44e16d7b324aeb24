"""The model, training end to end, the run folder, resumption after SIGKILL, clear errors."""

import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq.models.model import ORIGINAL_PARAMETERS
from pyphotoq.workflow.training import with_moving_averages


def test_original_recipe_builds_the_original_network():
    model = pyphotoq.build_model("original")
    assert model.count_params() == ORIGINAL_PARAMETERS == 47_266
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 5 and kinds.count("Dropout") == 2
    assert kinds[-3:] == ["GlobalAveragePooling2D", "Activation", "Dense"]
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert np.isclose(float(model.optimizer.learning_rate), 1e-4)


@pytest.mark.parametrize("recipe", ["original", "two-branch"])
def test_model_takes_raw_pixels_of_any_shape(recipe):
    model = pyphotoq.build_model(recipe)
    for shape in [(64, 64), (72, 96), (360, 480), (480, 360)]:
        scores = model.predict(np.zeros((2, *shape, 3), np.uint8), verbose=0)
        assert scores.shape == (2, 2)
        np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)
    # scaling to [0, 1] lives inside: 255 in, 1.0 after the first layer
    scaled = keras.Model(model.input, model.get_layer("scale_to_unit").output)
    assert float(scaled(np.full((1, 64, 64, 3), 255, np.uint8)).numpy().max()) == pytest.approx(1.0)


def test_model_options_change_the_network():
    wider = pyphotoq.build_model("original", filters=16, last_filters=32, strided_layers=2, dropout=0.5)
    assert wider.count_params() != ORIGINAL_PARAMETERS


def test_training_writes_a_self_describing_run(trained_run, small_cache):
    run = trained_run
    assert run.batches_done == 40
    assert json.loads((run.path / "run.json").read_text())["cache"]["id"] == small_cache.id
    assert run.info["versions"]["keras"] == keras.__version__
    assert list(run.checkpoints["batch"]) == [20, 40]
    assert (run.path / "history.png").stat().st_size > 0
    history = run.history
    train = history[(history["set"] == "train") & (history["metric"] == "loss")]
    assert list(train["batch"]) == list(range(1, 41))
    assert np.isfinite(train["value"]).all() and (train["value"] > 0).all()
    validation = history[history["set"] == "validation"]
    assert set(validation["metric"]) == {"auc", "accuracy", "f1", "loss"}
    assert sorted(set(validation["batch"])) == [20, 40]
    best = run.state["best"]
    best_auc = validation[validation["metric"] == "auc"].set_index("batch")["value"]
    assert best_auc[run.state["best_batch"]] == pytest.approx(best_auc.max())
    assert (run.path / best).exists()


def test_per_batch_values_recovered_from_running_means(trained_run):
    history = trained_run.history
    accuracy = history[(history["set"] == "train") & (history["metric"] == "accuracy")]["value"]
    # one batch's accuracy is a multiple of 1 / batch size
    size = trained_run.settings["batch_size"]
    np.testing.assert_allclose(accuracy * size, np.round(accuracy * size), atol=1e-4)


def test_moving_average_is_over_the_last_batches():
    rows = [[b, "train", "loss", float(b)] for b in range(1, 101)]
    history = with_moving_averages(rows)
    smooth = history[history["metric"] == "loss_avg"].set_index("batch")["value"]
    assert smooth[1] == 1.0
    assert smooth[100] == pytest.approx(np.mean(range(51, 101)))


def test_finished_run_is_not_trained_again_and_can_be_extended(small_cache, tmp_path):
    run = pyphotoq.train_model(small_cache, tmp_path / "run", batches=10, validate_every=10,
                               plot=False, progress=False)
    first = (tmp_path / "run" / run.state["latest"]).stat().st_mtime_ns
    again = pyphotoq.train_model(small_cache, tmp_path / "run", batches=10, validate_every=10,
                                 plot=False, progress=False)
    assert (tmp_path / "run" / again.state["latest"]).stat().st_mtime_ns == first
    longer = pyphotoq.train_model(small_cache, tmp_path / "run", batches=25, validate_every=10,
                                  plot=False, progress=False)
    assert longer.batches_done == 25
    assert list(longer.checkpoints["batch"]) == [10, 20, 25]


def test_run_folder_of_another_cache_is_refused(small_cache, trained_run, tmp_path):
    other = pyphotoq.build_cache(small_cache.manifest["original"].iloc[0].rsplit("/", 2)[0],
                                 tmp_path / "other_cache", width=96, progress=False)
    with pytest.raises(pyphotoq.PhotoqError, match="not the one the run"):
        pyphotoq.train_model(other, trained_run.path, batches=40, validate_every=20, progress=False)


def test_changed_settings_on_resume_are_refused(small_cache, trained_run):
    with pytest.raises(pyphotoq.PhotoqError, match="batch_size"):
        pyphotoq.train_model(small_cache, trained_run.path, batches=40, batch_size=3,
                             validate_every=20, progress=False)


def test_one_class_cache_is_refused(demo_photos, tmp_path):
    only_good = tmp_path / "photos"
    shutil.copytree(demo_photos / "good", only_good / "good")
    # refused by build_cache itself, before anything is cached
    with pytest.raises(pyphotoq.PhotoqError, match="No 'bad/' folder .*both classes"):
        pyphotoq.build_cache(only_good, tmp_path / "cache", width=96, progress=False)
    assert not (tmp_path / "cache").exists()


def test_empty_validation_split_is_refused(demo_photos, tmp_path):
    cache = pyphotoq.build_cache(demo_photos, tmp_path / "cache", width=96, progress=False,
                                 split=pyphotoq.Splitting(fractions=(1.0, 0.0, 0.0)))
    with pytest.raises(pyphotoq.PhotoqError, match="validation split"):
        pyphotoq.train_model(cache, tmp_path / "run", batches=4, progress=False)


_TRAIN_SCRIPT = """
import sys, pyphotoq
pyphotoq.train_model(sys.argv[1], sys.argv[2], batches=60, validate_every=20, plot=False,
                     progress=False)
"""


def _train_in_subprocess(cache, run, kill_after_batches=None):
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_TRAIN_SCRIPT), str(cache), str(run)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    if kill_after_batches is None:
        assert process.wait(timeout=300) == 0, process.stderr.read().decode()
        return
    state = run / "state.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if state.exists() and json.loads(state.read_text())["batches_done"] >= kill_after_batches:
            break
        time.sleep(0.05)
    assert process.poll() is None, "training finished before it could be killed"
    time.sleep(0.3)  # land the kill somewhere inside the next interval
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.slow
def test_resume_after_sigkill_matches_an_uninterrupted_run(small_cache, tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    _train_in_subprocess(small_cache.path, whole)
    _train_in_subprocess(small_cache.path, killed, kill_after_batches=20)
    interrupted = pyphotoq.open_run(killed)
    assert 20 <= interrupted.batches_done < 60  # no more than one interval lost
    kept = interrupted.history
    resumed = pyphotoq.train_model(small_cache, killed, batches=60, validate_every=20,
                                   plot=False, progress=False)
    assert resumed.batches_done == 60
    history, reference = resumed.history, pyphotoq.open_run(whole).history
    assert len(history) == len(reference)
    # the history before the kill is kept as it was
    before = history[history["batch"] <= interrupted.batches_done].reset_index(drop=True)
    pd.testing.assert_frame_equal(before, kept[kept["batch"] <= interrupted.batches_done].reset_index(drop=True))
    # and the continuation follows the same batches, dropout draws and optimizer state
    np.testing.assert_allclose(history["value"], reference["value"], rtol=1e-4, atol=1e-5)
    weights = keras.models.load_model(killed / resumed.state["latest"]).get_weights()
    expected = keras.models.load_model(whole / "checkpoints/batch-000060.keras").get_weights()
    for got, want in zip(weights, expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    # the booster, fitted before the kill, is the uninterrupted run's, blended the same way
    for name in ("scene.txt", "alone.txt", "boosted.csv"):
        assert (killed / "booster" / name).read_bytes() == (whole / "booster" / name).read_bytes(), name
    got, want = (json.loads((run / "booster" / "booster.json").read_text()) for run in (killed, whole))
    assert (got["checkpoint"], got["network_weight"]) == (want["checkpoint"], want["network_weight"])
