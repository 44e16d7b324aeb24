"""Named recipes: the original exactly, the default two-view network and its overview-only
fallback, settings and errors."""

import json

import keras
import numpy as np
import pytest

import pyphotoq
from pyphotoq.models.model import ORIGINAL_PARAMETERS
from pyphotoq.models.recipes import DEFAULT, OVERVIEW_DEFAULT, RECIPES, resolve
from pyphotoq.models.statistics import NAMES, image_statistics


def test_original_recipe_is_the_original_workflow():
    settings = resolve("original")
    assert (settings["batches"], settings["batch_size"], settings["validate_every"]) == (5000, 4, 100)
    assert settings["optimizer"] == "rmsprop" and settings["learning_rate"] == 1e-4
    assert settings["schedule"] == "constant" and settings["label_smoothing"] == 0.0
    model = pyphotoq.build_model("original")
    assert model.count_params() == ORIGINAL_PARAMETERS == 47_266
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert np.isclose(float(model.optimizer.learning_rate), 1e-4)


def test_default_recipe_is_the_two_view_network_and_its_fallback_the_two_branch_one():
    assert DEFAULT == "two-view" and resolve()["recipe"] == DEFAULT and OVERVIEW_DEFAULT == "two-branch"
    overview_names = {"features", "average_pool", "max_pool", "statistics", "statistics_bins", "flip"}
    model = pyphotoq.build_model()
    names = {layer.name for layer in model.layers}
    assert overview_names | {"fold_patches", "detail_statistics", "detail_statistics_bins"} <= names
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    overview = pyphotoq.build_model(OVERVIEW_DEFAULT)
    assert overview_names <= {layer.name for layer in overview.layers}
    # any size of raw pixels in (with six patches for the two-view network), two softmax scores out
    for shape in [(64, 64), (96, 128), (320, 480)]:
        pixels = np.zeros((2, *shape, 3), np.uint8)
        for scores in (overview.predict(pixels, verbose=0),
                       model.predict({"pixels": pixels, "patches": np.zeros((2, 6, 64, 64, 3), np.uint8)}, verbose=0)):
            np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)


def test_unknown_recipe_or_contradicting_setting_is_one_clear_line():
    with pytest.raises(pyphotoq.PhotoqError, match="Unknown recipe 'fast'.*original, two-branch, two-view"):
        resolve("fast")
    with pytest.raises(pyphotoq.PhotoqError, match="'original' fixes learning_rate=0.0001"):
        resolve("original", learning_rate=1e-3)
    with pytest.raises(pyphotoq.PhotoqError, match="has no model option 'filters'"):
        resolve("two-branch", model_options={"filters": 16})
    with pytest.raises(pyphotoq.PhotoqError, match="has no setting 'momentum'"):
        resolve(None, momentum=0.9)
    for bad in (float("nan"), -1, "abc", 0):
        with pytest.raises(pyphotoq.PhotoqError, match="learning_rate must be (above 0|a number|a finite number)"):
            resolve(None, learning_rate=bad)
    with pytest.raises(pyphotoq.PhotoqError, match="batches must be a whole number"):
        resolve(None, batches=2.5)


def test_overrides_are_recorded_and_the_original_explores_its_own_options():
    settings = resolve(None, batches=300, batch_size=4, learning_rate=1e-3)
    assert (settings["batches"], settings["batch_size"], settings["learning_rate"]) == (300, 4, 1e-3)
    wider = pyphotoq.build_model("original", filters=16, last_filters=32, strided_layers=2, dropout=0.5)
    assert wider.count_params() != ORIGINAL_PARAMETERS
    assert set(RECIPES) == {"original", "two-branch", "two-view"}


def test_statistics_measure_what_they_name():
    rng = np.random.default_rng(0)
    base = rng.integers(60, 190, (1, 96, 128, 3)).astype(np.uint8)
    stats = lambda images: dict(zip(NAMES, image_statistics(images).numpy()[0]))  # noqa: E731
    plain, bright = stats(base), stats(np.clip(base.astype(int) + 60, 0, 255).astype(np.uint8))
    assert bright["brightness"] > plain["brightness"] + 0.2
    assert bright["clipped_highlights"] >= plain["clipped_highlights"]
    smooth = np.repeat(np.repeat(base[:, ::4, ::4], 4, axis=1), 4, axis=2)
    assert stats(smooth)["sharpness_full"] < plain["sharpness_full"]
    red = base.copy()
    red[..., 0] = np.clip(red[..., 0].astype(int) + 50, 0, 255)
    assert stats(red)["cast_red_green"] > plain["cast_red_green"] + 0.1
    assert len(NAMES) == image_statistics(base).shape[1]


def test_run_records_its_recipe_and_every_setting(trained_run):
    info = json.loads((trained_run.path / "run.json").read_text())
    assert info["settings"]["recipe"] == DEFAULT
    assert set(resolve()) == set(info["settings"])
    assert "recipe two-view" in repr(trained_run)


@pytest.mark.slow
def test_default_recipe_learns_beyond_chance(make_photos, tmp_path):
    photos = make_photos(n=120, seed=3)
    cache = pyphotoq.build_cache(photos, tmp_path / "cache", width=96,
                                 split=pyphotoq.Splitting("hash", (0.6, 0.2, 0.2)), progress=False)
    run = pyphotoq.train_model(cache, tmp_path / "run", batches=120, validate_every=40,
                               plot=False, progress=False)
    result = pyphotoq.evaluate_model(run, split="test")
    assert result.auc > 0.75, result.summary()
