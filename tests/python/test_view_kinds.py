"""The view registry (pyphotoq.photos.view_kinds): a third view is one maker plus its declaration, and
the cache, the batch stream, the model's views, prediction, the booster's statistics, scoring's
view maker and explanations' reader take it from there with no other change."""

import json

import numpy as np
import pytest

import pyphotoq
from pyphotoq.photos import view_kinds

TOY = 32


def _thumbnail(data, spec, opened=None):
    """The toy view: a small square thumbnail of the upright photo, its red and blue swapped (so
    that it cannot be mistaken for a resized overview)."""
    from PIL import Image

    image = pyphotoq.photos.images.open_photo(data, 96).image.resize((int(spec["size"]), int(spec["size"])),
                                                              Image.Resampling.BILINEAR)
    r, g, b = image.split()
    return Image.merge("RGB", (b, g, r))


@pytest.fixture
def toy_cache(make_photos, tmp_path, monkeypatch):
    """A cache of 12 photos whose cache.json also declares the toy view, made by the next build."""
    monkeypatch.setitem(view_kinds.VIEWS, "toy", view_kinds.ViewKind(
        name="toy", make="toy-thumbnail", maker=_thumbnail, input="toy", statistics_layer="toy_statistics",
        shape=lambda spec: (int(spec["size"]), int(spec["size"]), 3)))
    photos, folder = make_photos(n=12), tmp_path / "cache"
    pyphotoq.build_cache(photos, folder, width=96, progress=False)
    info = json.loads((folder / "cache.json").read_text())
    info["views"]["toy"] = {"make": "toy-thumbnail", "size": TOY, "encoding": "jpeg", "quality": 95}
    (folder / "cache.json").write_text(json.dumps(info))
    return photos, pyphotoq.build_cache(photos, folder, width=96, progress=False)


def test_a_toy_view_goes_through_cache_batches_and_booster(toy_cache):
    from pyphotoq.models.batches import ordered_batches
    from pyphotoq.models.booster import measure_statistics, statistic_names
    from pyphotoq.models.statistics import NAMES, statistics_of_files

    _, cache = toy_cache
    assert cache.views == ["overview", "detail", "toy"]
    frame = cache.manifest.reset_index(drop=True)
    first = cache.read_image(frame["hash"][0], "toy")
    assert first.shape == (TOY, TOY, 3)

    # the batch stream delivers the toy view under its declared input, as the cache reads it
    dataset, order = ordered_batches(cache, frame, batch_size=4, views=("overview", "toy"))
    images, _ = next(iter(dataset))
    assert set(images) == {"pixels", "toy"} and tuple(images["toy"].shape) == (4, TOY, TOY, 3)
    np.testing.assert_array_equal(images["toy"].numpy()[0], cache.read_image(frame["hash"][order[0]], "toy"))

    # the booster's columns and statistics: the overview's, then the toy view's measured whole
    views = ("overview", "toy")
    names = statistic_names(views)
    assert names[len(NAMES):] == [f"toy_{n}" for n in NAMES]
    measured = measure_statistics(cache, frame, views, progress=False)
    assert measured.shape == (len(frame), 2 * len(NAMES))
    files = [cache.view_path(h, "toy") for h in frame["hash"]]
    np.testing.assert_allclose(measured[:, len(NAMES):], statistics_of_files(files), rtol=1e-5, atol=1e-6)
    # the two-view statistics are untouched by a third view being declared
    assert statistic_names(("overview", "detail")) == [f"overview_{n}" for n in NAMES] + [
        f"detail_{pool}_{n}" for pool in ("mean", "max", "min") for n in NAMES]


def test_a_model_reading_a_toy_view_is_scored_and_explained(toy_cache, tmp_path):
    import keras

    from pyphotoq.workflow.explain import _views_of_photo
    from pyphotoq.models.model import views_of
    from pyphotoq.models.prediction import scorer
    from pyphotoq.data.views import source_views

    photos, cache = toy_cache
    pixels = keras.Input(shape=(None, None, 3), dtype="uint8", name="pixels")
    toy = keras.Input(shape=(TOY, TOY, 3), dtype="uint8", name="toy")
    mean = keras.layers.Concatenate()([
        keras.layers.GlobalAveragePooling2D()(keras.ops.cast(pixels, "float32") / 255.0),
        keras.layers.GlobalAveragePooling2D()(keras.ops.cast(toy, "float32") / 255.0)])
    model = keras.Model({"pixels": pixels, "toy": toy}, keras.layers.Dense(2, activation="softmax")(mean))
    assert views_of(model) == ("overview", "toy")

    specs = cache.info["views"]
    path = sorted((photos / "good").iterdir())[0]
    made, scene = source_views(path.read_bytes(), specs, ("overview", "toy"))
    assert made[1].shape == (TOY, TOY, 3) and set(scene) >= {"taken", "look"}
    # a new photo's toy view is the cached one, pixel for pixel (made, encoded, decoded alike)
    digest = cache.manifest.set_index("original").loc[str(path), "hash"]
    np.testing.assert_array_equal(made[1], cache.read_image(digest, "toy"))
    scores = scorer(model)({"pixels": made[0][None], "toy": made[1][None]}).numpy()
    assert scores.shape == (1,) and 0 <= scores[0] <= 1

    # explanations find a cached photo's toy file beside its overview, by the cache's path rule
    cached, _ = _views_of_photo(str(cache.view_path(digest, "overview")), specs, ("overview", "toy"))
    np.testing.assert_array_equal(cached[1], cache.read_image(digest, "toy"))


def test_an_undeclared_view_is_refused_in_one_line(toy_cache):
    from pyphotoq.models.batches import check_views
    from pyphotoq.core.errors import PhotoqError

    _, cache = toy_cache
    assert check_views(cache, ("overview", "toy")) == ("overview", "toy")
    with pytest.raises(PhotoqError, match="'detail', 'toy' \\(the declared views\\)"):
        check_views(cache, ("overview", "sketch"))
    with pytest.raises(ValueError, match="no view 'sketch' is declared"):
        view_kinds.view_kind("sketch")
