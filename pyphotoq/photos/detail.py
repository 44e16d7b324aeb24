"""The detail view: a few patches of each photo at native resolution, beside the overview.

Focus, camera shake, sensor noise and compression live in the fine pixels, which a 480-px
overview averages away. The detail view keeps `patches` squares of `size` px cut from the
upright photo at its native resolution, chosen by one deterministic rule (`patch_cells`):

* the photo's native pixels are tiled into a grid of `size`-px cells, centred, each cell
  starting on a multiple of 16 px of the stored (not rotated) pixels, so that the blocks of
  the source JPEG line up with the blocks of the cached one;
* every cell gets a texture score: the mean absolute luma gradient of the overview (the
  cached overview's pixels, so the rule reads nothing else) over the cell's footprint;
* the patches are, in this order: the cell at the centre of the photo, the 4 most textured
  other cells (where focus and shake show), and the least textured cell that is neither
  black nor white (where noise and compression blocks show). Ties go to the lower cell index
  (row by row over the upright photo). A photo with fewer cells repeats cells in that order.

Photos over `max_pixels` are first reduced by a factor of 2, 4 or 8 (JPEG: DCT scaling while
decoding; other kinds: a box filter) until they fit; photos whose short side is under `size`
are enlarged (bicubic) until it fits. The patches are stored one under the other, as one JPEG
`size` px wide and `patches * size` px high, without chroma subsampling (4:4:4), so that a
reader needs nothing but a JPEG decoder: rows [k * size, (k + 1) * size) are patch k.

Scoring computes the same patches from the source file through the same functions and passes
them through the same encoding (views.cached_view_pixels), so new photos are seen exactly as
the training photos were.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from . import camera
from .images import UnusablePhoto, sniff_kind
from .view_kinds import ViewKind, declare_view

DETAIL = "detail"
#: How the detail view is declared in cache.json by default.
DEFAULT_SPEC = {
    "make": "patches", "patches": 6, "size": 192, "textured": 4, "align": 16,
    "max_pixels": 40_000_000, "encoding": "jpeg", "quality": 95, "subsampling": "4:4:4",
}
_SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}
# EXIF orientation -> how the stored pixels become upright (applied in this order):
# (transpose: swap rows and columns, flip rows top-bottom, flip columns left-right).
_UPRIGHT = {
    1: (False, False, False), 2: (False, False, True), 3: (False, True, True), 4: (False, True, False),
    5: (True, False, False), 6: (True, False, True), 7: (True, True, True), 8: (True, True, False),
}


def spec_problem(spec: dict) -> str | None:
    """What is wrong with a detail view's declaration, or None."""
    for key, low, high in (("patches", 1, 64), ("size", 32, 1024), ("textured", 0, 63), ("align", 1, 64),
                           ("max_pixels", 1_000_000, 1_000_000_000)):
        value = spec.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            return f"{key} must be a whole number from {low:,} to {high:,}, got {value!r}"
    if spec["textured"] >= spec["patches"]:
        return f"textured must be less than patches ({spec['patches']}), got {spec['textured']}"
    if spec.get("encoding") == "jpeg" and spec.get("subsampling", "4:4:4") not in _SUBSAMPLING:
        return f"subsampling must be one of {', '.join(_SUBSAMPLING)}, got {spec.get('subsampling')!r}"
    return None


def decode_native(data: bytes, max_pixels: int) -> tuple[np.ndarray, int]:
    """The stored (not yet rotated) pixels of a photo at native resolution, reduced by 2, 4 or
    8 when over `max_pixels`, as a (height, width, 3) uint8 array (a TensorFlow tensor for a
    JPEG: copying 12 MP out of it would cost as much as decoding them, so only the patches are
    copied; `np.asarray` gives the array), and its EXIF orientation.

    A RAW gives the image open_photo shows for it (camera.decode_raw: its embedded preview, a
    JPEG decoded as any JPEG, or the demosaic) with the RAW's orientation, so the patches line
    up with the overview; HEIF/HEIC and AVIF decode through Pillow."""
    kind = camera.raw_kind(data)
    if kind is not None:
        image = camera.decode_raw(data, kind)
        if image.jpeg is not None:
            pixels, _ = _decode_stored(image.jpeg, max_pixels, kind)
        else:
            pixels = _reduced(Image.fromarray(image.pixels), max_pixels)
        return pixels, image.orientation if image.orientation in _UPRIGHT else 1
    sniffed = sniff_kind(data[:64])
    if sniffed in ("HEIF", "AVIF"):
        camera.prepare_heif(sniffed)
    return _decode_stored(data, max_pixels)


