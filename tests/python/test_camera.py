"""RAW and HEIC files are photos: kinds told by content, a RAW's embedded preview or its demosaic
turned upright once, HEIC's orientation applied once, capture facts of every kind, RAW+JPEG pairs
cached once, damaged files skipped with one line, and scoring seeing the cache's pixels.

The RAW files are real DNGs written here with tifffile: Bayer (CFA) sensor data LibRaw demosaics,
with or without a JPEG preview of the kind cameras embed."""

import io
import subprocess
import sys

import numpy as np
import pillow_heif
import pytest
from PIL import Image, ImageOps

import pyphotoq
from pyphotoq.photos import camera
from pyphotoq.photos.detail import split_patches
from pyphotoq.data.views import source_view_pixels
from pyphotoq.photos.detail import decode_native, to_upright
from pyphotoq.photos.images import UnusablePhoto, is_image_name, open_photo, read_photo_bytes, sniff_kind
from pyphotoq.photos.sources import camera_pairs, labelled_photos, walk_images

from camera_files import dng_bytes, scene

def exif_bytes(orientation=1, taken="2023:01:02 03:04:05", model="Phone X") -> bytes:
    exif = Image.Exif()
    exif[0x0112], exif[271], exif[272] = orientation, "Maker", model
    sub = exif.get_ifd(0x8769)
    sub[36867], sub[0x9204], sub[0x829A], sub[0x829D], sub[0x8827], sub[0x920A] = taken, -0.7, 0.004, 2.8, 200, 26.0
    return exif.tobytes()


def encoded(pixels, kind, orientation=1, **facts) -> bytes:
    """`pixels` as a file of `kind` with EXIF (a HEIC is written by pillow-heif without registering
    its Pillow opener: photoq must do that itself)."""
    buffer = io.BytesIO()
    if kind == "HEIF":
        pillow_heif.from_pillow(Image.fromarray(pixels)).save(buffer, quality=90, exif=exif_bytes(orientation, **facts))
    else:
        Image.fromarray(pixels).save(buffer, kind, quality=90, exif=exif_bytes(orientation, **facts))
    return buffer.getvalue()


def upright_reference(pixels, orientation, size):
    """`pixels` turned upright by an EXIF orientation (as Pillow does it), at `size`."""
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(buffer, "PNG", exif=exif)
    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue())))
    return np.asarray(upright.resize(size, Image.Resampling.LANCZOS), dtype=np.int16)


def mean_difference(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16)).mean())


# ---- kinds ------------------------------------------------------------------------------------


def test_raw_and_heif_names_and_kinds_are_known():
    names = ["a.dng", "b.CR2", "c.cr3", "d.NEF", "e.arw", "f.RAF", "g.orf", "h.rw2", "i.pef", "j.srw", "k.HEIC",
             "l.heif", "m.avif"]
    assert all(map(is_image_name, names))
    assert not is_image_name("a.dng.xmp")
    pixels = scene(160, 120)
    dng = dng_bytes(pixels)
    assert sniff_kind(dng[:64]) == "TIFF" and camera.raw_kind(dng) == "DNG"
    plain = io.BytesIO()
    Image.fromarray(pixels).save(plain, "TIFF")
    assert camera.raw_kind(plain.getvalue()) is None  # a plain TIFF stays a TIFF
    assert sniff_kind(encoded(pixels, "HEIF")[:64]) == "HEIF"
    assert sniff_kind(encoded(pixels, "AVIF")[:64]) == "AVIF"
    headers = {
        b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom": "CR3",
        b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic": "HEIF",
        b"FUJIFILMCCD-RAW 0201FF393501": "RAF",
        b"IIRO\x08\x00\x00\x00": "ORF",
        b"IIU\x00\x08\x00\x00\x00": "RW2",
        b"II*\x00\x10\x00\x00\x00CR\x02\x00": "CR2",
        b"\x00\x00\x00\x18ftypqt  \x00\x00\x00\x00qt  ": None,  # a video
    }
    for header, kind in headers.items():
        assert sniff_kind(header) == kind, header


