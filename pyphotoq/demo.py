"""Synthetic demo photos for trying pyphotoq without a photo collection.

:func:`make_demo_photos` draws photo-like landscapes with numpy (sky gradient,
clouds, sun, hills, land or water with a beach, trees and people, texture and
sensor grain) and sorts them into ``good/`` and ``bad/`` the way a
photographer would:

* good photos are sharp, well exposed, level, have the horizon in the lower
  third and saturated colour;
* each bad photo has one or two faults: blurred, too dark or washed out,
  tilted horizon, horizon in the middle or upper part, or dull / colour-cast.

The files look like camera output: ``IMG_0001.jpg`` ... numbered in capture
order across both classes, EXIF Make/Model/DateTimeOriginal/Orientation,
bursts of near-identical shots one second apart, and about a quarter of the
photos in portrait format, half of those stored sideways with EXIF
Orientation 6 the way phones do it.  The output is deterministic for a seed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import numbers
import pathlib

import numpy as np
from PIL import Image
from .core.progress import tqdm
from .demo_render import _render

__all__ = ["make_demo_photos"]

START_TIME = dt.datetime(2026, 7, 1, 9, 0, 0)  # each day's shooting starts at 09:00
LAST_HOUR = 20  # ... and ends before 20:00
BURST_SHARE = 0.2  # share of scenes shot as a burst of 2-4 photos
PORTRAIT_SHARE = 0.25
SIDEWAYS_SHARE = 0.5  # share of portrait photos stored with EXIF Orientation 6
FAULTS = ("blur", "exposure", "tilt", "high_horizon", "colour")
JPEG_QUALITY = 92

_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_ORIENTATION = 0x0112
_IFD_EXIF = 0x8769
_TAG_DATETIME_ORIGINAL = 36867


# Plausible palettes (RGB in 0..1); every photo jitters the colours it picks.
_SKIES = (  # (zenith, horizon)
    ((0.12, 0.36, 0.78), (0.62, 0.80, 0.96)),  # clear day
    ((0.05, 0.25, 0.65), (0.50, 0.72, 0.92)),  # deep blue
    ((0.22, 0.32, 0.62), (0.98, 0.70, 0.40)),  # golden hour
    ((0.30, 0.22, 0.52), (0.98, 0.52, 0.38)),  # sunset
    ((0.35, 0.52, 0.80), (0.82, 0.87, 0.93)),  # hazy
)
_LANDS = (  # (far, near)
    ((0.45, 0.60, 0.30), (0.18, 0.42, 0.10)),  # meadow
    ((0.75, 0.68, 0.40), (0.55, 0.45, 0.18)),  # dry grass
    ((0.35, 0.55, 0.35), (0.10, 0.35, 0.12)),  # lush
    ((0.65, 0.50, 0.30), (0.45, 0.28, 0.10)),  # autumn
)
_WATERS = ((0.04, 0.20, 0.38), (0.03, 0.30, 0.35), (0.08, 0.14, 0.30))
_SANDS = ((0.86, 0.76, 0.56), (0.78, 0.68, 0.50), (0.70, 0.64, 0.55))
_HILLS = ((0.20, 0.40, 0.22), (0.30, 0.38, 0.20), (0.25, 0.30, 0.35))
_TREES = ((0.06, 0.18, 0.07), (0.10, 0.22, 0.08), (0.12, 0.16, 0.06))
_CLOTHES = (
    (0.80, 0.10, 0.10), (0.10, 0.25, 0.70), (0.95, 0.80, 0.10),
    (0.92, 0.92, 0.90), (0.08, 0.08, 0.10), (0.90, 0.45, 0.10),
)
_SKINS = ((0.94, 0.76, 0.62), (0.78, 0.56, 0.40), (0.45, 0.30, 0.20))
_CASTS = (  # channel gains of strong, unnatural colour casts
    (0.75, 1.25, 0.70),  # green
    (1.25, 0.65, 1.20),  # magenta
    (0.60, 1.05, 1.25),  # cyan
    (0.65, 0.80, 1.45),  # blue
)


@dataclasses.dataclass(frozen=True)
class _Scene:
    """Everything random about one photo except its sensor grain.

    Positions are fractions of the frame width (x) or of the distance between
    horizon and bottom edge (``depth``); ``horizon`` is a fraction of the
    height from the top.
    """

    sky: tuple  # (zenith, horizon) colours
    horizon: float
    tilt: float  # degrees, counter-clockwise; 0 = level
    water: bool
    ground: tuple  # land: (far, near) colours; water: deep colour
    sand: tuple | None  # beach colour (water scenes only)
    beach: float  # depth of the shore line (water scenes only)
    hills: tuple  # layers of (base, amplitude, freqs, phases, colour)
    sun: tuple | None  # (x, elevation above horizon, radius), fractions of height
    clouds: float  # cloud cover, 0 = clear sky
    trees: tuple  # (x, depth, height factor, colour)
    people: tuple  # (x, depth, clothes colour, skin colour)
    saturation: float
    cast: tuple | None  # channel gains
    exposure: tuple  # (target mean luminance, lift towards white)
    blur: float  # Gaussian blur radius as a fraction of the long side
    texture_seed: int  # for clouds, grass and ripples (shared within a burst)


@dataclasses.dataclass(frozen=True)
class _Shot:
    """One file to write."""

    name: str
    good: bool
    time: dt.datetime
    portrait: bool
    orientation: int  # EXIF Orientation: 1 upright, 6 stored sideways
    scene: _Scene


def make_demo_photos(folder, n_photos=240, size=(640, 480), good_share=0.4,
                     seed=0, progress=None) -> pathlib.Path:
    """Write synthetic demo photos to ``folder/good`` and ``folder/bad``.

    Parameters
    ----------
    folder : str or path-like
        Destination; ``good/`` and ``bad/`` are created inside it.  Existing
        files with the same names are overwritten, other files are left alone.
    n_photos : int
        Number of photos, at least 2.  ``round(n_photos * good_share)`` of
        them are good (at least one of each class), the rest bad.
    size : (int, int)
        (width, height) of a landscape photo, both at least 64 and
        width >= height.  Portrait photos have the two swapped.
    good_share : float
        Share of good photos, strictly between 0 and 1.
    seed : int
        Seed of the random generator; the same arguments give the same bytes.
    progress : bool or None
        Show a tqdm progress bar when truthy.

    Returns
    -------
    pathlib.Path
        ``folder`` as a path.
    """
    n_photos, width, height, good_share = _check_args(n_photos, size, good_share, seed)
    folder = pathlib.Path(folder)
    for label in ("good", "bad"):
        (folder / label).mkdir(parents=True, exist_ok=True)
    n_good = min(max(round(n_photos * good_share), 1), n_photos - 1)
    shots = _plan(n_photos, n_good, np.random.default_rng(seed))
    for index, shot in enumerate(tqdm(shots, desc="demo photos", unit="photo",
                                      disable=not progress)):
        w, h = (height, width) if shot.portrait else (width, height)
        img = _render(shot.scene, w, h, np.random.default_rng([seed, index]))
        if shot.orientation == 6:  # viewers rotate it 90 degrees clockwise
            img = img.transpose(Image.Transpose.ROTATE_90)
        label = "good" if shot.good else "bad"
        img.save(folder / label / shot.name, "JPEG", quality=JPEG_QUALITY,
                 exif=_exif(shot).tobytes())
    return folder


def _check_args(n_photos, size, good_share, seed):
    """Validate the arguments of :func:`make_demo_photos`; return clean values."""
    if isinstance(n_photos, bool) or not isinstance(n_photos, numbers.Integral):
        raise ValueError(f"n_photos must be an integer, got {n_photos!r}")
    if n_photos < 2:
        raise ValueError(f"n_photos must be at least 2 (one good and one bad photo), "
                         f"got {n_photos}")
    try:
        width, height = size
        whole = int(width) == width and int(height) == height
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise ValueError(f"size must be a (width, height) pair of whole numbers, got {size!r}")
    width, height = int(width), int(height)
    if width < 64 or height < 64:
        raise ValueError(f"size must be at least 64x64 pixels, got {width}x{height}")
    if width < height:
        raise ValueError(f"size is the (width, height) of a landscape photo, so width "
                         f"must be >= height; got {width}x{height}")
    if isinstance(good_share, bool) or not isinstance(good_share, numbers.Real) \
            or not 0 < good_share < 1:
        raise ValueError(f"good_share must be a number strictly between 0 and 1, "
                         f"got {good_share!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(n_photos), width, height, float(good_share)


# --------------------------------------------------------------------- planning

def _plan(n_photos, n_good, rng):
    """Decide label, capture time, orientation and scene of every photo."""
    labels = rng.permutation(np.arange(n_photos) < n_good)
    digits = max(4, len(str(n_photos)))
    shots = []
    time = START_TIME
    start = 0
    while start < n_photos:
        length = _burst_length(labels, start, rng)
        good = bool(labels[start])
        portrait = rng.random() < PORTRAIT_SHARE
        orientation = 6 if portrait and rng.random() < SIDEWAYS_SHARE else 1
        scene = _sample_scene(good, rng)
        for k in range(length):
            if k:
                scene = _jitter(scene, rng)
            index = start + k
            shots.append(_Shot(f"IMG_{index + 1:0{digits}d}.jpg", good,
                               time + dt.timedelta(seconds=k), portrait,
                               orientation, scene))
        time += dt.timedelta(seconds=length - 1 + 60 + int(rng.exponential(300)))
        if time.hour >= LAST_HOUR:  # the light is gone: go on next morning
            time = dt.datetime.combine(time.date() + dt.timedelta(days=1), START_TIME.time())
        start += length
    return shots


def _burst_length(labels, start, rng):
    """Length of the scene starting at ``start``: 1, or 2-4 for a burst.

    The shots of a burst share a label; to keep the class counts exact the
    labels that follow are swapped into place (``labels`` is modified).
    """
    if rng.random() >= BURST_SHARE:
        return 1
    wanted = int(rng.integers(2, 5))
    length = 1
    for j in range(start + 1, min(start + wanted, len(labels))):
        if labels[j] != labels[start]:
            later = np.flatnonzero(labels[j + 1:] == labels[start])
            if later.size == 0:
                break
            k = j + 1 + later[0]
            labels[j], labels[k] = labels[k], labels[j]
        length += 1
    return length


def _pick(rng, palette, spread=0.05):
    """A colour from ``palette``, jittered by up to ``spread`` per channel."""
    colour = np.asarray(palette[rng.integers(len(palette))])
    return tuple(np.clip(colour + rng.uniform(-spread, spread, 3), 0, 1).tolist())


def _sample_scene(good, rng):
    """Draw a random landscape; bad ones get one or two faults."""
    faults = () if good else tuple(rng.choice(FAULTS, size=rng.choice([1, 2], p=[0.6, 0.4]),
                                              replace=False))
    water = rng.random() < 0.4
    sky_top, sky_horizon = (_pick(rng, [c]) for c in _SKIES[rng.integers(len(_SKIES))])
    if water:
        ground = _pick(rng, _WATERS)
        sand = _pick(rng, _SANDS)
    else:
        far, near = _LANDS[rng.integers(len(_LANDS))]
        ground = (_pick(rng, [far]), _pick(rng, [near]))
        sand = None
    hills = []
    for layer in range(int(rng.integers(1, 3))):
        far_layer = layer == 0
        colour = np.asarray(_pick(rng, _HILLS))
        if far_layer:  # atmospheric perspective: distant hills take the sky colour
            colour = 0.45 * colour + 0.55 * np.asarray(sky_horizon)
        hills.append((rng.uniform(0.0, 0.03),
                      rng.uniform(0.06, 0.16) if far_layer else rng.uniform(0.02, 0.07),
                      tuple(rng.uniform([0.5, 2.0, 6.0], [2.0, 5.0, 14.0]).tolist()),
                      tuple(rng.uniform(0, 2 * math.pi, 3).tolist()),
                      tuple(colour.tolist())))
    sun = None
    if rng.random() < 0.35:
        sun = (rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.35), rng.uniform(0.03, 0.06))
    n_trees = int(rng.integers(0, 4)) if water else int(rng.integers(0, 9))
    beach = rng.uniform(0.5, 0.8)
    trees = tuple((rng.uniform(-0.05, 1.05),
                   rng.uniform(0.0, 0.03) if water else rng.uniform(0.05, 0.85),
                   rng.uniform(0.6, 1.2),
                   _pick(rng, _TREES, 0.03)) for _ in range(n_trees))
    n_people = int(rng.integers(1, 5)) if rng.random() < 0.35 else 0
    people = tuple((rng.uniform(0.05, 0.95),
                    rng.uniform(beach + 0.05, 0.95) if water else rng.uniform(0.1, 0.9),
                    _pick(rng, _CLOTHES), _pick(rng, _SKINS, 0.03))
                   for _ in range(n_people))

    horizon = rng.uniform(0.62, 0.72)
    tilt = 0.0
    saturation = rng.uniform(1.2, 1.45)
    cast = None
    exposure = (rng.uniform(0.42, 0.52), 0.0)
    blur = 0.0
    if "high_horizon" in faults:
        horizon = rng.uniform(0.28, 0.52)
    if "tilt" in faults:
        tilt = rng.choice([-1, 1]) * rng.uniform(8, 20)
    if "colour" in faults:
        if rng.random() < 0.5:
            saturation = rng.uniform(0.0, 0.25)
        else:
            saturation = rng.uniform(0.5, 0.8)
            cast = tuple((np.asarray(_CASTS[rng.integers(len(_CASTS))])
                          * rng.uniform(0.95, 1.05, 3)).tolist())
    if "exposure" in faults:
        if rng.random() < 0.5:
            exposure = (rng.uniform(0.06, 0.11), 0.0)
        else:
            exposure = (rng.uniform(0.55, 0.65), rng.uniform(0.55, 0.7))
    if "blur" in faults:
        blur = rng.uniform(0.02, 0.03)
    return _Scene(sky=(sky_top, sky_horizon), horizon=horizon, tilt=float(tilt),
                  water=water, ground=ground, sand=sand, beach=beach, hills=tuple(hills),
                  sun=sun, clouds=rng.uniform(0.2, 0.9) if rng.random() < 0.5 else 0.0,
                  trees=trees, people=people, saturation=saturation, cast=cast,
                  exposure=exposure, blur=blur,
                  texture_seed=int(rng.integers(2**31)))


def _jitter(scene, rng):
    """The next shot of a burst: slightly moved camera and people."""
    people = tuple((x + rng.normal(0, 0.01), depth, clothes, skin)
                   for x, depth, clothes, skin in scene.people)
    tilt = scene.tilt + rng.normal(0, 0.4) if scene.tilt else 0.0
    return dataclasses.replace(scene, horizon=scene.horizon + rng.normal(0, 0.006),
                               tilt=tilt, people=people)


def _exif(shot):
    """EXIF block of a photo."""
    exif = Image.Exif()
    exif[_TAG_MAKE] = "photoq"
    exif[_TAG_MODEL] = "demo camera"
    exif[_TAG_ORIENTATION] = shot.orientation
    exif.get_ifd(_IFD_EXIF)[_TAG_DATETIME_ORIGINAL] = shot.time.strftime("%Y:%m:%d %H:%M:%S")
    return exif
