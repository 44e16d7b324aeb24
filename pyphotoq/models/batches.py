"""Batches of cached images, read from disk for every batch, never all in memory.

Two modes:

* training: like the original sampler, each batch holds images of ONE shape, drawn with
  replacement, classes rebalanced by inverse frequency; batch `b` depends only on
  (seed, b), so a resumed run continues the same random stream.
* ordered: every image of a split exactly once, grouped by shape, for evaluation and scoring.

Both feed Keras as a `tf.data.Dataset` whose images have the spec (None, None, None, 3), so
batches of any shape, in any order, go through one traced training step. JPEG decoding runs
in a background TensorFlow thread and is prefetched while the model trains.

With `views=("overview", "detail")` (a two-view model), each batch is a dict: "pixels", the
overviews (batch, height, width, 3), and "patches", the detail view's patches of the same
photos (batch, patches, size, size, 3); which photos a batch holds does not change. Given the
booster's statistics of every row (`statistics`), each batch is a dict that also holds them
("statistics", (batch, features)): a network given its statistics (prediction.fed_network)
then reads only the pixels it still needs, and nothing is measured twice.
"""

from __future__ import annotations

import itertools
import os

import numpy as np
import pandas as pd
from ..core.quiet import tf  # TensorFlow imported quietly (pyphotoq.core.quiet)

from ..data.cache import Cache
from ..data.cache_format import OVERVIEW, view_file
from ..core.errors import PhotoqError
from ..data.views import VIEWS, view_kind

IMAGE_SPEC = tf.TensorSpec(shape=(None, None, None, 3), dtype=tf.uint8)
LABEL_SPEC = tf.TensorSpec(shape=(None, 2), dtype=tf.float32)
#: The input of a network given the booster's statistics of each photo (prediction.fed_network).
STATISTICS_INPUT = "statistics"


def check_views(cache: Cache, views) -> tuple[str, ...]:
    """`views` (None: the overview only) as a tuple, each declared by the cache."""
    views = (OVERVIEW,) if views is None else tuple(views)
    if not views or views[0] != OVERVIEW or any(v not in VIEWS for v in views[1:]) or len(set(views)) < len(views):
        others = ", ".join(repr(v) for v in VIEWS if v != OVERVIEW)
        raise PhotoqError(f"views must be the overview, then any of {others} (the declared views), got {views!r}")
    missing = [v for v in views if v not in cache.views]
    if missing:
        raise PhotoqError(
            f"The cache {cache.path} has no {missing[0]} view: build it again with "
            f"build_cache(..., {missing[0]}=True) to add it (the overviews are kept)"
        )
    return views


def view_spec(cache: Cache, view: str) -> tf.TensorSpec:
    """The batch spec of a view other than the overview: (batch, *the shape its declaration
    gives one photo's pixels from the cache's entry)."""
    return tf.TensorSpec([None, *view_kind(view).shape(cache.info["views"][view])], tf.uint8)


def _present(cache: Cache, paths: np.ndarray) -> np.ndarray:
    """`paths` when every file is there; else PhotoqError naming the first one missing (found
    before TensorFlow would fail on it in the middle of training)."""
    for path in paths.ravel():
        if not os.path.isfile(path):
            raise PhotoqError(f"The cache {cache.path} lacks {path} (deleted since it was built): run build_cache on "
                              "the cache again to make it")
    return paths


def _paths(cache: Cache, frame: pd.DataFrame, views) -> np.ndarray:
    """(rows, views) array of the cached files of every row, by the cache's one file rule."""
    return np.array([[str(cache.path / view_file(h, v, cache.info)) for v in views] for h in frame["hash"]],
                    dtype=object).reshape(len(frame), len(views))


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
    views=None,
    statistics: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Training batches `start`, `start + 1`, ... (endless when `stop` is None), of the cached
    `views` (None: the overview only); with `statistics` (a row for each photo of the split, in
    its order), those of each batch's photos as well."""
    views = check_views(cache, views)
    frame = cache.split(split)
    sampler = TrainingSampler(frame, cache.positive, batch_size, seed)
    paths = _present(cache, _paths(cache, frame, views))
    targets = one_hot(frame["label"], cache.positive)
    given = _given(statistics, len(frame))

    def batch_files():
        numbers = itertools.count(start) if stop is None else range(start, stop)
        for number in numbers:
            rows = sampler.rows(number)
            yield paths[rows].astype(str), *([given[rows]] if given is not None else []), targets[rows]

    return _decoded(_files(batch_files, views, given), prefetch, cache, views)


