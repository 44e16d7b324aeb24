"""Tests of pyphotoq.models.batches: one shape per batch, rebalanced classes, reproducible batches,
an ordered mode, and variable shapes through a real Keras fit (keras-team/keras#19748)."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import pyphotoq
from pyphotoq.models.batches import TrainingSampler, ordered_batches, ordered_rows, training_batches

LANDSCAPE, PORTRAIT = (72, 96), (128, 96)  # (height, width) of the demo photos cached 96 wide


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """24 demo photos, landscape and portrait, cached 96 px wide."""
    root = tmp_path_factory.mktemp("batches")
    photos = pyphotoq.make_demo_photos(root / "photos", n_photos=24, size=(128, 96), seed=0)
    handle = pyphotoq.build_cache(photos, root / "cache", width=96, split=pyphotoq.Splitting(fractions=(1, 0, 0)),
                                  progress=False)
    shapes = set(zip(handle.manifest["height"], handle.manifest["width"]))
    assert shapes == {LANDSCAPE, PORTRAIT}
    return handle


def table(n_good, n_bad, shapes=((72, 96), (128, 96), (96, 96)), seed=0):
    """A fake training split: labels and cached sizes only."""
    rng = np.random.default_rng(seed)
    labels = ["good"] * n_good + ["bad"] * n_bad
    picked = rng.integers(0, len(shapes), len(labels))
    return pd.DataFrame({
        "label": labels,
        "height": [shapes[i][0] for i in picked],
        "width": [shapes[i][1] for i in picked],
        "original": [f"/trip/IMG_{i:04d}.jpg" for i in range(len(labels))],
    })


def test_every_batch_has_one_shape():
    frame = table(30, 30)
    sampler = TrainingSampler(frame, "good", batch_size=4, seed=1)
    seen = set()
    for number in range(500):
        rows = sampler.rows(number)
        assert len(rows) == 4
        shapes = set(zip(frame["height"].iloc[rows], frame["width"].iloc[rows]))
        assert len(shapes) == 1
        seen |= shapes
    assert len(seen) == 3


def test_classes_are_rebalanced():
    frame = table(400, 100)  # 80 / 20
    sampler = TrainingSampler(frame, "good", batch_size=4, seed=2)
    drawn = np.concatenate([sampler.rows(b) for b in range(3000)])
    share_good = (frame["label"].to_numpy()[drawn] == "good").mean()
    assert abs(share_good - 0.5) < 0.03
    # drawn with replacement, from every photo
    assert len(np.unique(drawn)) > 0.95 * len(frame)


def test_a_lone_shape_is_drawn_with_replacement():
    frame = table(20, 20, shapes=((72, 96),))
    frame.loc[0, "height"] = 128  # the only portrait photo
    sampler = TrainingSampler(frame, "good", batch_size=4, seed=0)
    batches = [sampler.rows(b) for b in range(400)]
    lone = [rows for rows in batches if 0 in rows]
    assert lone and all(list(rows) == [0, 0, 0, 0] for rows in lone)


def test_batches_are_reproducible_and_independent():
    frame = table(50, 20)
    first = TrainingSampler(frame, "good", seed=7)
    again = TrainingSampler(frame, "good", seed=7)
    other = TrainingSampler(frame, "good", seed=8)
    in_order = [first.rows(b) for b in range(50)]
    # batch b is the same without drawing the batches before it, in any order
    for b in reversed(range(50)):
        np.testing.assert_array_equal(again.rows(b), in_order[b])
    assert any(not np.array_equal(other.rows(b), in_order[b]) for b in range(50))
    # the same batch does not come back again and again
    assert len({tuple(r) for r in in_order}) > 40


def test_sampler_refuses_what_cannot_train():
    with pytest.raises(pyphotoq.PhotoqError, match="empty"):
        TrainingSampler(table(0, 0), "good")
    with pytest.raises(pyphotoq.PhotoqError, match="only 'bad'"):
        TrainingSampler(table(0, 5), "good")


def test_ordered_rows_visit_every_row_once():
    frame = table(23, 18).sample(frac=1, random_state=1)
    frame.index = frame.index * 10  # not 0..n-1
    batches = ordered_rows(frame, batch_size=4)
    order = np.concatenate(batches)
    assert sorted(order) == list(range(len(frame)))
    for rows in batches:
        assert 1 <= len(rows) <= 4
        assert len(set(zip(frame["height"].iloc[rows], frame["width"].iloc[rows]))) == 1


def test_ordered_batches_deliver_every_cached_image(cache):
    frame = cache.split("train")
    dataset, order = ordered_batches(cache, frame, batch_size=5)
    assert sorted(order) == list(range(len(frame)))
    delivered = 0
    for images, targets in dataset:
        rows = order[delivered : delivered + len(images)]
        delivered += len(images)
        assert images.dtype.name == "uint8" and images.shape[1:] in ((72, 96, 3), (128, 96, 3))
        for image, row in zip(images.numpy(), rows):
            expected = np.asarray(Image.open(cache.image_path(frame["cached"][row])).convert("RGB"))
            np.testing.assert_array_equal(image, expected)  # TensorFlow sees what Pillow (and R) see
        np.testing.assert_array_equal(targets.numpy()[:, 1], frame["label"][rows] == "good")
    assert delivered == len(frame)


def test_training_batches_are_uint8_of_varying_shapes(cache):
    dataset = training_batches(cache, seed=3, stop=40)
    images_spec, targets_spec = dataset.element_spec
    assert images_spec.shape.as_list() == [None, None, None, 3] and images_spec.dtype.name == "uint8"
    assert targets_spec.shape.as_list() == [None, 2]
    shapes = set()
    count = 0
    for images, targets in dataset:
        count += 1
        assert images.dtype.name == "uint8" and images.shape[0] == 4
        shapes.add(tuple(images.shape[1:3]))
        assert targets.dtype.name == "float32" and targets.shape == (4, 2)
        np.testing.assert_array_equal(targets.numpy().sum(axis=1), 1)
    assert count == 40 and shapes == {LANDSCAPE, PORTRAIT}


def test_training_batches_continue_the_same_stream(cache):
    whole = [images.numpy() for images, _ in training_batches(cache, seed=4, stop=8)]
    resumed = [images.numpy() for images, _ in training_batches(cache, seed=4, start=5, stop=8)]
    assert len(resumed) == 3
    for a, b in zip(whole[5:], resumed):
        np.testing.assert_array_equal(a, b)


def test_batches_carry_each_photos_given_statistics(cache):
    frame = cache.split("train")
    statistics = np.arange(len(frame) * 3, dtype=np.float32).reshape(len(frame), 3)  # a row names its photo
    sampler = TrainingSampler(frame, cache.positive, 4, seed=5)
    for number, (inputs, _) in enumerate(training_batches(cache, seed=5, stop=6, statistics=statistics)):
        assert sorted(inputs) == ["pixels", "statistics"]
        np.testing.assert_array_equal(inputs["statistics"].numpy(), statistics[sampler.rows(number)])
        assert inputs["pixels"].shape[0] == 4
    dataset, order = ordered_batches(cache, frame, batch_size=5, statistics=statistics)
    given = np.concatenate([inputs["statistics"].numpy() for inputs, _ in dataset])
    np.testing.assert_array_equal(given, statistics[order])
    with pytest.raises(ValueError, match="a row for each"):
        training_batches(cache, statistics=statistics[:-1])


def test_pipelines_run_without_tf_data_autotuning(cache):
    # deleting an iterator waits for the autotuning thread to wake (seconds at the end of fit)
    training = training_batches(cache, seed=0, stop=2)
    ordered, _ = ordered_batches(cache, cache.split("train"))
    assert training.options().autotune.enabled is False
    assert ordered.options().autotune.enabled is False


def shape_change_seed(cache, batches=8):
    """A seed whose batches 0 and 1 share a shape and batch 2 has another."""
    frame = cache.split("train")
    for seed in range(1000):
        sampler = TrainingSampler(frame, cache.positive, seed=seed)
        shapes = [int(frame["height"][sampler.rows(b)[0]]) for b in range(batches)]
        if shapes[0] == shapes[1] != shapes[2]:
            return seed, shapes
    raise AssertionError("no seed changes shape after two batches")


@pytest.mark.filterwarnings("ignore:Your input ran out of data", "ignore:`shuffle=True`")
@pytest.mark.parametrize("recipe,views", [("two-branch", ("overview",)), ("two-view", ("overview", "detail"))])
def test_keras_fit_with_shapes_that_change_after_two_batches(cache, recipe, views):
    import keras

    seed, heights = shape_change_seed(cache)
    dataset = training_batches(cache, seed=seed, stop=8, views=views)
    # the data Keras sees: two batches of one shape, then another shape
    delivered = [tuple((images["pixels"] if isinstance(images, dict) else images).shape[1:3])
                 for images, _ in dataset]
    assert [h for h, _ in delivered] == heights and len(set(delivered)) == 2

    class Shapes(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1
            assert np.isfinite(logs["loss"])

    model = pyphotoq.build_model(recipe)
    counter = Shapes()
    history = model.fit(dataset, epochs=1, verbose=0, callbacks=[counter])
    assert counter.batches == 8
    assert np.isfinite(history.history["loss"][-1])

    # and an endless stream with steps_per_epoch, over two epochs
    endless = training_batches(cache, seed=seed, start=8, views=views)
    history = model.fit(endless, epochs=2, steps_per_epoch=5, verbose=0)
    assert len(history.history["loss"]) == 2

    # ordered batches change shape too: predictions for every photo, in the manifest's order
    frame = cache.split("train")
    ordered, order = ordered_batches(cache, frame, batch_size=3, views=views)
    scores = model.predict(ordered, verbose=0)
    assert scores.shape == (len(frame), 2) and np.allclose(scores.sum(axis=1), 1, atol=1e-5)
    assert sorted(order) == list(range(len(frame)))
