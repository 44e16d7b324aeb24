"""Tests of pyphotoq.photos.images: open one photo upright, as 8-bit RGB, at the cache width."""

import io

import numpy as np
import pytest
from PIL import Image

from conftest import png_bomb, png_bytes
from pyphotoq.photos.images import UnusablePhoto, is_image_name, open_photo

TAG_ORIENTATION = 0x0112
TAG_DATETIME = 306
IFD_EXIF = 0x8769
TAG_DATETIME_ORIGINAL = 36867


def encode(img, fmt, **options) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **options)
    return buffer.getvalue()


def pixels(photo) -> np.ndarray:
    assert photo.image.mode == "RGB"
    values = np.asarray(photo.image)
    assert values.dtype == np.uint8 and values.shape[2] == 3
    return values.astype(int)


def halves(left, right, size=(160, 96), mode="RGB"):
    """An image whose left half is `left` and right half is `right`."""
    img = Image.new(mode, size, left)
    img.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return img


def test_exif_orientation_6_turns_a_landscape_file_into_a_portrait_photo():
    stored = halves((255, 0, 0), (0, 0, 255))  # 160x96 as stored, red left, blue right
    exif = Image.Exif()
    exif[TAG_ORIENTATION] = 6  # viewers rotate 90 degrees clockwise
    photo = open_photo(encode(stored, "JPEG", quality=95, exif=exif.tobytes()), width=96)
    assert photo.image.size == (96, 160)
    assert (photo.source_width, photo.source_height) == (96, 160)
    values = pixels(photo)
    # turned clockwise, the stored left (red) half is on top, the right (blue) half below
    assert values[:60, :, 0].mean() > 200 and values[:60, :, 2].mean() < 50
    assert values[-60:, :, 2].mean() > 200 and values[-60:, :, 0].mean() < 50


def test_without_orientation_a_landscape_file_stays_landscape():
    photo = open_photo(encode(halves((255, 0, 0), (0, 0, 255)), "JPEG"), width=128)
    assert photo.image.size == (128, 77)  # 96 * 128 / 160 = 76.8
    values = pixels(photo)
    assert values[:, :50, 0].mean() > 200 and values[:, -50:, 2].mean() > 200


def gradient(size=(128, 96)):
    """A horizontal 0..255 ramp, the same in every row."""
    return np.tile(np.linspace(0, 255, size[0]), (size[1], 1))


def grayscale_jpeg():
    return encode(Image.fromarray(gradient().astype(np.uint8), "L"), "JPEG", quality=95), None


def cmyk_jpeg():
    return encode(Image.new("CMYK", (128, 96), (0, 255, 255, 0)), "JPEG", quality=95), (255, 0, 0)


def palette_png_with_transparency():
    img = Image.new("P", (128, 96), 0)
    img.putpalette([0, 0, 0, 0, 128, 0] + [0] * 762)
    img.paste(1, (64, 0, 128, 96))  # right half green, left half colour 0 = transparent
    return encode(img, "PNG", transparency=0), None


def grayscale_16bit_png():
    values = (gradient() * 257).astype(np.uint16)  # 0..65535
    img = Image.fromarray(values)
    assert img.mode.startswith("I;16")
    return encode(img, "PNG"), None


def rgba_png():
    img = Image.new("RGBA", (128, 96), (0, 0, 255, 255))
    img.paste((0, 0, 0, 0), (0, 0, 64, 96))  # left half fully transparent
    return encode(img, "PNG"), None