def _reduce_factor(stored_w: int, stored_h: int, max_pixels: int) -> int:
    factor = 1
    while factor < 8 and (stored_w // factor) * (stored_h // factor) > max_pixels:
        factor *= 2
    return factor


def _reduced(rgb: Image.Image, max_pixels: int) -> np.ndarray:
    """A non-JPEG image's pixels, box-filtered by 2, 4 or 8 when over `max_pixels`."""
    factor = _reduce_factor(rgb.width, rgb.height, max_pixels)
    return np.asarray(rgb.reduce(factor) if factor > 1 else rgb)


def _decode_stored(data: bytes, max_pixels: int, raw_kind: str | None = None) -> tuple[np.ndarray, int]:
    """decode_native of an image Pillow opens (a RAW's embedded JPEG preview when `raw_kind`)."""
    with Image.open(io.BytesIO(data)) as img:
        orientation = int(img.getexif().get(0x0112, 1) or 1)
        stored_w, stored_h = img.size
        # TensorFlow decodes RGB and grey JPEGs; CMYK ones (rare) go through Pillow
        kind = "JPEG" if img.format == "JPEG" and img.mode in ("RGB", "L") else img.format
        factor = _reduce_factor(stored_w, stored_h, max_pixels)
        if kind != "JPEG":
            from .images import _to_rgb8

            img.seek(0)
            rgb = _to_rgb8(img)
            if factor > 1:
                rgb = rgb.reduce(factor)
            pixels = np.asarray(rgb)
    if orientation not in _UPRIGHT:
        orientation = 1
    if kind == "JPEG":
        # Measured on 12 MP camera JPEGs (benchmarks/bench_detail.py): TensorFlow decodes the
        # whole photo faster than Pillow, and faster than decode_and_crop_jpeg for 4+ crops.
        from ..core.quiet import tf

        try:
            pixels = tf.io.decode_jpeg(data, channels=3, ratio=factor, dct_method="INTEGER_ACCURATE")
        except (tf.errors.InvalidArgumentError, tf.errors.OpError) as err:
            reason = str(err).splitlines()[0][:120]
            if raw_kind:
                raise UnusablePhoto(f"damaged {raw_kind}: its embedded preview cannot be decoded ({reason})") from None
            raise UnusablePhoto(f"damaged JPEG: {reason}") from None
    return pixels, orientation


def upright_size(stored: tuple[int, int], orientation: int) -> tuple[int, int]:
    """(width, height) of the upright photo from the stored (width, height)."""
    return (stored[1], stored[0]) if _UPRIGHT[orientation][0] else stored


def to_upright(block: np.ndarray, orientation: int) -> np.ndarray:
    """A block of stored pixels turned upright (as Pillow's exif_transpose turns the photo)."""
    transpose, flip_rows, flip_columns = _UPRIGHT[orientation]
    if transpose:
        block = block.transpose(1, 0, 2)
    if flip_rows:
        block = block[::-1]
    if flip_columns:
        block = block[:, ::-1]
    return block


def _stored_box(x: int, y: int, size: int, upright: tuple[int, int], orientation: int):
    """The stored-pixel box (left, top) of the upright square at (x, y)."""
    transpose, flip_rows, flip_columns = _UPRIGHT[orientation]
    width, height = upright
    if flip_columns:
        x = width - x - size
    if flip_rows:
        y = height - y - size
    return (y, x) if transpose else (x, y)


def _grid(length: int, size: int, align: int) -> np.ndarray:
    """Starts of the cells along one stored axis: centred, on multiples of `align`."""
    count = max(1, length // size)
    offset = (length - count * size) // 2
    offset -= offset % align
    return offset + size * np.arange(count)


def patch_cells(overview: np.ndarray, stored: tuple[int, int], orientation: int, spec: dict) -> list[tuple[int, int]]:
    """The upright (left, top) of each patch, in patch order, by the rule in the module text.

    `overview` is the upright overview (height, width, 3) uint8; `stored` the (width, height) of
    the stored native pixels the patches are cut from (after any reduction or enlargement).
    """
    size, align = int(spec["size"]), int(spec["align"])
    upright = upright_size(stored, orientation)
    transpose, flip_rows, flip_columns = _UPRIGHT[orientation]
    # cells on the stored grid, as upright coordinates
    xs_stored, ys_stored = _grid(stored[0], size, align), _grid(stored[1], size, align)
    if transpose:
        xs, ys = ys_stored, xs_stored
    else:
        xs, ys = xs_stored, ys_stored
    if flip_columns:
        xs = upright[0] - xs[::-1] - size
    if flip_rows:
        ys = upright[1] - ys[::-1] - size
    cells = [(int(x), int(y)) for y in ys for x in xs]  # row by row over the upright photo
    # texture: mean |luma gradient| of the overview over each cell's footprint
    luma = overview.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gradient = np.zeros_like(luma)
    gradient[:, :-1] += np.abs(np.diff(luma, axis=1))
    gradient[:-1, :] += np.abs(np.diff(luma, axis=0))
    integral_g = np.pad(gradient, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    integral_l = np.pad(luma, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    oh, ow = luma.shape
    sx, sy = ow / upright[0], oh / upright[1]
    # each cell's footprint on the overview, all cells at once (the numbers of a cell-by-cell
    # loop in Python: truncation, rounding half to even, float32 sums over a float32 area)
    left, top = np.array([c[0] for c in cells], dtype=np.int64), np.array([c[1] for c in cells], dtype=np.int64)
    x0, y0 = np.minimum(ow - 1, (left * sx).astype(np.int64)), np.minimum(oh - 1, (top * sy).astype(np.int64))
    x1 = np.maximum(x0 + 1, np.minimum(ow, np.rint((left + size) * sx).astype(np.int64)))
    y1 = np.maximum(y0 + 1, np.minimum(oh, np.rint((top + size) * sy).astype(np.int64)))
    area = ((x1 - x0) * (y1 - y0)).astype(np.float32)

    def mean(integral):
        return (integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]) / area

    texture = [round(float(t), 4) for t in mean(integral_g)]
    brightness = [float(b) for b in mean(integral_l)]
    centre_x, centre_y = upright[0] / 2, upright[1] / 2
    centre = min(range(len(cells)), key=lambda i: ((cells[i][0] + size / 2 - centre_x) ** 2
                                                   + (cells[i][1] + size / 2 - centre_y) ** 2, i))
    chosen = [centre]
    by_texture = sorted((i for i in range(len(cells)) if i != centre), key=lambda i: (-texture[i], i))
    chosen += by_texture[: int(spec["textured"])]
    rest = [i for i in range(len(cells)) if i not in chosen]
    smooth = [i for i in rest if 16 <= brightness[i] <= 239] or rest
    if smooth:
        chosen.append(min(smooth, key=lambda i: (texture[i], i)))
    order = chosen + [i for i in [centre, *by_texture] if i not in chosen]
    while len(chosen) < int(spec["patches"]):  # a small photo: cells repeat, in the same order
        chosen.append(order[(len(chosen)) % len(order)])
    return [cells[i] for i in chosen[: int(spec["patches"])]]


def make_patches(data: bytes, spec: dict, opened) -> Image.Image:
    """The detail view's image: the patches one under the other (size x patches*size px).

    `opened` is the photo's OpenedPhoto at the overview's width (its image is the overview).
    """
    size = int(spec["size"])
    pixels, orientation = decode_native(data, int(spec["max_pixels"]))
    height, width = (int(n) for n in pixels.shape[:2])
    if min(width, height) < size:  # a small photo: enlarged until its short side is `size`
        scale = size / min(width, height)
        grown = Image.fromarray(np.asarray(pixels)).resize(
            (max(size, round(width * scale)), max(size, round(height * scale))), Image.Resampling.BICUBIC)
        pixels = np.asarray(grown)
        height, width = pixels.shape[:2]
    overview = np.asarray(opened.image)
    cells = patch_cells(overview, (width, height), orientation, spec)
    upright = upright_size((width, height), orientation)
    pixels = np.asarray(pixels)  # a TensorFlow tensor's own memory, not a copy
    patches = []
    for x, y in cells:
        left, top = _stored_box(x, y, size, upright, orientation)
        patches.append(to_upright(pixels[top : top + size, left : left + size], orientation))
    return Image.fromarray(np.ascontiguousarray(np.concatenate(patches, axis=0)))


def save_options(spec: dict) -> dict:
    """Pillow's JPEG save options for a view of this declaration."""
    return {"quality": int(spec.get("quality", 95)), "subsampling": _SUBSAMPLING[spec.get("subsampling", "4:4:4")]}


def split_patches(strip: np.ndarray, spec: dict) -> np.ndarray:
    """A decoded detail file (patches*size, size, 3) as (patches, size, size, 3)."""
    size, count = int(spec["size"]), int(spec["patches"])
    if strip.shape[:2] != (size * count, size):
        raise ValueError(f"a detail image must be {size}x{size * count} px, got {strip.shape[1]}x{strip.shape[0]}")
    return strip.reshape(count, size, size, strip.shape[2])


def _patches_shape(spec: dict) -> tuple[int, int, int, int]:
    return int(spec["patches"]), int(spec["size"]), int(spec["size"]), 3


#: The detail view: a strip of full-resolution patches, read by a network as "patches"
#: (patches, size, size, 3); the booster pools the statistics of its patches by mean, max and min.
declare_view(ViewKind(name=DETAIL, make="patches", maker=make_patches, input="patches",
                      statistics_layer="detail_statistics_pooled", pools=("mean", "max", "min"),
                      rank=4, shape=_patches_shape, parts=split_patches))
