"""Batches of cached images, read from disk for every batch, never all in memory.

Two modes:

* training: like the original sampler, each batch holds images of ONE shape, drawn with
  replacement, classes rebalanced by inverse frequency; batch `b` depends only on
  (seed, b), so a resumed run continues the same random stream.
* ordered: every image of a split exactly once, grouped by shape, for evaluation and scoring.

Both feed Keras as a `tf.data.Dataset` whose images have the spec (None, None, None, 3), so
batches of any shape, in any order, go through one traced training step. JPEG decoding runs
in a background TensorFlow thread and is prefetched while the model trains.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import tensorflow as tf

from .cache import Cache
from .errors import PhotoqError

IMAGE_SPEC = tf.TensorSpec(shape=(None, None, None, 3), dtype=tf.uint8)
LABEL_SPEC = tf.TensorSpec(shape=(None, 2), dtype=tf.float32)


def without_autotuning(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` with tf.data's autotuning off (parallelism and prefetch depth are fixed).

    The autotuning thread sleeps for longer and longer rounds, and deleting an iterator waits
    for it to wake: measured here, 5.5 s of dead time at the end of a 16 s `fit`.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


class TrainingSampler:
    """Chooses the rows of training batch `b`: one shape, rebalanced classes, replacement."""

    def __init__(self, frame: pd.DataFrame, positive: str, batch_size: int = 4, seed: int = 0):
        if frame.empty:
            raise PhotoqError("The training split is empty: add photos or change the split fractions")
        is_positive = (frame["label"] == positive).to_numpy()
        n_positive = int(is_positive.sum())
        if n_positive in (0, len(frame)):
            present = frame["label"].iloc[0]
            raise PhotoqError(
                f"The training split holds only '{present}' photos ({len(frame)}); "
                "training needs both classes"
            )
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        weights = np.where(is_positive, 1.0 / n_positive, 1.0 / (len(frame) - n_positive))
        shapes = list(zip(frame["height"], frame["width"]))
        self._groups = [
            np.array([i for i, s in enumerate(shapes) if s == shape]) for shape in sorted(set(shapes))
        ]
        group_weights = np.array([weights[g].sum() for g in self._groups])
        self._group_p = group_weights / group_weights.sum()
        self._within_p = [weights[g] / weights[g].sum() for g in self._groups]

    def rows(self, batch: int) -> np.ndarray:
        """Row positions of training batch number `batch` (0-based)."""
        rng = np.random.default_rng([self.seed, int(batch)])
        group = rng.choice(len(self._groups), p=self._group_p)
        return rng.choice(self._groups[group], size=self.batch_size, replace=True, p=self._within_p[group])


def one_hot(labels: pd.Series, positive: str) -> np.ndarray:
    """(n, 2) float32 targets: column 1 is the positive class, as the original Dense(2)."""
    is_positive = (labels == positive).to_numpy()
    return np.stack([~is_positive, is_positive], axis=1).astype(np.float32)


def training_batches(
    cache: Cache,
    split: str = "train",
    batch_size: int = 4,
    seed: int = 0,
    start: int = 0,
    stop: int | None = None,
    prefetch: int = 2,
) -> tf.data.Dataset:
    """Training batches `start`, `start + 1`, ... (endless when `stop` is None)."""
    frame = cache.split(split)
    sampler = TrainingSampler(frame, cache.positive, batch_size, seed)
    paths = np.array([str(cache.image_path(c)) for c in frame["cached"]])
    targets = one_hot(frame["label"], cache.positive)

    def batch_files():
        numbers = itertools.count(start) if stop is None else range(start, stop)
        for number in numbers:
            rows = sampler.rows(number)
            yield paths[rows], targets[rows]

    files = tf.data.Dataset.from_generator(
        batch_files, output_signature=(tf.TensorSpec([None], tf.string), LABEL_SPEC)
    )
    return _decoded(files, prefetch)


def ordered_rows(frame: pd.DataFrame, batch_size: int = 16) -> list[np.ndarray]:
    """Row positions of `frame` in batches of one shape each, every row exactly once."""
    batches = []
    ordered = frame.sort_values(["height", "width", "original"])
    for _, group in ordered.groupby(["height", "width"], sort=True):
        positions = frame.index.get_indexer(group.index)
        batches.extend(positions[i : i + batch_size] for i in range(0, len(positions), batch_size))
    return batches


def ordered_batches(cache: Cache, frame: pd.DataFrame, batch_size: int = 16):
    """(dataset, order): every image of `frame` once, and the row positions in dataset order."""
    frame = frame.reset_index(drop=True)
    batches = ordered_rows(frame, batch_size)
    paths = np.array([str(cache.image_path(c)) for c in frame["cached"]])
    targets = one_hot(frame["label"], cache.positive)

    def batch_files():
        for rows in batches:
            yield paths[rows], targets[rows]

    files = tf.data.Dataset.from_generator(
        batch_files, output_signature=(tf.TensorSpec([None], tf.string), LABEL_SPEC)
    )
    order = np.concatenate(batches) if batches else np.array([], dtype=int)
    return _decoded(files, prefetch=2), order


def _decoded(files: tf.data.Dataset, prefetch: int) -> tf.data.Dataset:
    # One decoding thread: a cached image decodes in ~1.3 ms, a training step on four takes
    # ~150 ms. (Under op determinism tf.data turns a parallel map into this anyway, and logs
    # an error-level line each time it does.)
    return without_autotuning(files.map(_read_images).prefetch(prefetch))


def _read_images(paths, targets):
    images = tf.map_fn(
        decode_jpeg_file, paths, fn_output_signature=tf.TensorSpec([None, None, 3], tf.uint8)
    )
    return tf.ensure_shape(images, IMAGE_SPEC.shape), targets


def decode_jpeg_file(path):
    """A cached JPEG's pixels, (height, width, 3) uint8."""
    # INTEGER_ACCURATE is libjpeg's default, so TensorFlow sees the pixels Pillow and R see.
    return tf.io.decode_jpeg(tf.io.read_file(path), channels=3, dct_method="INTEGER_ACCURATE")
