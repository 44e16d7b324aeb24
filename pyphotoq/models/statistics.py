"""Global image statistics, computed inside the model from the raw pixels.

Exposure, clipping, colour cast and colourfulness, sharpness at three scales, noise, blockiness,
edge directions (level or tilted) and where the detail sits in the frame: cheap numbers that
separate a keeper from a flawed shot better than a small network can learn from a few thousand
photos. They are a Keras layer, so the model computes them from the same pixels in training,
evaluation and scoring (no second code path, nothing stored beside the cache), and a saved model
carries them.
"""

from __future__ import annotations

import math

from ..core.quiet import tf  # noqa: I001  TensorFlow imported quietly, before Keras (pyphotoq.core.quiet)
import keras
import numpy as np

#: The statistics, in the order of the layer's output columns.
NAMES = (
    "brightness", "contrast",
    "luma_p01", "luma_p05", "luma_p25", "luma_p50", "luma_p75", "luma_p95", "luma_p99",
    "clipped_highlights", "clipped_shadows", "clipped_channels",
    "cast_red_green", "cast_blue_yellow", "colourfulness", "saturation", "saturation_p95",
    "highlight_cast_red_green", "highlight_cast_blue_yellow", "white_red_green", "white_blue_green",
    "neutral_share", "local_contrast",
    "sharpness_full", "sharpness_half", "sharpness_quarter", "sharpness_ratio", "edge_p90", "edge_p99",
    "noise_luma", "noise_chroma", "blockiness",
    "level_edges", "tilted_edges", "tilt_ratio",
    "detail_centre_x", "detail_centre_y", "detail_border", "detail_centre",
    "aspect", "portrait",
)

_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


def _quantiles(values, qs, step=16):
    """Per-row quantiles of a (batch, n) tensor, from every `step`-th value (a sort of all
    150,000 values of a 480-px photo would cost more than a training step): the value of rank
    round(q * (n - 1)) among them. Quantiles all in the top or bottom 15% are picked from a
    partial sort (top_k) of that end, the same values as a full sort's at a fraction of its
    cost (measured: a partial sort of half the values costs more than a full sort)."""
    sampled = values[:, ::step]
    n = tf.shape(sampled)[1]
    last = tf.cast(n - 1, tf.float32)
    index = [tf.cast(tf.round(q * last), tf.int32) for q in qs]
    if min(qs) >= 0.85:  # rank i from the top: the (n - i)-th largest
        largest = tf.math.top_k(sampled, n - tf.reduce_min(tf.stack(index)), sorted=True).values
        return [largest[:, n - 1 - i] for i in index]
    if max(qs) <= 0.15:  # rank i from the bottom: the (i + 1)-th smallest
        smallest = -tf.math.top_k(-sampled, tf.reduce_max(tf.stack(index)) + 1, sorted=True).values
        return [smallest[:, i] for i in index]
    ordered = tf.sort(sampled, axis=1)
    return [ordered[:, i] for i in index]


def _laplacian(luma):
    kernel = tf.constant([[0, 1, 0], [1, -4, 1], [0, 1, 0]], tf.float32)[:, :, None, None]
    return tf.nn.conv2d(luma, kernel, strides=1, padding="VALID")


def _gradients(luma):
    gx = luma[:, 1:-1, 2:, :] - luma[:, 1:-1, :-2, :]
    gy = luma[:, 2:, 1:-1, :] - luma[:, :-2, 1:-1, :]
    return gx, gy


def _floormod_90(values):
    """floormod(values, 90) for values in [-135, 225] (atan2 in degrees plus 45), with the same
    result bit for bit: each subtraction is exact there, and a negative value gains 90 as
    floormod's own correction does. TensorFlow's float floormod costs more than the rest of
    the edge statistics together."""
    return tf.where(values >= 180.0, values - 180.0,
                    tf.where(values >= 90.0, values - 90.0,
                             tf.where(values >= 0.0, values,
                                      tf.where(values >= -90.0, values + 90.0, (values + 90.0) + 90.0))))


def _mean_hw(x):
    return tf.reduce_mean(x, axis=[1, 2, 3])