# ---- RAW --------------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_a_raw_with_a_full_size_preview_opens_upright_through_its_preview(orientation):
    pixels = scene(1200, 900)
    data = dng_bytes(pixels, preview=(1200, 900), orientation=orientation)
    image = camera.decode_raw(data)
    assert (image.source, image.orientation, image.jpeg is not None) == ("preview", orientation, True)
    opened = open_photo(data, 240)
    upright = (900, 1200) if orientation in (6, 8) else (1200, 900)
    assert (opened.source_width, opened.source_height) == upright
    assert opened.image.size == (240, round(240 * upright[1] / upright[0]))
    assert opened.taken == "2024-05-06 07:08:09"
    assert mean_difference(opened.image, upright_reference(pixels, orientation, opened.image.size)) < 4
    # the detail view decodes the same preview, as stored, with the RAW's orientation
    stored, stored_orientation = decode_native(data, 40_000_000)
    assert np.asarray(stored).shape == (900, 1200, 3) and stored_orientation == orientation
    native = Image.fromarray(np.ascontiguousarray(to_upright(np.asarray(stored), stored_orientation)))
    assert mean_difference(native.resize(opened.image.size, Image.Resampling.LANCZOS), opened.image) < 2


@pytest.mark.parametrize("preview", [None, (320, 240)])
def test_a_raw_without_a_usable_preview_is_demosaiced_the_same_way_every_time(preview):
    pixels = scene(640, 480)
    data = dng_bytes(pixels, preview=preview, orientation=6)
    image = camera.decode_raw(data)
    assert (image.source, image.orientation, image.jpeg) == ("demosaic", 6, None)
    assert image.pixels.shape == (480, 640, 3)  # as stored: LibRaw does not rotate it
    again = camera.decode_raw(bytes(bytearray(data)))  # other bytes: decoded anew
    assert again is not image
    np.testing.assert_array_equal(again.pixels, image.pixels)
    # camera white balance, sRGB, no brightening: the sensor's scene comes back
    assert mean_difference(image.pixels, pixels) < 8
    opened = open_photo(data, 240)
    assert (opened.source_width, opened.source_height, opened.image.size) == (480, 640, (240, 320))
    assert mean_difference(opened.image, upright_reference(pixels, 6, (240, 320))) < 8
    stored, orientation = decode_native(data, 40_000_000)
    np.testing.assert_array_equal(np.asarray(stored), image.pixels)
    assert orientation == 6
    native = Image.fromarray(np.ascontiguousarray(to_upright(np.asarray(stored), orientation)))
    assert mean_difference(native.resize(opened.image.size, Image.Resampling.LANCZOS), opened.image) < 2


