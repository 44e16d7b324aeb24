"""The network: the original global-average-pooling CNN, 47,266 parameters by default.

Pixels go in as raw 8-bit values of any height and width; the scaling to [0, 1] is the
model's first layer, so a saved model needs no preprocessing from Python or R.
"""

from __future__ import annotations

import keras
from keras import layers

#: The original network's trainable parameter count.
ORIGINAL_PARAMETERS = 47_266


def build_model(
    filters: int = 32,
    last_filters: int = 64,
    strided_layers: int = 3,
    dropout: float = 0.25,
    learning_rate: float = 1e-4,
    seed: int | None = 0,
) -> keras.Model:
    """The original GAP CNN, compiled with RMSprop and binary cross-entropy.

    Conv2D `filters` 3x3 + ReLU; `strided_layers` Conv2D `filters` 3x3 stride 2 + ReLU;
    Conv2D `last_filters` 3x3 stride 2 + ReLU; MaxPool 2; Dropout; MaxPool 2; Dropout;
    GlobalAveragePooling2D; ReLU; Dense 2; softmax. Output column 1 is the 'good' score.
    """
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    inputs = keras.Input(shape=(None, None, 3), dtype="uint8", name="pixels")
    x = layers.Rescaling(1.0 / 255, name="scale_to_unit")(inputs)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    for _ in range(int(strided_layers)):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2D(last_filters, 3, strides=2, padding="same", activation="relu")(x)
    dropout_seed = None if seed is None else int(seed)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(dropout, seed=dropout_seed)(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(dropout, seed=None if seed is None else int(seed) + 1)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Activation("relu")(x)
    outputs = layers.Dense(2, activation="softmax", name="scores")(x)
    model = keras.Model(inputs, outputs, name="photoq_gap_cnn")
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["binary_accuracy"],
    )
    return model