def animated_gif():
    frames = [Image.new("RGB", (128, 96), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 2
    return data, (255, 0, 0)


@pytest.mark.parametrize("make", [
    grayscale_jpeg, cmyk_jpeg, palette_png_with_transparency, grayscale_16bit_png, rgba_png,
    animated_gif,
], ids=lambda f: f.__name__)
def test_every_mode_becomes_8bit_rgb(make):
    data, colour = make()
    photo = open_photo(data, width=96)
    assert photo.image.size == (96, 72)
    values = pixels(photo)
    if colour is not None:
        assert np.abs(values - colour).mean() < 12, values.mean(axis=(0, 1))


def test_grayscale_keeps_its_tones():
    values = pixels(open_photo(grayscale_jpeg()[0], width=96))
    assert np.abs(values[..., 0] - values[..., 2]).max() <= 2  # still gray
    row = values[36, :, 0]
    assert row[2] < 20 and row[-3] > 235 and np.all(np.diff(row[4:-4]) >= -3)  # a ramp


def test_16bit_grayscale_is_scaled_not_clipped():
    values = pixels(open_photo(grayscale_16bit_png()[0], width=96))
    row = values[36, :, 0]
    assert row[1] < 15 and row[-2] > 240  # 0..65535 mapped to 0..255, not saturated at 255
    assert 100 < row[48] < 155


def test_transparency_becomes_white():
    for data in (rgba_png()[0], palette_png_with_transparency()[0]):
        values = pixels(open_photo(data, width=96))
        assert values[:, :40].min() > 245  # transparent half composited on white
        assert values[:, -40:].mean() < 200  # opaque half keeps its colour


def test_content_is_sniffed_not_the_extension(tmp_path):
    fake = tmp_path / "really_a_png.jpg"
    fake.write_bytes(png_bytes((128, 96), (10, 200, 30)))
    photo = open_photo(fake, width=96)
    assert photo.image.size == (96, 72)
    assert np.abs(pixels(photo) - (10, 200, 30)).max() <= 2


def test_draft_decoding_matches_a_full_decode(make_photos):
    folder = make_photos(n=2, size=(2400, 1800), seed=3)
    path = next(p for p in sorted(folder.glob("*/*.jpg")) if Image.open(p).size == (2400, 1800))
    photo = open_photo(path, width=480)
    with Image.open(path) as full:
        full.load()
        assert full.getexif().get(TAG_ORIENTATION, 1) == 1
        reference = full.convert("RGB").resize((480, 360), Image.Resampling.LANCZOS)
    assert photo.image.size == reference.size == (480, 360)
    diff = np.abs(pixels(photo) - np.asarray(reference).astype(int))
    assert diff.mean() < 2.5 and np.percentile(diff, 99) < 25


def test_capture_time_from_exif():
    img = Image.new("RGB", (128, 96), (50, 60, 70))
    exif = Image.Exif()
    exif[TAG_DATETIME] = "2020:01:01 00:00:00"
    exif.get_ifd(IFD_EXIF)[TAG_DATETIME_ORIGINAL] = "2026:07:01 09:15:42"
    assert open_photo(encode(img, "JPEG", exif=exif.tobytes())).taken == "2026-07-01 09:15:42"

    only_datetime = Image.Exif()
    only_datetime[TAG_DATETIME] = "2021:02:03 04:05:06"
    assert open_photo(encode(img, "JPEG", exif=only_datetime.tobytes())).taken == "2021-02-03 04:05:06"
    assert open_photo(encode(img, "JPEG")).taken == ""


def test_demo_photos_carry_their_capture_time(make_photos):
    folder = make_photos(n=4)
    for path in folder.glob("*/*.jpg"):
        taken = open_photo(path, width=96).taken
        assert taken.startswith("2026-07-") and len(taken) == 19


def truncated_jpeg():
    data = encode(Image.fromarray(gradient().astype(np.uint8)), "JPEG")
    return data[: len(data) // 2]


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (b"just some text, not a photo\n", "not an image"),
    (truncated_jpeg(), "damaged image"),
    (png_bomb(), "decompression bomb"),
    (png_bytes((1, 1)), "too small: 1x1 px"),
    (png_bytes((64, 63)), "too small"),
    (png_bytes((4000, 300)), "too elongated: 4000x300 px would be 480x36"),
], ids=["empty", "text", "truncated", "bomb", "1x1", "63px", "panorama"])
def test_unusable_photos_say_why(data, reason):
    with pytest.raises(UnusablePhoto, match=reason):
        open_photo(data, width=480)


def test_smallest_usable_photo():
    assert open_photo(png_bytes((64, 64)), width=64).image.size == (64, 64)
    assert open_photo(png_bytes((480, 64)), width=480).image.size == (480, 64)


def test_missing_or_folder_path_is_unusable(tmp_path):
    with pytest.raises(UnusablePhoto, match="cannot read"):
        open_photo(tmp_path / "gone.jpg")
    with pytest.raises(UnusablePhoto, match="folder"):
        open_photo(tmp_path)


def test_image_names():
    assert all(map(is_image_name, ["a.jpg", "B.JPEG", "c.png", "d.TIF", "e.webp", "f.gif"]))
    assert not any(map(is_image_name, ["a.xmp", ".DS_Store", "b.jpg.xmp", "c", "d.mov"]))
