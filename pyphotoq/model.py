"""The networks: the original GAP CNN (47,266 parameters) and the default two-branch network.

Pixels go in as raw 8-bit values of any height and width; the scaling to [0, 1] is inside the
model, so a saved model needs no preprocessing from Python or R. Output column 1 is the 'good'
score. Which network, optimiser and schedule a run uses is its recipe (see recipes.py);
`build_model` builds and compiles the network of a recipe.
"""

from __future__ import annotations

import keras
from keras import layers

from .statistics import NAMES as STATISTIC_NAMES
from .statistics import ImageStatistics

#: The original network's trainable parameter count.
ORIGINAL_PARAMETERS = 47_266


def build_model(recipe: str | None = None, seed: int | None = 0, **options) -> keras.Model:
    """The network of `recipe` (None: the default recipe), compiled with its optimiser.

    `options` override the recipe's settings: its network's own options (for "original":
    filters, last_filters, strided_layers, dropout; for the default: widths, dropout,
    statistics) and its training settings (learning_rate, and batches, which sets the length
    of a decaying schedule). A setting the recipe does not have, or one it fixes, is refused.
    `build_model("original")` is the original 47,266-parameter network with RMSprop 1e-4.
    """
    from .recipes import resolve

    settings = resolve(recipe, seed=0 if seed is None else seed, **options)
    return network_for(settings, seed)


def network_for(settings: dict, seed: int | None = 0) -> keras.Model:
    """The compiled network that resolved recipe `settings` describe."""
    from .recipes import compile_for

    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    builder = NETWORKS[settings["network"]]
    model = builder(seed=seed, **settings["model_options"])
    compile_for(model, settings)
    return model


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


def two_branch_network(
    widths=(24, 32, 48, 64, 96),
    dropout: float = 0.5,
    statistics: bool = True,
    flip: bool = True,
    image_units: int = 16,
    statistics_units: int = 32,
    seed: int | None = 0,
) -> keras.Model:
    """The default network (not compiled): a GAP CNN beside global image statistics.

    Image branch: a stride-2 stem of `widths[0]` filters, then one stage per further width
    (a stride-2 3x3 convolution and a 3x3 convolution, each with batch normalisation and ReLU),
    global average and max pooling of the last feature map (layer "features"). Statistics
    branch (with `statistics`): the ImageStatistics of the full-size pixels, standardised by
    a Normalization layer (adapted to the training photos when training starts), then Dense
    `statistics_units` + ReLU. With `image_units`, the pooled image features pass through
    Dense `image_units` + ReLU first. Both are joined, dropped out at `dropout` and fed to
    Dense 2 softmax.
    `flip` mirrors training photos left-right at random (a tilt stays a tilt, a crop a crop).
    """
    seed_or_none = None if seed is None else int(seed)
    inputs = keras.Input(shape=(None, None, 3), dtype="uint8", name="pixels")
    x = layers.Rescaling(1.0 / 255, name="scale_to_unit")(inputs)
    if flip:
        x = layers.RandomFlip("horizontal", seed=seed_or_none, name="flip")(x)

    def conv(x, filters, strides, name):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=name)(x)
        x = layers.BatchNormalization(name=f"{name}_norm")(x)
        return layers.Activation("relu", name=f"{name}_relu")(x)

    widths = [int(w) for w in widths]
    x = conv(x, widths[0], 2, "stem")
    for stage, filters in enumerate(widths[1:], 1):
        x = conv(x, filters, 2, f"stage{stage}_down")
        x = conv(x, filters, 1, f"stage{stage}_conv")
    features = layers.Identity(name="features")(x)
    image = layers.Concatenate(name="image_pooled")([
        layers.GlobalAveragePooling2D(name="average_pool")(features),
        layers.GlobalMaxPooling2D(name="max_pool")(features),
    ])
    if image_units:
        image = layers.Dense(int(image_units), activation="relu", name="image_dense")(image)
    pooled = [image]
    if statistics:
        stats = ImageStatistics(name="statistics")(inputs)
        stats = layers.Normalization(name="statistics_norm")(stats)
        pooled.append(layers.Dense(int(statistics_units), activation="relu", name="statistics_dense")(stats))
    x = layers.Concatenate(name="joined")(pooled)
    x = layers.Dropout(dropout, seed=seed_or_none, name="head_dropout")(x)
    outputs = layers.Dense(2, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs, name="photoq_two_branch")


NETWORKS = {"original": original_network, "two_branch": two_branch_network}

__all__ = ["build_model", "network_for", "original_network", "two_branch_network",
           "ORIGINAL_PARAMETERS", "STATISTIC_NAMES"]
