"""Drawing the demo's photos: each planned shot (demo._Scene, demo._Shot) rendered as a landscape
of sky, hills, ground and objects, then developed (exposure, focus, noise, tilt) as its defects say.

Images are float32 arrays in planar layout (3, rows, cols) with values around 0..1: blending a
(rows, cols) mask with an RGB colour is then a fast broadcast over the leading axis."""

from __future__ import annotations

import math
import numpy as np
from PIL import Image, ImageFilter


_LUMA = (0.299, 0.587, 0.114)


def _render(scene, width, height, rng):
    """Draw ``scene`` as an upright RGB image of ``width`` x ``height``.

    ``rng`` only supplies the sensor grain, so the shots of a burst differ
    slightly even where the scene does not.
    """
    if scene.tilt:  # draw level on a larger canvas, then rotate and crop
        a = math.radians(abs(scene.tilt))
        cw = math.ceil(width * math.cos(a) + height * math.sin(a)) + 2
        ch = math.ceil(width * math.sin(a) + height * math.cos(a)) + 2
    else:
        cw, ch = width, height
    horizon_y = ch / 2 + (scene.horizon - 0.5) * height
    tex = np.random.default_rng(scene.texture_seed)
    img = _sky(scene, cw, ch, horizon_y, height, tex)
    _hills(img, scene, horizon_y, height, tex)
    _ground(img, scene, horizon_y, tex)
    _objects(img, scene, horizon_y)
    pil = Image.merge("RGB", [Image.fromarray(band) for band in _develop(img, scene, rng)])
    if scene.tilt:
        left, top = (cw - width) // 2, (ch - height) // 2
        pil = pil.rotate(scene.tilt, resample=Image.Resampling.BILINEAR)
        pil = pil.crop((left, top, left + width, top + height))
    if scene.blur:
        pil = pil.filter(ImageFilter.GaussianBlur(scene.blur * max(width, height)))
    return pil


def _rgb(colour):
    """An RGB colour shaped to broadcast against a planar image."""
    return np.asarray(colour, np.float32)[:, None, None]


def _smooth_noise(rng, small_shape, shape):
    """Smooth random field of ``shape`` (rows, cols), about unit variance."""
    small = rng.standard_normal(small_shape, dtype=np.float32)
    return np.asarray(Image.fromarray(small).resize(shape[::-1], Image.Resampling.BICUBIC))


