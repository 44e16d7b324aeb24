"""The networks: the original GAP CNN (47,266 parameters) and the default two-branch network.

Pixels go in as raw 8-bit values of any height and width; the scaling to [0, 1] is inside the
model, so a saved model needs no preprocessing from Python or R. Output column 1 is the 'good'
score. Which network, optimiser and schedule a run uses is its recipe (see recipes.py);
`build_model` builds and compiles the network of a recipe.
"""

from __future__ import annotations

from ..core.quiet import tf  # noqa: I001  TensorFlow imported quietly, before Keras (pyphotoq.core.quiet)
import keras
from keras import layers

from .statistics import NAMES as STATISTIC_NAMES
from .statistics import ImageStatistics, PiecewiseLinear
from ..data.views import OVERVIEW, input_views

#: The original network's trainable parameter count.
ORIGINAL_PARAMETERS = 47_266


def original_network(
    filters: int = 32,
    last_filters: int = 64,
    strided_layers: int = 3,
    dropout: float = 0.25,
    seed: int | None = 0,
) -> keras.Model:
    """The original GAP CNN (not compiled).

    Conv2D `filters` 3x3 + ReLU; `strided_layers` Conv2D `filters` 3x3 stride 2 + ReLU;
    Conv2D `last_filters` 3x3 stride 2 + ReLU; MaxPool 2; Dropout; MaxPool 2; Dropout;
    GlobalAveragePooling2D; ReLU; Dense 2; softmax.
    """
    inputs = keras.Input(shape=(None, None, 3), dtype="uint8", name="pixels")
    x = layers.Rescaling(1.0 / 255, name="scale_to_unit")(inputs)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    for _ in range(int(strided_layers)):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2D(last_filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(dropout, seed=None if seed is None else int(seed))(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(dropout, seed=None if seed is None else int(seed) + 1)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Activation("relu")(x)
    outputs = layers.Dense(2, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs, name="photoq_gap_cnn")


def _conv(x, filters, strides, name):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(name=f"{name}_norm")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def _gap_cnn(pixels, widths, flip: bool, seed, prefix: str, pooled_name: str):
    """Raw uint8 pixels -> [0, 1] -> optional random flip -> a stride-2 stem of `widths[0]`
    filters, then per further width a stride-2 and a plain 3x3 convolution (batch norm, ReLU)
    -> layer "<prefix>features" -> global average and max pooling, concatenated."""
    x = layers.Rescaling(1.0 / 255, name=f"{prefix}scale_to_unit")(pixels)
    if flip:
        x = layers.RandomFlip("horizontal", seed=seed, name=f"{prefix}flip")(x)
    widths = [int(w) for w in widths]
    x = _conv(x, widths[0], 2, f"{prefix}stem")
    for stage, filters in enumerate(widths[1:], 1):
        x = _conv(x, filters, 2, f"{prefix}stage{stage}_down")
        x = _conv(x, filters, 1, f"{prefix}stage{stage}_conv")
    features = layers.Identity(name=f"{prefix}features")(x)
    return layers.Concatenate(name=pooled_name)([
        layers.GlobalAveragePooling2D(name=f"{prefix}average_pool")(features),
        layers.GlobalMaxPooling2D(name=f"{prefix}max_pool")(features),
    ])


def _statistics_branch(stats, name: str, bins: int, units: int, dropout: float = 0.0, seed=None):
    """Statistics -> encoding fitted on the training photos -> dropout -> Dense `units` + ReLU."""
    if bins:
        stats = PiecewiseLinear(int(bins), name=f"{name}_bins")(stats)
    else:
        stats = layers.Normalization(name=f"{name}_norm")(stats)
    if dropout:
        stats = layers.Dropout(float(dropout), seed=seed, name=f"{name}_dropout")(stats)
    return layers.Dense(int(units), activation="relu", name=f"{name}_dense")(stats)


def two_branch_network(
    widths=(24, 32, 48, 64, 96),
    dropout: float = 0.5,
    statistics: bool = True,
    flip: bool = True,
    image_units: int = 8,
    statistics_units: int = 16,
    statistics_bins: int = 8,
    statistics_dropout: float = 0.2,
    image_branch: bool = True,
    seed: int | None = 0,
) -> keras.Model:
    """The overview-only default network (not compiled): a GAP CNN beside global statistics.

    Image branch (with `image_branch`): a stride-2 stem of `widths[0]` filters, then one stage
    per further width (a stride-2 3x3 convolution and a 3x3 convolution, each with batch
    normalisation and ReLU), global average and max pooling of the last feature map (layer
    "features"), Dense `image_units` + ReLU (none when 0). Statistics branch (with
    `statistics`): the ImageStatistics of the full-size pixels, each encoded piecewise-linearly
    over `statistics_bins` bins between its quantiles on the training photos (PiecewiseLinear,
    fitted when training starts; 0 bins: standardised by a Normalization layer instead),
    dropped out at `statistics_dropout`, then Dense `statistics_units` + ReLU. Both are joined,
    dropped out at `dropout` and fed to Dense 2 softmax.
    `flip` mirrors training photos left-right at random (a tilt stays a tilt, a crop a crop).
    """
    seed_or_none = None if seed is None else int(seed)
    inputs = keras.Input(shape=(None, None, 3), dtype="uint8", name="pixels")
    pooled = []
    if image_branch or not statistics:
        image = _gap_cnn(inputs, widths, flip, seed_or_none, "", "image_pooled")
        if image_units:
            image = layers.Dense(int(image_units), activation="relu", name="image_dense")(image)
        pooled.append(image)
    if statistics:
        stats = ImageStatistics(name="statistics")(inputs)
        pooled.append(_statistics_branch(stats, "statistics", statistics_bins, statistics_units,
                                         statistics_dropout, None if seed is None else int(seed) + 3))
    x = layers.Concatenate(name="joined")(pooled) if len(pooled) > 1 else layers.Identity(name="joined")(pooled[0])
    x = layers.Dropout(dropout, seed=seed_or_none, name="head_dropout")(x)
    outputs = layers.Dense(2, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs, name="photoq_two_branch")


@keras.saving.register_keras_serializable(package="pyphotoq")
class FoldPatches(layers.Layer):
    """(batch, patches, height, width, channels) -> (batch * patches, height, width, channels):
    one network then looks at every patch of every photo."""

    def call(self, patches):
        shape = keras.ops.shape(patches)
        return keras.ops.reshape(patches, (-1, shape[2], shape[3], shape[4]))

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[2:])


@keras.saving.register_keras_serializable(package="pyphotoq")
class UnfoldPatches(layers.Layer):
    """[(batch * patches, features), patches] -> (batch, patches, features)."""

    def call(self, inputs):
        values, patches = inputs
        return keras.ops.reshape(values, (keras.ops.shape(patches)[0], -1, keras.ops.shape(values)[-1]))

    def compute_output_shape(self, input_shapes):
        return (input_shapes[1][0], input_shapes[1][1], input_shapes[0][-1])


def _pooled(values, name, minimum=False):
    """(batch, patches, features) pooled over the patches: the mean notices what is everywhere
    (noise), the max what is anywhere (one patch in focus), the min what is nowhere."""
    parts = [layers.GlobalAveragePooling1D(name=f"{name}_mean")(values),
             layers.GlobalMaxPooling1D(name=f"{name}_max")(values)]
    if minimum:
        negated = layers.Rescaling(-1.0, name=f"{name}_negated")(values)
        parts.append(layers.Rescaling(-1.0, name=f"{name}_min")(
            layers.GlobalMaxPooling1D(name=f"{name}_negated_max")(negated)))
    return layers.Concatenate(name=name)(parts)


def two_view_network(
    widths=(24, 32, 48, 64, 96),
    detail_widths=(16, 24, 32, 48),
    dropout: float = 0.5,
    statistics: bool = True,
    flip: bool = True,
    image_units: int = 8,
    statistics_units: int = 16,
    detail_units: int = 8,
    statistics_bins: int = 8,
    statistics_dropout: float = 0.2,
    image_branch: bool = True,
    detail_branch: bool = False,
    seed: int | None = 0,
) -> keras.Model:
    """The default network when the cache has the detail view (not compiled): the two-branch
    overview network beside a detail branch.

    Inputs: "pixels", the overview (batch, height, width, 3), and "patches", the detail view's
    native-resolution patches (batch, patches, size, size, 3), both uint8. The overview branch is
    two_branch_network's (layers of the same names). The detail branch computes the
    ImageStatistics of every patch (sharpness, noise and blockiness at native resolution), pools
    them over the patches with mean, max and min, encodes them as the overview's
    ("detail_statistics_bins", fitted when training starts) and passes them through dropout and
    Dense `statistics_units` + ReLU. With `detail_branch` it also looks at every patch with one
    small network shared by all patches (a stride-2 stem of `detail_widths[0]` filters, then one
    stage per further width; global average and max pooling per patch), pooled over the patches
    with mean and max, Dense `detail_units` + ReLU; off by default: on the realistic benchmark it
    validated worse than the statistics alone and made training twice as slow. Everything is
    joined before the dropout and the Dense 2 softmax head.
    """
    seed_or_none = None if seed is None else int(seed)
    overview = two_branch_network(widths, dropout, statistics, flip, image_units, statistics_units,
                                  statistics_bins, statistics_dropout, image_branch, seed)
    pixels = overview.input
    joined_layer = overview.get_layer("joined")
    joined = joined_layer.input
    joined = list(joined) if isinstance(joined, (list, tuple)) else [joined]

    patches = keras.Input(shape=(None, None, None, 3), dtype="uint8", name="patches")
    folded = FoldPatches(name="fold_patches")(patches)
    if detail_branch or not statistics:
        per_patch = _gap_cnn(folded, detail_widths, flip, None if seed is None else int(seed) + 7, "detail_",
                             "detail_patch_pooled")
        detail = _pooled(UnfoldPatches(name="unfold_features")([per_patch, patches]), "detail_pooled")
        joined.append(layers.Dense(int(detail_units), activation="relu", name="detail_dense")(detail))
    if statistics:
        stats = ImageStatistics(name="detail_statistics")(folded)
        stats = _pooled(UnfoldPatches(name="unfold_statistics")([stats, patches]), "detail_statistics_pooled",
                        minimum=True)
        joined.append(_statistics_branch(stats, "detail_statistics", statistics_bins, statistics_units,
                                         statistics_dropout, None if seed is None else int(seed) + 5))
    x = layers.Concatenate(name="joined_views")(joined)
    x = layers.Dropout(dropout, seed=seed_or_none, name="head_dropout")(x)
    outputs = layers.Dense(2, activation="softmax", name="scores")(x)
    return keras.Model({"pixels": pixels, "patches": patches}, outputs, name="photoq_two_view")


NETWORKS = {"original": original_network, "two_branch": two_branch_network, "two_view": two_view_network}
#: The cached views each network reads (each view's declaration names the model input it feeds:
#: pyphotoq.photos.view_kinds).
NETWORK_VIEWS = {"original": ("overview",), "two_branch": ("overview",), "two_view": ("overview", "detail")}


def views_of(model_or_settings) -> tuple[str, ...]:
    """The cached views a model (or resolved recipe settings) needs."""
    if isinstance(model_or_settings, dict):
        return NETWORK_VIEWS[model_or_settings["network"]]
    found = input_views(getattr(t, "name", "") for t in model_or_settings.inputs)
    return (OVERVIEW, *(view for view in found if view != OVERVIEW))  # every network reads the overview

__all__ = ["original_network", "two_branch_network", "two_view_network",
           "ORIGINAL_PARAMETERS", "STATISTIC_NAMES"]