def test_damaged_and_foreign_raws_are_unusable_with_one_line():
    sensor_only = dng_bytes(scene(640, 480))
    with pytest.raises(UnusablePhoto, match=r"^damaged DNG: LibRaw could not read it \([^\n]+\)$"):
        open_photo(sensor_only[: len(sensor_only) // 2])  # the demosaic runs out of data
    previewed = dng_bytes(scene(640, 480), preview=(1200, 900))
    for damaged in (previewed[: len(previewed) // 10], previewed[:300] + bytes(range(256)) * 40):
        with pytest.raises(UnusablePhoto, match=r"^unreadable (DNG|RAW): LibRaw [\d.]+ does not recognise it [^\n]+$"):
            open_photo(damaged)
    with pytest.raises(UnusablePhoto, match=r"^unreadable RAF: LibRaw [\d.]+ does not recognise it"):
        open_photo(b"FUJIFILMCCD-RAW 0201FF393501" + bytes(4000))
    # the image that stands for a RAW is what is judged: sensor data cut short after a whole
    # preview is not read (that would cost a full unpack), so the preview still serves
    assert open_photo(previewed[: len(previewed) * 9 // 10], 240).image.size == (240, 180)


# ---- HEIF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["HEIF", "AVIF"])
def test_heic_and_avif_are_turned_upright_exactly_once(kind):
    pixels = scene(640, 480)
    data = encoded(pixels, kind, orientation=6)
    opened = open_photo(data, 240)  # (registers pillow-heif's opener for a HEIC)
    if kind == "HEIF":  # as phones write them: an irot transform and EXIF orientation 6, both
        assert b"irot" in data and Image.open(io.BytesIO(data)).info["original_orientation"] == 6
    assert (opened.source_width, opened.source_height, opened.image.size) == (480, 640, (240, 320))
    assert opened.taken == "2023-01-02 03:04:05"
    assert mean_difference(opened.image, upright_reference(pixels, 6, (240, 320))) < 6
    stored, orientation = decode_native(data, 40_000_000)
    turned = np.asarray(upright_reference(np.asarray(stored), orientation, (480, 640)))
    assert mean_difference(turned, upright_reference(pixels, 6, (480, 640))) < 6


def test_damaged_heic_is_unusable_with_one_line():
    data = encoded(scene(640, 480), "HEIF")
    for damaged in (data[: len(data) // 2], data[:200]):
        with pytest.raises(UnusablePhoto, match=r"^damaged HEIC: [^\n]+$"):
            open_photo(damaged)


# ---- capture facts ----------------------------------------------------------------------------


def test_photo_exif_reads_every_kind_and_never_raises():
    pixels = scene(320, 240)
    for kind in ("JPEG", "HEIF", "AVIF", "TIFF"):
        facts = camera.photo_exif(encoded(pixels, kind))
        assert facts == {"taken": "2023-01-02 03:04:05", "make": "Maker", "model": "Phone X", "software": "",
                         "exposure_bias": -0.7,
                         "focal_length": 26.0, "iso": 200, "exposure_time": 0.004, "f_number": 2.8}, kind
    dng = camera.photo_exif(dng_bytes(pixels, model="Testcam 2"))
    assert (dng["taken"], dng["model"], dng["exposure_bias"], dng["iso"]) == \
        ("2024-05-06 07:08:09", "Testcam 2", -0.7, 400)
    assert dng["exposure_time"] == pytest.approx(1 / 250) and dng["f_number"] is None
    for preview in (None, (1200, 900)):  # read alone, or while decoding: the same facts
        data = dng_bytes(scene(1200, 900), preview=preview)
        assert camera.photo_exif(data) == camera.decode_raw(bytes(bytearray(data))).exif
    # an ORF is a TIFF behind its own magic number
    tiff = dng_bytes(pixels, model="E-M1")
    orf = camera.photo_exif(b"IIRO" + tiff[4:])
    assert (orf["taken"], orf["model"]) == ("2024-05-06 07:08:09", "E-M1")
    # a CR3 keeps IFD0 and the EXIF IFD as TIFF streams in its moov box
    cr3 = camera.photo_exif(_cr3_like("Canon EOS R5", "2022:03:04 05:06:07", 0.3))
    assert (cr3["taken"], cr3["model"], cr3["exposure_bias"]) == ("2022-03-04 05:06:07", "Canon EOS R5", 0.3)
    for nothing in (b"", b"not a photo", b"II*\x00" + bytes(100), b"FUJIFILMCCD-RAW" + bytes(100),
                    encoded(pixels, "HEIF")[:300]):
        assert camera.photo_exif(nothing) == camera.empty_exif()


def _cr3_like(model, taken, bias) -> bytes:
    def box(name, payload):
        return (8 + len(payload)).to_bytes(4, "big") + name + payload

    ifd0, sub = Image.Exif(), Image.Exif()
    ifd0[272], ifd0[306] = model, taken
    sub[36867], sub[0x9204] = taken, bias
    cmt1, cmt2 = ifd0.tobytes()[6:], sub.tobytes()[6:]  # without the "Exif\0\0" of a JPEG segment
    uuid = box(b"uuid", bytes.fromhex("85c0b687820f11e08111f4ce462b6a48") + box(b"CMT1", cmt1) + box(b"CMT2", cmt2))
    return box(b"ftyp", b"crx \x00\x00\x00\x01crx isom") + box(b"moov", box(b"mvhd", bytes(100)) + uuid)


# ---- RAW+JPEG pairs ---------------------------------------------------------------------------


def test_camera_pairs_keep_the_jpeg_of_each_raw_jpeg_pair():
    paths = ["/t/IMG_1.CR2", "/t/IMG_1.JPG", "/t/IMG_2.jpg", "/t/IMG_3.NEF", "/u/IMG_1.cr2", "/t/P.dng", "/t/P.heic",
             "/t/two.dng", "/t/two.cr2", "/t/two.jpg"]
    kept, pairs = camera_pairs(paths)
    assert kept == ["/t/IMG_1.JPG", "/t/IMG_2.jpg", "/t/IMG_3.NEF", "/u/IMG_1.cr2", "/t/P.heic", "/t/two.dng",
                    "/t/two.cr2", "/t/two.jpg"]
    assert pairs == {"/t/IMG_1.JPG": "/t/IMG_1.CR2", "/t/P.heic": "/t/P.dng"}


# ---- the cache and scoring --------------------------------------------------------------------


def test_build_cache_takes_raw_heic_and_pairs_and_scoring_sees_the_same_pixels(tmp_path):
    photos = tmp_path / "photos"
    good, bad = photos / "good", photos / "bad"
    good.mkdir(parents=True)
    bad.mkdir()
    (good / "shot.jpg").write_bytes(encoded(scene(640, 480, 1), "JPEG"))
    (good / "preview.dng").write_bytes(dng_bytes(scene(1200, 900, 2), preview=(1200, 900), orientation=6))
    (good / "IMG_7.DNG").write_bytes(dng_bytes(scene(640, 480, 3), preview=(1200, 900)))
    (good / "IMG_7.JPG").write_bytes(encoded(scene(640, 480, 3), "JPEG"))
    (bad / "phone.heic").write_bytes(encoded(scene(640, 480, 4), "HEIF", orientation=8))
    (bad / "sensor.dng").write_bytes(dng_bytes(scene(640, 480, 5), orientation=3))
    (bad / "other.jpg").write_bytes(encoded(scene(480, 640, 6), "JPEG"))
    broken_raw = dng_bytes(scene(640, 480, 7))
    (bad / "broken.dng").write_bytes(broken_raw[: len(broken_raw) // 2])
    (bad / "damaged.heic").write_bytes(encoded(scene(640, 480, 8), "HEIF")[:400])
    originals = {path: path.read_bytes() for path in photos.rglob("*") if path.is_file()}

    listing = labelled_photos(photos)
    assert len(walk_images(good)) == 4 and len(listing) == 8  # the pair is one photo
    pairs = listing.attrs["pairs"]
    assert pairs.to_dict("records") == [{"used": str(good / "IMG_7.JPG"), "other": str(good / "IMG_7.DNG")}]

    cache = pyphotoq.build_cache(photos, tmp_path / "cache", progress=False)
    manifest = cache.manifest.set_index("original")
    assert sorted(manifest.index) == sorted(str(p) for p in listing["path"] if "broken" not in p and "damaged" not in p)
    assert str(good / "IMG_7.DNG") not in manifest.index  # the pair's JPEG was cached
    skipped = dict(zip(cache.skipped["path"], cache.skipped["reason"]))
    assert set(skipped) == {str(bad / "broken.dng"), str(bad / "damaged.heic")}
    assert skipped[str(bad / "broken.dng")].startswith("damaged DNG: LibRaw could not read it")
    assert skipped[str(bad / "damaged.heic")].startswith("damaged HEIC")
    sizes = {name: tuple(manifest.loc[str(path), ["source_width", "source_height", "width", "height"]])
             for name, path in (("preview", good / "preview.dng"), ("heic", bad / "phone.heic"),
                                ("sensor", bad / "sensor.dng"))}
    assert sizes == {"preview": (900, 1200, 480, 640), "heic": (480, 640, 480, 640), "sensor": (640, 480, 480, 360)}
    assert manifest.loc[str(good / "preview.dng"), "taken"] == "2024-05-06 07:08:09"
    assert manifest.loc[str(bad / "phone.heic"), "taken"] == "2023-01-02 03:04:05"

    # scoring makes both views from the source files through the same code: the same pixels
    specs = cache.info["views"]
    for path in (good / "preview.dng", bad / "phone.heic", bad / "sensor.dng"):
        digest = manifest.loc[str(path), "hash"]
        overview, patches = source_view_pixels(read_photo_bytes(path), specs, ["overview", "detail"])
        cached_overview = np.asarray(Image.open(cache.view_path(digest, "overview")).convert("RGB"))
        cached_detail = split_patches(np.asarray(Image.open(cache.view_path(digest, "detail")).convert("RGB")),
                                      specs["detail"])
        np.testing.assert_array_equal(overview, cached_overview)
        np.testing.assert_array_equal(patches, cached_detail)
    assert {path: path.read_bytes() for path in photos.rglob("*") if path.is_file()} == originals  # originals untouched


def test_heic_support_and_rawpy_load_on_first_use(tmp_path):
    script = (
        "import sys, pyphotoq, pyphotoq.photos.images, pyphotoq.data.cache\n"
        "from PIL import Image\n"
        "print('HEIF' in Image.OPEN, 'pillow_heif' in sys.modules, 'rawpy' in sys.modules)\n"
        "pyphotoq.photos.images.open_photo(open(sys.argv[1], 'rb').read(), 120)\n"
        "print('HEIF' in Image.OPEN)\n"
    )
    path = tmp_path / "a.heic"
    path.write_bytes(encoded(scene(160, 120), "HEIF"))
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "False", "True"]
