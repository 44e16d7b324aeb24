"""Scores from a model, batched by image shape, through one traced function per model."""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd
from ..core.quiet import tf  # TensorFlow imported quietly (pyphotoq.core.quiet)

from .batches import IMAGE_SPEC, STATISTICS_INPUT, ordered_batches
from ..data.cache import Cache
from ..data.cache_format import OVERVIEW
from .model import views_of
from ..data.views import view_kind

def input_signature(views):
    """The traced signature of a model reading `views`: the overview's batch alone, or a dict of
    each view's input (a batch of any size in every dimension, of the view's rank)."""
    if tuple(views) == (OVERVIEW,):
        return IMAGE_SPEC
    signature = {view_kind(OVERVIEW).input: IMAGE_SPEC}
    for view in views[1:]:
        signature[view_kind(view).input] = tf.TensorSpec(shape=(None,) * view_kind(view).rank + (3,), dtype=tf.uint8)
    return signature

# One tf.function per model, traced once for images of any shape (Keras' predict() would
# retrace for every new shape it meets).
_SCORERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def scorer(model):
    """A function from a (batch, height, width, 3) uint8 tensor (a two-view model: a dict of
    "pixels" and "patches", see batches.py) to the 'good' scores."""
    if model not in _SCORERS:
        _SCORERS[model] = tf.function(
            lambda images: model(images, training=False)[:, 1], input_signature=[input_signature(views_of(model))]
        )
    return _SCORERS[model]


def statistics_layer(view: str) -> str:
    """The layer of a network whose output is what booster.photo_statistics measures of `view`
    (its declaration's statistics_layer: the ImageStatistics of the overview; those of every
    patch pooled by mean, max and min)."""
    return view_kind(view).statistics_layer

_FED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FED_SCORERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def fed_network(model):
    """For a network that measures the booster's statistics inside itself (its ImageStatistics
    layers), the same network, sharing its layers and weights, given them instead: inputs
    "pixels" (and "patches" when it also looks at them, not only measures them) and
    "statistics", a row per photo as booster.photo_statistics and measure_statistics give them,
    each photo's measured once. It costs about a fifth of the network (measured on 12 MP
    photos: 9 against 42 ms of CPU a photo, and a training step 0.38 against 0.65 s); its
    scores differ from the network's own by float32 rounding (the network measures a batch at
    once, the booster one photo at a time). None for a network without those layers (the
    original)."""
    if model not in _FED:
        _FED[model] = _fed(model)
    return _FED[model]


def fed_views(model) -> tuple[str, ...]:
    """The views whose pixels fed_network(model) reads."""
    fed = fed_network(model)
    names = {t.name for t in fed.inputs}
    return tuple(view for view in views_of(model) if view_kind(view).input in names)


def statistics_columns(model) -> dict | None:
    """{layer: (start, stop)}: the columns of the booster's statistics (booster.statistic_names)
    that the statistics layer of each of the network's views outputs; None for a network without
    them."""
    from .booster import statistic_names

    views = views_of(model)
    names = [layer.name for layer in model.layers]
    layers = [model.get_layer(statistics_layer(v)) for v in views if statistics_layer(v) in names]
    ends = np.cumsum([int(layer.output.shape[-1]) for layer in layers]).tolist()
    if len(layers) != len(views) or (ends[-1] if ends else 0) != len(statistic_names(views)):
        return None
    return {layer: (a, b) for layer, a, b in zip(layers, [0, *ends[:-1]], ends)}


def _fed(model):
    import keras

    columns = statistics_columns(model)
    if columns is None:
        return None
    width = max(b for _, b in columns.values())
    statistics = keras.Input(shape=(width,), dtype="float32", name=STATISTICS_INPUT)
    given = {layer.name: statistics[:, a:b] for layer, (a, b) in columns.items()}
    pixels = {t.name: keras.Input(shape=t.shape[1:], dtype=t.dtype, name=t.name) for t in model.inputs}

    def call(layer, *args, **kwargs):
        return given[layer.name] if layer.name in given else layer(*args, **kwargs)

    # the same layers (and weights) called again on new inputs, as keras.models.clone_model does
    # with clone_function=lambda layer: layer, the statistics layers answering with the
    # statistics given; the original model's own graph is left as it is
    try:
        structure = model.input
        inputs = (dict(pixels) if isinstance(structure, dict) else [pixels[t.name] for t in structure]
                  if isinstance(structure, (list, tuple)) else pixels[structure.name])
        outputs = model._run_through_graph(inputs, operation_fn=lambda layer: layer, call_fn=call)
    except (AttributeError, TypeError, ValueError):  # a Keras whose graph walk differs: not fed
        return None
    # the overview's pixels, and the patches only when the network looks at them as well
    used = _inputs_of(outputs)
    kept = {name: tensor for name, tensor in pixels.items() if name == view_kind(OVERVIEW).input or name in used}
    return keras.Model({**kept, STATISTICS_INPUT: statistics}, outputs, name=f"{model.name}_given_statistics")


