"""Scores from a model, batched by image shape, through one traced function per model."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from .quiet import tf  # TensorFlow imported quietly (pyphotoq.quiet)

from .batches import IMAGE_SPEC, ordered_batches
from .cache import Cache
from .cache_format import OVERVIEW
from .model import views_of

#: Patches of any count and size (batch, patches, size, size, 3).
PATCHES_SPEC = tf.TensorSpec(shape=(None, None, None, None, 3), dtype=tf.uint8)

# One tf.function per model, traced once for images of any shape (Keras' predict() would
# retrace for every new shape it meets).
_SCORERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def scorer(model):
    """A function from a (batch, height, width, 3) uint8 tensor (a two-view model: a dict of
    "pixels" and "patches", see batches.py) to the 'good' scores."""
    if model not in _SCORERS:
        if views_of(model) == (OVERVIEW,):
            signature = IMAGE_SPEC
        else:
            signature = {"pixels": IMAGE_SPEC, "patches": PATCHES_SPEC}
        _SCORERS[model] = tf.function(
            lambda images: model(images, training=False)[:, 1], input_signature=[signature]
        )
    return _SCORERS[model]


def predict_images(model, batches, statistics: bool = False, network: bool = True, views=None):
    """Scores of a stream of image batches, concatenated; with `statistics`, (scores, the
    booster's statistics of every image) from the same pixels. Without `network` the scores
    are NaN and the model is not run (a booster that gives the network no weight): `model`
    may then be None, with `views` the views the batches hold."""
    from .booster import batch_statistics, statistic_names

    score = scorer(model) if network else None
    parts, measured = [], []
    for images in batches:
        if network:
            parts.append(score(images).numpy())
        else:
            first = images["pixels"] if isinstance(images, dict) else images
            parts.append(np.full(int(first.shape[0]), np.nan))
        if statistics:
            measured.append(batch_statistics(images))
    scores = np.concatenate(parts).astype(float) if parts else np.array([], dtype=float)
    if not statistics:
        return scores
    width = len(statistic_names(views if views is not None else views_of(model)))
    return scores, (np.concatenate(measured) if measured else np.zeros((0, width), np.float32))


def predict_scores(model, cache: Cache, frame: pd.DataFrame, batch_size: int = 16, statistics: bool = False,
                   network: bool = True, views=None):
    """The 'good' score of every row of `frame`, in the frame's row order; with `statistics`,
    (scores, the booster's statistics of every row); see predict_images for `network` (without
    it, `model` may be None and `views` names the views to read)."""
    views = tuple(views) if views is not None else views_of(model)
    dataset, order = ordered_batches(cache, frame, batch_size, views)
    scores = np.empty(len(frame), dtype=float)
    found = predict_images(model, (images for images, _ in dataset), statistics, network, views)
    if not statistics:
        scores[order] = found
        return scores
    scores[order] = found[0]
    measured = np.empty_like(found[1])
    measured[order] = found[1]
    return scores, measured
