"""Scores from a model, batched by image shape, through one traced function per model."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
import tensorflow as tf

from .batches import IMAGE_SPEC, ordered_batches
from .cache import OVERVIEW, Cache
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


def predict_images(model, batches) -> np.ndarray:
    """Scores of a stream of image batches, concatenated."""
    score = scorer(model)
    parts = [score(images).numpy() for images in batches]
    return np.concatenate(parts).astype(float) if parts else np.array([], dtype=float)


def predict_scores(model, cache: Cache, frame: pd.DataFrame, batch_size: int = 16) -> np.ndarray:
    """The 'good' score of every row of `frame`, in the frame's row order."""
    dataset, order = ordered_batches(cache, frame, batch_size, views_of(model))
    scores = np.empty(len(frame), dtype=float)
    scores[order] = predict_images(model, (images for images, _ in dataset))
    return scores