def image_statistics(images):
    """(batch, len(NAMES)) float32 statistics of a (batch, height, width, 3) uint8 batch."""
    rgb = tf.cast(images, tf.float32) / 255.0
    batch = tf.shape(rgb)[0]
    height = tf.cast(tf.shape(rgb)[1], tf.float32)
    width = tf.cast(tf.shape(rgb)[2], tf.float32)
    r, g, b = rgb[..., 0:1], rgb[..., 1:2], rgb[..., 2:3]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    flat = tf.reshape(luma, [batch, -1])
    out = [tf.reduce_mean(flat, 1), tf.math.reduce_std(flat, 1)]
    *quantiles, p90 = _quantiles(flat, _QUANTILES + (0.9,))  # one sort for both
    out += quantiles
    out.append(tf.reduce_mean(tf.cast(flat > 0.98, tf.float32), 1))
    out.append(tf.reduce_mean(tf.cast(flat < 0.02, tf.float32), 1))
    # over the channels elementwise: a reduction over the last axis of 3 costs several times more
    high = tf.maximum(tf.maximum(r, g), b)
    out.append(_mean_hw(tf.cast(high >= 254.5 / 255, tf.float32)))
    # colour: cast and colourfulness (Hasler and Suesstrunk), saturation
    rg, yb = r - g, 0.5 * (r + g) - b
    out.append(_mean_hw(rg))
    out.append(_mean_hw(yb))
    std_rg = tf.math.reduce_std(tf.reshape(rg, [batch, -1]), 1)
    std_yb = tf.math.reduce_std(tf.reshape(yb, [batch, -1]), 1)
    out.append(tf.sqrt(std_rg**2 + std_yb**2) + 0.3 * tf.sqrt(_mean_hw(rg) ** 2 + _mean_hw(yb) ** 2))
    low = tf.minimum(tf.minimum(r, g), b)
    saturation = tf.reshape((high - low) / (high + 1e-3), [batch, -1])
    out.append(tf.reduce_mean(saturation, 1))
    out += _quantiles(saturation, (0.95,))
    # white balance: the tint of the brightest tenth (usually neutral), the channels' white
    # points, and how much of the picture is neutral grey at all
    bright = tf.cast(luma >= p90[:, None, None, None], tf.float32)
    bright_count = tf.reduce_sum(bright, [1, 2, 3]) + 1.0
    out.append(tf.reduce_sum(rg * bright, [1, 2, 3]) / bright_count)
    out.append(tf.reduce_sum(yb * bright, [1, 2, 3]) / bright_count)
    whites = [_quantiles(tf.reshape(c, [batch, -1]), (0.99,))[0] for c in (r, g, b)]
    out.append(tf.math.log((whites[0] + 0.02) / (whites[1] + 0.02)))
    out.append(tf.math.log((whites[2] + 0.02) / (whites[1] + 0.02)))
    out.append(tf.reduce_mean(tf.cast(saturation < 0.1, tf.float32), 1))
    local = luma - tf.image.resize(tf.nn.avg_pool2d(luma, 8, 8, "VALID"), tf.shape(luma)[1:3], "bilinear")
    out.append(tf.math.reduce_std(tf.reshape(local, [batch, -1]), 1))
    # sharpness at three scales, and how much is lost from one to the next
    half = tf.nn.avg_pool2d(luma, 2, 2, "VALID")
    quarter = tf.nn.avg_pool2d(half, 2, 2, "VALID")
    luma_laplacian = _laplacian(luma)
    sharp = [tf.math.reduce_std(tf.reshape(x, [batch, -1]), 1)
             for x in (luma_laplacian, _laplacian(half), _laplacian(quarter))]
    out += [tf.math.log(s + 1e-4) for s in sharp]
    out.append(tf.math.log((sharp[0] + 1e-4) / (sharp[1] + 1e-4)))
    gx, gy = _gradients(luma)
    magnitude = tf.sqrt(gx**2 + gy**2 + 1e-12)
    contrast = out[1] + 1e-3
    p90, p99 = _quantiles(tf.reshape(magnitude, [batch, -1]), (0.9, 0.99))
    out += [p90 / contrast, p99 / contrast]
    # noise: the quiet end of the high-pass response (flat areas), in luma and in chroma
    lap = tf.reshape(tf.abs(luma_laplacian), [batch, -1])
    out += [tf.math.log(q + 1e-4) for q in _quantiles(lap, (0.2,))]
    # the chroma noise: the median of every 16th value of |Laplacian| of (rg, yb) interleaved
    # pixel by pixel, which are the red-green values of every 8th pixel (as first defined)
    chroma_lap = tf.reshape(tf.abs(_laplacian(rg)), [batch, -1])
    out += [tf.math.log(q + 1e-4) for q in _quantiles(chroma_lap, (0.5,), step=8)]
    # blockiness: steps across the 8-pixel grid against steps elsewhere
    steps = tf.abs(luma[:, :, 1:, :] - luma[:, :, :-1, :])
    columns = tf.range(tf.shape(steps)[2])
    on_grid = tf.cast(tf.equal(columns % 8, 7), tf.float32)[None, None, :, None]
    grid_mean = tf.reduce_sum(steps * on_grid, [1, 2, 3]) / (tf.reduce_sum(on_grid) * height + 1e-6)
    off_mean = tf.reduce_sum(steps * (1 - on_grid), [1, 2, 3]) / (tf.reduce_sum(1 - on_grid) * height + 1e-6)
    out.append(tf.math.log((grid_mean + 1e-4) / (off_mean + 1e-4)))
    # edge directions: energy on level/plumb lines against lines a few degrees off
    angle = tf.math.atan2(gy, gx) * (180.0 / math.pi)
    off_axis = tf.abs(_floormod_90(angle + 45.0) - 45.0)
    energy = magnitude**2
    total = tf.reduce_sum(energy, [1, 2, 3]) + 1e-9
    level = tf.reduce_sum(energy * tf.cast(off_axis < 1.5, tf.float32), [1, 2, 3]) / total
    tilted = tf.reduce_sum(energy * tf.cast((off_axis >= 1.5) & (off_axis < 10.0), tf.float32), [1, 2, 3]) / total
    out += [level, tilted, tf.math.log((level + 1e-4) / (tilted + 1e-4))]
    # where the detail sits: centroid of edge energy, share in the border strip and the centre
    h_in = tf.shape(energy)[1]
    w_in = tf.shape(energy)[2]
    ys = (tf.cast(tf.range(h_in), tf.float32) + 0.5) / tf.cast(h_in, tf.float32) - 0.5
    xs = (tf.cast(tf.range(w_in), tf.float32) + 0.5) / tf.cast(w_in, tf.float32) - 0.5
    row_energy = tf.reduce_sum(energy, [2, 3])
    col_energy = tf.reduce_sum(energy, [1, 3])
    out.append(tf.reduce_sum(col_energy * xs[None, :], 1) / total)
    out.append(tf.reduce_sum(row_energy * ys[None, :], 1) / total)
    border = tf.cast((tf.abs(ys)[:, None] > 0.45) | (tf.abs(xs)[None, :] > 0.45), tf.float32)[None, :, :, None]
    centre = tf.cast((tf.abs(ys)[:, None] < 0.2) & (tf.abs(xs)[None, :] < 0.2), tf.float32)[None, :, :, None]
    out.append(tf.reduce_sum(energy * border, [1, 2, 3]) / total)
    out.append(tf.reduce_sum(energy * centre, [1, 2, 3]) / total)
    ones = tf.ones([batch], tf.float32)
    out.append(ones * tf.math.log(width / height))
    out.append(ones * tf.cast(height > width, tf.float32))
    return tf.stack(out, axis=1)


