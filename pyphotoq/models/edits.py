"""Random global edits of the kind photographers apply, so that an edit alone predicts nothing.

A photographer's archive holds edited keepers and unedited rejects; the next shoot comes out of
the camera unedited. Trained on the archive as it is, a model learns what the edit looks like
(contrast, vibrance, clarity, output sharpening) as much as what makes a shot worth keeping. The
booster therefore also learns from copies of its training photos, keepers and rejects alike,
each given a random global edit in either direction: a contrast curve that steepens or flattens,
a gamma, a saturation change up or down, a white-balance shift, and sometimes levels (black and
white points pulled in, as auto-levels does), clarity (local contrast: a wide, gentle unsharp
mask) and output sharpening: the edits photographers apply most, none of which a keeper needs.
The copies keep their photo's label, so none of these changes tells a keeper from a reject any
more. Defects are left to what they are: an edit never blurs, never adds noise, never tilts or
crops, and stays well inside what a flat, hazy scene or a badly exposed one does.

One edit is drawn per photo and applied identically to each of its views (the overview and the
detail patches), from a seeded generator: the same run makes the same copies.
"""

from __future__ import annotations

import numpy as np
from ..core.quiet import tf  # TensorFlow imported quietly (pyphotoq.core.quiet)

#: Ranges of the random edit: (low, high) of each parameter.
CURVE = (-0.35, 0.5)  # S-curve strength: negative flattens, positive steepens
GAMMA = (-0.2, 0.2)  # log2 of the gamma
SATURATION = (0.75, 1.4)
WHITE_BALANCE = 0.04  # per-channel gain, +-
SHARPEN = (0.0, 1.2)  # unsharp-mask amount, drawn for half the photos (the rest: none)
BLACK, WHITE = (0.0, 0.08), (0.88, 1.0)  # levels: black and white points, drawn for half the photos
CLARITY = (0.15, 0.5)  # wide unsharp-mask amount, drawn for half the photos
#: Columns of a row of edit_parameters.
COLUMNS = ("curve", "gamma", "saturation", "gain_red", "gain_green", "gain_blue", "sharpen", "black", "white",
           "clarity")


def edit_parameters(photos, seed: int) -> np.ndarray:
    """(photos, len(COLUMNS)) float32: curve, gamma, saturation, three channel gains, sharpening,
    levels' black and white points and clarity, one row per photo of `photos` (their hashes; a
    number n stands for the keys 0 to n - 1). Each row is drawn from the seed and its photo's
    hash alone, so a photo's edit stays the same whatever else the training split holds
    (learning adds photos: the copies of the others, kept with the cache, are not measured
    again)."""
    keys = range(int(photos)) if isinstance(photos, (int, np.integer)) else [int(str(h), 16) for h in photos]
    rows = []
    for key in keys:
        rng = np.random.default_rng([int(seed), 0x0ED17, int(key)])
        curve, gamma, saturation = rng.uniform(*CURVE), 2.0 ** rng.uniform(*GAMMA), rng.uniform(*SATURATION)
        gains = 1 + rng.uniform(-WHITE_BALANCE, WHITE_BALANCE, 3)
        sharpen = rng.uniform(*SHARPEN) if rng.random() < 0.5 else 0.0
        black, white = (rng.uniform(*BLACK), rng.uniform(*WHITE)) if rng.random() < 0.5 else (0.0, 1.0)
        clarity = rng.uniform(*CLARITY) if rng.random() < 0.5 else 0.0
        rows.append([curve, gamma, saturation, *gains, sharpen, black, white, clarity])
    return np.asarray(rows, dtype=np.float32).reshape(-1, len(COLUMNS))


_BLUR = tf.constant(np.outer([1, 2, 1], [1, 2, 1]) / 16.0, tf.float32)[:, :, None, None]


def apply_edit(images, parameters):
    """uint8 images (batch, height, width, 3) or patches (batch, patches, size, size, 3) with each
    photo's edit (a row of edit_parameters) applied; uint8 out. Clarity's radius is a share of the
    image's or patch's side (patches are at 100%, so theirs spans more of the scene's detail, as a
    wide unsharp mask on the full photo does)."""
    shape = tf.shape(images)
    flat = tf.reshape(tf.cast(images, tf.float32) / 255.0, [shape[0], -1, 3])
    p = tf.convert_to_tensor(parameters, tf.float32)
    curve, gamma, saturation = p[:, 0, None, None], p[:, 1, None, None], p[:, 2, None, None]
    gains, sharpen = p[:, None, 3:6], p[:, 6]
    black, white, clarity = p[:, 7, None, None], p[:, 8, None, None], p[:, 9]
    x = (tf.clip_by_value(flat, 0.0, 1.0) - black) / (white - black)
    x = tf.pow(tf.clip_by_value(x, 0.0, 1.0), gamma)
    x = x + curve * (x - 0.5) * (1.0 - tf.abs(2.0 * x - 1.0))
    grey = tf.reduce_mean(x, axis=2, keepdims=True)
    x = tf.clip_by_value((grey + saturation * (x - grey)) * gains, 0.0, 1.0)
    x = tf.reshape(x, tf.concat([shape[:-1], [3]], 0))
    # output sharpening: x + amount * (x - blur(x)), on each channel of each image or patch
    planes = tf.reshape(tf.transpose(tf.reshape(x, [-1, shape[-3], shape[-2], 3]), [0, 3, 1, 2]),
                        [-1, shape[-3], shape[-2], 1])
    blurred = tf.nn.conv2d(tf.pad(planes, [[0, 0], [1, 1], [1, 1], [0, 0]], "SYMMETRIC"), _BLUR, 1, "VALID")
    detail = tf.reshape(tf.transpose(tf.reshape(planes - blurred, [-1, 3, shape[-3], shape[-2]]), [0, 2, 3, 1]),
                        tf.shape(x))
    per_photo = tf.concat([[shape[0]], tf.ones([tf.rank(images) - 1], tf.int32)], 0)
    x = tf.clip_by_value(x + tf.reshape(sharpen, per_photo) * detail, 0.0, 1.0)
    # clarity: x + amount * (x - wide blur of x); the wide blur through an eighth-size copy
    height, width = shape[-3], shape[-2]
    frames = tf.reshape(x, [-1, height, width, 3])
    small = tf.image.resize(frames, [tf.maximum(height // 8, 1), tf.maximum(width // 8, 1)], "area")
    wide = tf.image.resize(small, [height, width], "bilinear")
    x = tf.clip_by_value(x + tf.reshape(clarity, per_photo) * tf.reshape(frames - wide, tf.shape(x)), 0.0, 1.0)
    return tf.cast(tf.round(x * 255.0), tf.uint8)