def _inputs_of(tensor) -> set[str]:
    """The names of the keras.Input tensors that `tensor` is computed from."""
    names, seen, stack = set(), set(), [tensor]
    while stack:
        current = stack.pop()
        operation, index, _ = current._keras_history
        node = operation._inbound_nodes[index]
        if not node.input_tensors:
            names.add(current.name)
        for parent in node.input_tensors:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return names


def fed_inputs(model, images, statistics) -> dict:
    """fed_network(model)'s inputs for a batch: its `images` (a uint8 overview batch, or a dict
    of "pixels" and "patches") as far as it still reads them, and their `statistics`."""
    pixels = images if isinstance(images, dict) else {view_kind(OVERVIEW).input: images}
    wanted = {t.name for t in fed_network(model).inputs}
    return {**{name: value for name, value in pixels.items() if name in wanted}, STATISTICS_INPUT: statistics}


def fed_scorer(model):
    """A function from a dict of fed_network(model)'s inputs (uint8 pixels, float32 statistics)
    to the 'good' scores, traced once for images of any shape; None as fed_network."""
    if model not in _FED_SCORERS:
        fed = fed_network(model)
        if fed is None:
            _FED_SCORERS[model] = None
        else:
            signature = {t.name: tf.TensorSpec(t.shape, t.dtype) for t in fed.inputs}
            _FED_SCORERS[model] = tf.function(lambda inputs: fed(inputs, training=False)[:, 1],
                                              input_signature=[signature])
    return _FED_SCORERS[model]


def predict_images(model, batches, statistics: bool = False, network: bool = True, views=None):
    """Scores of a stream of image batches, concatenated; with `statistics`, (scores, the
    booster's statistics of every image) from the same pixels, which a network that measures
    them too is given (fed_network) instead. Without `network` the scores are NaN and the
    model is not run (a booster that gives the network no weight): `model` may then be None,
    with `views` the views the batches hold. A batch that holds "statistics" (batches.py) is
    scored by the network given them."""
    from .booster import batch_statistics, statistic_names

    score = scorer(model) if network else None
    fed = fed_scorer(model) if network else None
    parts, measured = [], []
    for images in batches:
        found = batch_statistics(images) if statistics else None
        if found is not None:
            measured.append(found)
        if isinstance(images, dict) and STATISTICS_INPUT in images:
            parts.append(fed(images).numpy())
        elif network and fed is not None and found is not None:
            parts.append(fed(fed_inputs(model, images, found)).numpy())
        elif network:
            parts.append(score(images).numpy())
        else:
            first = images["pixels"] if isinstance(images, dict) else images
            parts.append(np.full(int(first.shape[0]), np.nan))
    scores = np.concatenate(parts).astype(float) if parts else np.array([], dtype=float)
    if not statistics:
        return scores
    width = len(statistic_names(views if views is not None else views_of(model)))
    return scores, (np.concatenate(measured) if measured else np.zeros((0, width), np.float32))


def predict_scores(model, cache: Cache, frame: pd.DataFrame, batch_size: int = 16, statistics: bool = False,
                   network: bool = True, views=None, given: np.ndarray | None = None):
    """The 'good' score of every row of `frame`, in the frame's row order; with `statistics`,
    (scores, the booster's statistics of every row, measured from the same pixels); see
    predict_images for `network` (without it, `model` may be None and `views` names the views
    to read). A network that measures the booster's statistics itself is given them instead
    (fed_network): `given` (a row for each row of `frame`), else the cache's kept statistics
    (booster.measure_statistics: photos not measured before are measured and kept)."""
    views = tuple(views) if views is not None else views_of(model)
    fed = network and not statistics and fed_network(model) is not None
    if fed:
        if given is None:
            from .booster import measure_statistics

            given = measure_statistics(cache, frame, views)
        dataset, order = ordered_batches(cache, frame, batch_size, fed_views(model), given)
    else:
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