def statistics_of_files(paths) -> np.ndarray:
    """(len(paths), len(NAMES)) statistics of cached JPEG files, one photo at a time (their
    shapes differ), decoded as the batch stream decodes them."""
    from .batches import IMAGE_SPEC, decode_jpeg_file

    measure = tf.function(image_statistics, input_signature=[IMAGE_SPEC], reduce_retracing=True)
    rows = [measure(decode_jpeg_file(str(path))[None]).numpy()[0] for path in paths]
    return np.array(rows, dtype=np.float32).reshape(len(rows), len(NAMES))


@keras.saving.register_keras_serializable(package="pyphotoq")
class ImageStatistics(keras.layers.Layer):
    """A layer from a uint8 image batch to its global statistics (see NAMES); no weights."""

    def call(self, images):
        return image_statistics(images)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], len(NAMES))


@keras.saving.register_keras_serializable(package="pyphotoq")
class PiecewiseLinear(keras.layers.Layer):
    """Each statistic encoded piecewise-linearly between its quantiles on the training photos.

    `adapt` sets, per statistic, `bins + 1` boundaries at evenly spaced quantiles of the values
    given; a value then becomes `bins` numbers, the k-th the share of bin k it has passed
    (0 below the bin, 1 above it). A linear layer on top can so follow any shape of response,
    such as "too little noise (unsharpened) and too much noise are both bad", which a
    standardised value feeds only as a straight line; measured on the realistic benchmark, it
    closes much of the gap between a small network and gradient boosting on the same statistics.
    The boundaries are saved with the model.
    """

    def __init__(self, bins: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.bins = int(bins)

    def build(self, input_shape):
        features = int(input_shape[-1])
        edges = np.linspace(-1.0, 1.0, self.bins + 1, dtype=np.float32)[:, None].repeat(features, 1)
        self.boundaries = self.add_weight(
            name="boundaries", shape=(self.bins + 1, features), trainable=False,
            initializer=keras.initializers.Constant(edges),
        )

    def adapt(self, values) -> None:
        values = np.asarray(values, dtype=np.float64)
        if not self.built:
            self.build(values.shape)
        edges = np.quantile(values, np.linspace(0, 1, self.bins + 1), axis=0)
        self.boundaries.assign(edges.astype(np.float32))

    def call(self, values):
        low, high = self.boundaries[:-1], self.boundaries[1:]  # (bins, features)
        width = keras.ops.where(high - low > 1e-9, high - low, keras.ops.ones_like(high))
        encoded = keras.ops.clip((values[:, None, :] - low[None]) / width[None], 0.0, 1.0)
        return keras.ops.reshape(keras.ops.transpose(encoded, (0, 2, 1)), (-1, self.bins * values.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.bins * int(input_shape[-1]))

    def get_config(self):
        return {**super().get_config(), "bins": self.bins}
