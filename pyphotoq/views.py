"""How each declared view of a photo is made (VIEW_MAKERS), encoded and read back exactly as a
reader of the cache gets it: the one path from a source photo to the pixels a model sees, for
the cache and for scoring alike."""

from __future__ import annotations

import io

import numpy as np

from .detail import make_patches, save_options, split_patches
from .images import open_photo
from .splits import look_hash
from .cache_format import OVERVIEW


def _make_resized(data: bytes, spec: dict, opened=None):
    """The overview: the upright photo resized to `width` px wide, aspect kept."""
    width = int(spec["width"])
    photo = opened if opened is not None and opened.image.width == width else open_photo(data, width)
    return photo.image


#: How each kind of view is made: name of `make` in cache.json -> function(source bytes, spec,
#: opened photo at the overview's width) returning a PIL image. A new view registers its maker
#: here (the detail view's patches: detail.py).
VIEW_MAKERS = {"resize": _make_resized, "patches": make_patches}


def encode_view(image, spec: dict) -> bytes:
    """A view's image as the bytes of its file, in the view's declared encoding."""
    buffer = io.BytesIO()
    if spec["encoding"] == "jpeg":
        options = save_options(spec) if "subsampling" in spec else {"quality": int(spec.get("quality", 95))}
        image.save(buffer, "JPEG", **options)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def view_bytes(data: bytes, spec: dict, opened) -> bytes:
    """The bytes of a photo's file for a view: made from the source bytes `data` (and the
    photo `opened` at the overview's width) and encoded as the view declares."""
    return encode_view(VIEW_MAKERS[spec["make"]](data, spec, opened), spec)


def cached_view_pixels(data: bytes, spec: dict, opened) -> np.ndarray:
    """A view's pixels exactly as a reader of the cache gets them (made, encoded, decoded):
    scoring feeds new photos to a model through this, so they are seen as training photos were.
    The detail view comes as (patches, size, size, 3), other views as (height, width, 3)."""
    from PIL import Image

    with Image.open(io.BytesIO(view_bytes(data, spec, opened))) as image:
        pixels = np.asarray(image.convert("RGB"))
    return split_patches(pixels, spec) if spec["make"] == "patches" else pixels


def source_view_pixels(data: bytes, specs: dict, views) -> list[np.ndarray]:
    """The pixels of each of `views` (declared as in `specs`) of a source photo's bytes, as a
    reader of the cache would get them: what scoring and explanations feed a model."""
    return source_views(data, specs, views)[0]


def source_views(data: bytes, specs: dict, views) -> tuple[list[np.ndarray], dict]:
    """(source_view_pixels, the photo's manifest facts that the booster's scenes need: taken
    and look, as the cache records them)."""
    opened = open_photo(data, int(specs[OVERVIEW]["width"]))
    pixels = [cached_view_pixels(data, specs[view], opened) for view in views]
    return pixels, {"taken": opened.taken, "look": look_hash(opened.image),
                    "megapixels": opened.source_width * opened.source_height / 1e6}
