"""Scores from a model: a network that measures the booster's statistics inside itself is given
the statistics already measured photo by photo (prediction.fed_scorer) instead."""

import numpy as np

from pyphotoq.models.booster import photo_statistics
from pyphotoq.models.model import original_network, two_branch_network, two_view_network
from pyphotoq.models.prediction import fed_network, fed_scorer, scorer


def _photos(count: int, shape=(48, 64), patches=(3, 32)):
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (count, *shape, 3), dtype=np.uint8)
    pixels[:, :, : shape[1] // 2] //= 3  # a darker half: statistics that differ between photos
    detail = rng.integers(0, 256, (count, patches[0], patches[1], patches[1], 3), dtype=np.uint8)
    return pixels, detail


def test_a_two_view_network_given_the_measured_statistics_scores_as_when_it_measures_them():
    model = two_view_network(widths=(4, 8), detail_widths=(4,), seed=1)
    pixels, patches = _photos(5)
    statistics = np.stack([photo_statistics([p, d], ("overview", "detail")) for p, d in zip(pixels, patches)])
    images = {"pixels": pixels, "patches": patches}
    fed = fed_scorer(model)
    assert fed is not None
    measured_inside = scorer(model)(images).numpy()
    given = fed({"pixels": pixels, "statistics": statistics}).numpy()
    np.testing.assert_allclose(given, measured_inside, atol=1e-5)
    # it uses the statistics it is given, not the pixels' own
    other = fed({"pixels": pixels, "statistics": statistics[::-1].copy()}).numpy()
    assert np.abs(other - given).max() > 1e-4
    # one photo's score no longer depends on the photos scored with it
    alone = np.array([fed({"pixels": pixels[i : i + 1], "statistics": statistics[i : i + 1]}).numpy()[0]
                      for i in range(len(pixels))])
    np.testing.assert_allclose(alone, given, atol=1e-6)
    # the same layers and weights: training one trains the other
    shared = {id(w) for w in fed_network(model).trainable_weights}
    assert shared == {id(w) for w in model.trainable_weights}


def test_an_overview_network_is_given_its_statistics_and_one_without_them_is_not():
    model = two_branch_network(widths=(4, 8), seed=2)
    pixels, _ = _photos(4)
    statistics = np.stack([photo_statistics([p], ("overview",)) for p in pixels])
    np.testing.assert_allclose(fed_scorer(model)({"pixels": pixels, "statistics": statistics}).numpy(),
                               scorer(model)(pixels).numpy(), atol=1e-5)
    assert fed_scorer(original_network()) is None
    assert fed_scorer(two_branch_network(widths=(4, 8), statistics=False)) is None


def test_training_gives_the_network_each_photos_statistics_measured_once(tmp_path):
    import pyphotoq
    from pyphotoq.models.booster import kept_statistics
    from pyphotoq.models.prediction import predict_scores

    photos = pyphotoq.make_demo_photos(tmp_path / "photos", n_photos=24, size=(128, 96), seed=1, progress=False)
    cache = pyphotoq.build_cache(photos, tmp_path / "cache", width=96, detail=False, progress=False)
    assert not (cache.path / "statistics.csv").exists()
    run = pyphotoq.train_model(cache, tmp_path / "run", recipe=pyphotoq.Recipe("two-branch", booster=False), batches=2,
                               validate_every=2, progress=False, plot=False)
    # no booster asked for them: the statistics were measured for the network, once, and kept
    for split in ("train", "validation"):
        assert kept_statistics(cache, cache.split(split), ("overview",))[1].all()
    # the checkpoint is the whole network, which measures them itself from pixels; its recorded
    # validation scores are those of the network given the kept statistics
    model = run.load_model("best")
    validation = cache.split("validation")
    recorded = run.validation_scores("best").set_index("hash")["score"].reindex(validation["hash"]).to_numpy()
    np.testing.assert_allclose(predict_scores(model, cache, validation), recorded, atol=1e-6)
    assert fed_network(model) is not None