def _sky(scene, cw, ch, horizon_y, height, tex):
    """Canvas filled with sky: gradient, sun with glow and clouds."""
    zenith, glow_colour = (_rgb(c) for c in scene.sky)
    t = np.clip(np.arange(ch, dtype=np.float32) / max(horizon_y, 1.0), 0, 1)[:, None]
    img = np.empty((3, ch, cw), np.float32)
    img[:] = zenith + (glow_colour - zenith) * t ** 1.5
    rows = max(int(math.ceil(horizon_y)), 1)
    sky = img[:, :rows]
    ys = np.arange(rows, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(cw, dtype=np.float32)[None, :] + 0.5
    if scene.sun:
        sx, elevation, radius = scene.sun
        sx, sy, r = sx * cw, horizon_y - elevation * height, radius * height
        d = np.sqrt((xs - sx) ** 2 + (ys - sy) ** 2)
        sky += np.exp(-d / (4 * r)) * _rgb((0.35, 0.30, 0.21))
        disc = np.clip(r - d + 0.5, 0, 1)
        sky += (_rgb((1.0, 0.97, 0.88)) - sky) * disc
    if scene.clouds:
        cell = max(height / 25, 2.0)  # vertical size of a cloud cell; 2.5x wider
        big = _smooth_noise(tex, (int(rows / cell) + 3, int(cw / (2.5 * cell)) + 3), (rows, cw))
        detail = _smooth_noise(tex, (int(3 * rows / cell) + 3, int(3 * cw / (2.5 * cell)) + 3),
                               (rows, cw))
        alpha = np.clip((big + 0.35 * detail - 1.2 + scene.clouds) * 1.8, 0, 0.9)
        shade = 0.95 - 0.08 * detail - 0.1 * np.clip(big, 0, 2)
        sky += ((0.82 + 0.18 * glow_colour) * shade - sky) * alpha
    return img


def _hills(img, scene, horizon_y, height, tex):
    """Ranges of wooded hills (sums of sinusoids) standing on the horizon."""
    cw = img.shape[2]
    x = np.arange(cw, dtype=np.float32) / cw
    for base, amplitude, freqs, phases, colour in scene.hills:
        profile = sum(np.sin(2 * np.pi * f * x + p) / (i + 1) ** 1.5
                      for i, (f, p) in enumerate(zip(freqs, phases)))
        profile = (profile - profile.min()) / (np.ptp(profile) + 1e-6)
        top = horizon_y - (base + amplitude * profile) * height
        y0 = max(int(top.min()), 0)
        y1 = min(int(math.ceil(horizon_y)) + 1, img.shape[1])
        if y1 <= y0:
            continue
        ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
        alpha = np.clip(ys - top[None, :] + 0.5, 0, 1)
        forest = _smooth_noise(tex, (max((y1 - y0) // 6, 2), max(cw // 6, 2)), (y1 - y0, cw))
        shade = 0.85 + 0.3 * (ys - y0) / max(horizon_y - y0, 1.0) + 0.12 * forest
        region = img[:, y0:y1]
        region += (_rgb(colour) * shade - region) * alpha


def _ground(img, scene, horizon_y, tex):
    """Land or water (with a beach) below the horizon, with texture."""
    ch, cw = img.shape[1:]
    y0 = min(int(horizon_y), ch - 1)
    rows = ch - y0
    ys = np.arange(y0, ch, dtype=np.float32)[:, None] + 0.5
    depth = np.clip((ys - horizon_y) / max(ch - horizon_y, 1.0), 0, 1)  # (rows, 1)
    fine = tex.random((rows, cw), dtype=np.float32) - 0.5
    if scene.water:
        deep, near_horizon = _rgb(scene.ground), 0.8 * _rgb(scene.sky[1])
        ripples = (_smooth_noise(tex, (max(rows // 2, 2), max(cw // 24, 2)), (rows, cw))
                   + _smooth_noise(tex, (max(rows // 6, 2), max(cw // 60, 2)), (rows, cw)))
        light = 1 + (0.12 * ripples + 0.08 * fine) * (0.3 + depth)
        if scene.sun:
            xs = np.arange(cw, dtype=np.float32)[None, :] + 0.5
            width = (0.02 + 0.08 * depth) * cw
            glitter = np.exp(-((xs - scene.sun[0] * cw) / width) ** 2) * np.clip(ripples, 0, None)
            light += 0.6 * glitter
        ground = (near_horizon + (deep - near_horizon) * np.sqrt(depth)) * light
        xs = np.arange(cw, dtype=np.float32) / cw
        shore = horizon_y + (ch - horizon_y) * (scene.beach + 0.03 * np.sin(
            2 * np.pi * (1.5 * xs + scene.beach * 7)))
        sand = _rgb(scene.sand) * (1 + 0.25 * fine)
        ground += (sand - ground) * np.clip(ys - shore[None, :] + 0.5, 0, 1)
        ground += (0.95 - ground) * (0.7 * np.exp(-((ys - shore[None, :]) / 1.5) ** 2))  # foam
    else:
        far, near = (_rgb(c) for c in scene.ground)
        patches = _smooth_noise(tex, (max(rows // 8, 2), max(cw // 16, 2)), (rows, cw))
        clumps = _smooth_noise(tex, (max(rows // 4, 2), max(cw // 6, 2)), (rows, cw))
        blades = _smooth_noise(tex, (max(rows // 3, 2), cw), (rows, cw))
        texture = 0.15 * patches + (0.10 * clumps + 0.12 * blades + 0.35 * fine) * (0.3 + depth)
        ground = (far + (near - far) * depth ** 0.7) * (1 + texture)
    region = img[:, y0:]
    region += (ground - region) * np.clip(ys - horizon_y + 0.5, 0, 1)


def _objects(img, scene, horizon_y):
    """Trees and people, far ones first, sized by their distance below the horizon."""
    ch, cw = img.shape[1:]
    below = ch - horizon_y
    items = [(depth, "tree", x, size, colour, None) for x, depth, size, colour in scene.trees]
    items += [(depth, "person", x, None, clothes, skin)
              for x, depth, clothes, skin in scene.people]
    for depth, kind, x, size, colour, skin in sorted(items, key=lambda item: item[0]):
        base_y = horizon_y + depth * below
        if kind == "tree":
            _tree(img, x * cw, base_y, size * (base_y - horizon_y) + 0.04 * below, colour)
        else:
            _person(img, x * cw, base_y, 0.3 * (base_y - horizon_y) + 3, colour, skin)


def _box(img, x0, x1, y0, y1):
    """Clip a box to the image; return its region and pixel-centre grids, or None."""
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(int(math.ceil(x1)), img.shape[2]), min(int(math.ceil(y1)), img.shape[1])
    if x1 <= x0 or y1 <= y0:
        return None
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    return img[:, y0:y1, x0:x1], xs, ys


def _bar(img, x, half_width, top, bottom, colour):
    """A vertical bar (trunk, legs) centred on ``x``."""
    box = _box(img, x - half_width - 1, x + half_width + 1, top, bottom)
    if box:
        region, xs, _ = box
        region += (_rgb(colour) - region) * np.clip(half_width - np.abs(xs - x) + 0.5, 0, 1)


def _tree(img, x, base_y, h, colour):
    """A conifer: tiered dark triangle on a short trunk, lit from the left."""
    w = 0.45 * h
    _bar(img, x, 0.06 * w, base_y - 0.2 * h, base_y, (0.25, 0.16, 0.08))
    box = _box(img, x - w / 2 - 1, x + w / 2 + 1, base_y - h, base_y - 0.12 * h)
    if box is None:
        return
    region, xs, ys = box
    down = np.clip((ys - (base_y - h)) / (0.88 * h), 0, 1)
    half = 0.5 * w * down * (0.7 + 0.3 * ((down * 4) % 1))
    alpha = np.clip(half - np.abs(xs - x) + 0.5, 0, 1)
    light = 1.25 - 0.5 * np.clip((xs - x) / max(w, 1.0) + 0.5, 0, 1)
    region += (_rgb(colour) * light - region) * alpha


def _person(img, x, base_y, h, clothes, skin):
    """A small standing figure: legs, body and head."""
    _bar(img, x, 0.09 * h, base_y - 0.35 * h, base_y, (0.12, 0.12, 0.16))
    for cy, ax, ay, colour in ((base_y - 0.55 * h, 0.15 * h, 0.25 * h, clothes),
                               (base_y - 0.88 * h, 0.09 * h, 0.1 * h, skin)):
        box = _box(img, x - ax - 1, x + ax + 1, cy - ay - 1, cy + ay + 1)
        if box:
            region, xs, ys = box
            r = np.sqrt(((xs - x) / ax) ** 2 + ((ys - cy) / ay) ** 2)
            region += (_rgb(colour) - region) * np.clip((1 - r) * min(ax, ay) + 0.5, 0, 1)


def _develop(img, scene, rng):
    """Colour, exposure and sensor grain (modifies ``img``); returns 8-bit bands."""
    lum = _LUMA[0] * img[0] + _LUMA[1] * img[1] + _LUMA[2] * img[2]
    img -= lum
    img *= scene.saturation
    img += lum
    if scene.cast:
        img *= _rgb(scene.cast)
    target, lift = scene.exposure
    img *= target / max(float(img.mean()), 1e-3)
    if lift:  # washed out: lift the blacks towards white
        np.clip(img, 0, 1, out=img)
        img *= 1 - lift
        img += lift
    grain = rng.random(img.shape[1:], dtype=np.float32)
    grain -= 0.5
    grain *= 0.04
    img += grain
    img *= 255
    img += 0.5
    np.clip(img, 0, 255, out=img)
    return img.astype(np.uint8)
