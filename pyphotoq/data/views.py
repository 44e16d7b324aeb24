"""How each declared view of a photo is made, encoded and read back exactly as a reader of the
cache gets it: the one path from a source photo to the pixels a model sees, for the cache and
for scoring alike. The views themselves are declared in the registry (pyphotoq.photos.view_kinds): the
overview here, the detail view in detail.py; importing this module declares both, and its
names VIEWS, view_kind, kind_of_spec and input_views are the registry's."""

from __future__ import annotations

import io

import numpy as np

from ..photos.detail import save_options
from ..photos.images import open_photo
from ..photos.splits import look_hash
from ..photos.view_kinds import OVERVIEW, VIEWS, ViewKind, declare_view, input_views, kind_of_spec, view_kind

__all__ = ["VIEWS", "cached_view_pixels", "encode_view", "input_views", "kind_of_spec", "source_view_pixels",
           "source_views", "view_bytes", "view_kind"]


def _make_resized(data: bytes, spec: dict, opened=None):
    """The overview: the upright photo resized to `width` px wide, aspect kept."""
    width = int(spec["width"])
    photo = opened if opened is not None and opened.image.width == width else open_photo(data, width)
    return photo.image


#: The overview: a whole picture of the photo, of a size that varies with its aspect, read by a
#: network as "pixels"; its statistics are measured on it whole.
declare_view(ViewKind(name=OVERVIEW, make="resize", maker=_make_resized, input="pixels", statistics_layer="statistics"))


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
    return encode_view(kind_of_spec(spec).maker(data, spec, opened), spec)


def cached_view_pixels(data: bytes, spec: dict, opened) -> np.ndarray:
    """A view's pixels exactly as a reader of the cache gets them (made, encoded, decoded):
    scoring feeds new photos to a model through this, so they are seen as training photos were.
    The detail view comes as (patches, size, size, 3), other views as (height, width, 3)."""
    from PIL import Image

    with Image.open(io.BytesIO(view_bytes(data, spec, opened))) as image:
        pixels = np.asarray(image.convert("RGB"))
    return kind_of_spec(spec).pixels(pixels, spec)


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