def _given(statistics, rows: int) -> np.ndarray | None:
    if statistics is None:
        return None
    given = np.asarray(statistics, dtype=np.float32)
    if given.ndim != 2 or len(given) != rows:
        raise ValueError(f"statistics must have a row for each of the {rows} photos, got shape {given.shape}")
    return given


def _files(generator, views, given) -> tf.data.Dataset:
    """The dataset of each batch's (file paths, [statistics], targets) that `generator` yields."""
    signature = (tf.TensorSpec([None, len(views)], tf.string),
                 *([tf.TensorSpec([None, given.shape[1]], tf.float32)] if given is not None else []), LABEL_SPEC)
    return tf.data.Dataset.from_generator(generator, output_signature=signature)


def ordered_rows(frame: pd.DataFrame, batch_size: int = 16) -> list[np.ndarray]:
    """Row positions of `frame` in batches of one shape each, every row exactly once."""
    batches = []
    ordered = frame.sort_values(["height", "width", "original"])
    for _, group in ordered.groupby(["height", "width"], sort=True):
        positions = frame.index.get_indexer(group.index)
        batches.extend(positions[i : i + batch_size] for i in range(0, len(positions), batch_size))
    return batches


def ordered_batches(cache: Cache, frame: pd.DataFrame, batch_size: int = 16, views=None,
                    statistics: np.ndarray | None = None):
    """(dataset, order): every image of `frame` once, and the row positions in dataset order;
    with `statistics` (a row for each row of `frame`), those of each batch's photos as well."""
    views = check_views(cache, views)
    frame = frame.reset_index(drop=True)
    batches = ordered_rows(frame, batch_size)
    paths = _present(cache, _paths(cache, frame, views))
    targets = one_hot(frame["label"], cache.positive)
    given = _given(statistics, len(frame))

    def batch_files():
        for rows in batches:
            yield paths[rows].astype(str), *([given[rows]] if given is not None else []), targets[rows]

    order = np.concatenate(batches) if batches else np.array([], dtype=int)
    return _decoded(_files(batch_files, views, given), 2, cache, views), order


def _decoded(files: tf.data.Dataset, prefetch: int, cache: Cache, views) -> tf.data.Dataset:
    # One decoding thread: a cached image decodes in ~1.3 ms, a training step on four takes
    # ~150 ms. (Under op determinism tf.data turns a parallel map into this anyway, and logs
    # an error-level line each time it does.)
    given = len(files.element_spec) == 3
    if views == (OVERVIEW,) and not given:
        return without_autotuning(files.map(_read_images).prefetch(prefetch))
    specs = [(k, view_kind(view).input, view_spec(cache, view)) for k, view in enumerate(views) if k > 0]

    def read_views(paths, *rest):
        *statistics, targets = rest
        images, _ = _read_images(paths[:, 0], targets)
        inputs = {view_kind(OVERVIEW).input: images}
        for column, name, spec in specs:  # a view of a declared shape: its file decoded and reshaped
            inputs[name] = tf.ensure_shape(tf.map_fn(
                lambda path, spec=spec: tf.reshape(decode_jpeg_file(path), spec.shape[1:]), paths[:, column],
                fn_output_signature=tf.TensorSpec(spec.shape[1:], tf.uint8),
            ), spec.shape)
        if statistics:
            inputs[STATISTICS_INPUT] = statistics[0]
        return inputs, targets

    return without_autotuning(files.map(read_views).prefetch(prefetch))


def _read_images(paths, targets):
    if paths.shape.rank == 2:
        paths = paths[:, 0]
    images = tf.map_fn(
        decode_jpeg_file, paths, fn_output_signature=tf.TensorSpec([None, None, 3], tf.uint8)
    )
    return tf.ensure_shape(images, IMAGE_SPEC.shape), targets


def decode_jpeg_file(path):
    """A cached JPEG's pixels, (height, width, 3) uint8."""
    # INTEGER_ACCURATE is libjpeg's default, so TensorFlow sees the pixels Pillow and R see.
    return tf.io.decode_jpeg(tf.io.read_file(path), channels=3, dct_method="INTEGER_ACCURATE")
