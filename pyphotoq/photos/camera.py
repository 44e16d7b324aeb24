"""Camera files: RAW (through LibRaw, via rawpy) and HEIF/HEIC/AVIF (through Pillow and pillow-heif).

Photographers shoot RAW, often as RAW+JPEG pairs, and phones write HEIC. This module knows
those kinds by their content, turns a RAW file into the one image that stands for it, and reads
the capture facts (time, camera, exposure) of every kind. `images.open_photo` (the overview) and
`detail.decode_native` (the detail view) both take a RAW's pixels from `decode_raw`, so the cache
and scoring see exactly the same image.

**Which image stands for a RAW file** (one rule, from the file's bytes alone):

* its embedded preview, when LibRaw finds one whose long side is at least `PREVIEW_MIN_SIDE`
  (1,000 px) and whose header reads: the camera's own rendering (white balance, picture style,
  lens corrections), as the photographer saw it on the camera, and far quicker than a demosaic.
  Cameras embed a full-size JPEG (Canon, Nikon, Sony, most DNGs from cameras) or one of
  1,600-3,200 px (Fujifilm, Panasonic, Olympus);
* else a demosaic of the sensor data with fixed parameters (`demosaic_parameters`): AHD, the
  camera's white balance, 8-bit sRGB (sRGB primaries and tone curve), the camera's black and white
  levels, no automatic brightening nor white level taken from the photo's brightest pixels
  (either would hide under- or over-exposure, part of what a photographer judges), clipped
  highlights, never rotated by LibRaw. The same file always gives the same pixels.

Either is stored as the sensor saw it and turned upright by the RAW's orientation (LibRaw's
`sizes.flip`; when LibRaw has none, the preview's own EXIF orientation), exactly once. The
sensor data of a RAW that its preview stands for is never unpacked (for compressed RAWs that
costs as much as a demosaic), so a file cut short after a whole preview still opens through it.

**HEIF/HEIC** opens through Pillow once pillow-heif's opener is registered (on first use).
libheif turns the image upright by the file's `irot`/`imir` transforms and pillow-heif then
resets the EXIF orientation to 1, so the orientation is applied once. AVIF opens through
Pillow's own AVIF plugin (Pillow 11.3 or later), which keeps the orientation in EXIF.
"""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np

from .camera_exif import empty_exif, _raw_exif, _fill, _text
from ..core.errors import UnusablePhoto

#: Every RAW file ending photoq knows (case-insensitive): proprietary RAW formats and DNG. Its two
#: uses: the sidecar names (Lightroom names a RAW's sidecar `<stem>.xmp`: sidecar_files), and,
#: for the endings photoq also reads, READABLE_RAW_EXTENSIONS.
RAW_EXTENSIONS = frozenset({
    ".3fr", ".ari", ".arw", ".bay", ".cap", ".cr2", ".cr3", ".crw", ".dcr", ".dcs", ".dng", ".drf",
    ".eip", ".erf", ".fff", ".gpr", ".iiq", ".k25", ".kdc", ".mdc", ".mef", ".mos", ".mrw", ".nef",
    ".nrw", ".orf", ".pef", ".ptx", ".raf", ".raw", ".rw2", ".rwl", ".sr2", ".srf", ".srw", ".x3f",
})
#: The RAW endings photoq opens (decode_raw) and pairs with a JPEG: Adobe, Canon, Nikon, Sony,
#: Fujifilm, Olympus/OM, Panasonic/Leica, Pentax/Ricoh, Samsung.
READABLE_RAW_EXTENSIONS = frozenset(
    {".dng", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".raf", ".orf", ".rw2", ".rwl", ".pef", ".srw"}
)
#: HEIF-family endings: phones' HEIC, cameras' HEIF (.hif), and AVIF.
HEIF_EXTENSIONS = frozenset({".heic", ".heif", ".hif", ".avif"})
#: Kinds `container_kind` and `raw_kind` name; a damaged one is reported with its name.
RAW_KINDS = frozenset({"DNG", "CR2", "CR3", "NEF", "ARW", "RAF", "ORF", "RW2", "PEF", "SRW", "RAW"})
#: A RAW's embedded preview stands for it when its long side has at least this many pixels:
#: over twice the 480-px overview (never enlarged) and enough for the detail view's patches.
PREVIEW_MIN_SIDE = 1000


def demosaic_parameters() -> dict:
    """The fixed LibRaw parameters of the demosaic fallback (see the module text)."""
    import rawpy

    return {
        "demosaic_algorithm": rawpy.DemosaicAlgorithm.AHD,
        "use_camera_wb": True,
        "use_auto_wb": False,
        "output_color": rawpy.ColorSpace.sRGB,
        "output_bps": 8,
        "gamma": (2.4, 12.92),  # the sRGB tone curve
        "no_auto_bright": True,
        "adjust_maximum_thr": 0.0,  # the white level is the camera's, not the brightest pixel of this photo
        "bright": 1.0,
        "highlight_mode": rawpy.HighlightMode.Clip,
        "user_flip": 0,  # the pixels as stored; the orientation is applied by the callers
        "half_size": False,
        "four_color_rgb": False,
        "median_filter_passes": 0,
    }


#: LibRaw's `sizes.flip` (bits: 1 mirror columns, 2 mirror rows, 4 transpose) -> EXIF orientation.
_FLIP_TO_ORIENTATION = {0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"mif2", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
# The Make of a TIFF-based RAW -> the kind its files are known by (for messages).
_MAKE_KINDS = (("NIKON", "NEF"), ("SONY", "ARW"), ("PENTAX", "PEF"), ("RICOH", "PEF"), ("ASAHI", "PEF"),
               ("SAMSUNG", "SRW"), ("CANON", "CR2"))
# TIFF tags read to tell a TIFF-based RAW from a plain TIFF
_NEW_SUBFILE_TYPE, _COMPRESSION, _PHOTOMETRIC, _MAKE, _SUB_IFDS, _DNG_VERSION = 254, 259, 262, 271, 330, 50706
# Compressions Pillow reads; a camera's own compression in IFD0 means IFD0 holds sensor data.
_PLAIN_COMPRESSIONS = {1, 2, 3, 4, 5, 6, 7, 8, 32773, 32946, 34712, 50000, 50001}
_CFA, _LINEAR_RAW = 32803, 34892


# ---- kinds ------------------------------------------------------------------------------------


def container_kind(header: bytes) -> str | None:
    """The camera kind that the first bytes (64 are enough) of a file show, or None: 'CR3',
    'HEIF' or 'AVIF' (ISO-BMFF `ftyp` brands), 'RAF', 'ORF', 'RW2' (their own magic) or 'CR2'
    (a TIFF with Canon's signature). Other TIFF-based RAWs need `raw_kind` (it reads IFD0)."""
    if header[4:8] == b"ftyp":
        size = int.from_bytes(header[0:4], "big")
        brands = {header[8:12]} | {header[i : i + 4] for i in range(16, min(len(header), max(size, 16)) - 3, 4)}
        if b"crx " in brands:
            return "CR3"
        if brands & _AVIF_BRANDS:
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIF"
        return None
    if header.startswith(b"FUJIFILMCCD-RAW"):
        return "RAF"
    if header[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "ORF"
    if header[:4] == b"IIU\x00":
        return "RW2"
    if header[:4] in _TIFF_MAGIC and header[8:10] == b"CR":
        return "CR2"
    return None


def raw_kind(data: bytes) -> str | None:
    """The RAW kind of a file's bytes ('DNG', 'NEF', 'CR3', ...; 'RAW' for a camera not named
    here), or None when it is no RAW (a JPEG, a plain TIFF, a HEIC...).

    A TIFF is a RAW when its first IFD has DNGVersion (DNG), or names a camera maker (Make) and
    holds no plain image: a reduced-resolution preview with the sensor data elsewhere (NEF, ARW),
    SubIFDs, CFA or linear-raw pixels, or a camera's own compression (PEF, SRW).
    """
    kind = container_kind(data[:64])
    if kind is not None:
        return kind if kind in RAW_KINDS else None
    if data[:4] not in _TIFF_MAGIC:
        return None
    ifd0 = _tiff_ifd0(data)
    if ifd0 is None:
        return None
    if _DNG_VERSION in ifd0:
        return "DNG"
    make = _text(ifd0.get(_MAKE)).upper()
    if not make:
        return None
    subfile = ifd0.get(_NEW_SUBFILE_TYPE, 0)
    compression = ifd0.get(_COMPRESSION, 1)
    raw_like = (
        (isinstance(subfile, int) and subfile & 1)
        or _SUB_IFDS in ifd0
        or ifd0.get(_PHOTOMETRIC) in (_CFA, _LINEAR_RAW)
        or compression not in _PLAIN_COMPRESSIONS
    )
    if not raw_like:
        return None
    return next((name for maker, name in _MAKE_KINDS if make.startswith(maker)), "RAW")


def sniff_kind(header: bytes) -> str | None:
    """The image kind ('JPEG', 'PNG', ..., 'HEIF', 'AVIF', 'CR3', 'CR2', 'RAF', 'ORF', 'RW2') from
    the first bytes of a file (64 are enough), or None. DNG, NEF, ARW, PEF and SRW files are
    'TIFF' here: raw_kind tells them from plain TIFFs by their first IFD. (Here, beside
    container_kind, so that photo_exif sniffs without importing images; images exports it.)"""
    if header.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if header.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if header[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return "WEBP"
    if header[:2] == b"BM":
        return "BMP"
    container = container_kind(header)
    if container is not None:
        return container
    if header[:4] in _TIFF_MAGIC:
        return "TIFF"
    return None


def kind_name(kind: str) -> str:
    """How a kind is named to a photographer ('HEIF' files are usually called HEIC)."""
    return "HEIC" if kind == "HEIF" else kind


def _tiff_ifd0(data: bytes):
    """The first IFD of a TIFF stream (Pillow's ImageFileDirectory_v2), or None."""
    from PIL import TiffImagePlugin

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ifd = TiffImagePlugin.ImageFileDirectory_v2(data[:8])
            stream = io.BytesIO(data)
            stream.seek(ifd.next)
            ifd.load(stream)
            return ifd
    except Exception:  # noqa: BLE001 (any damage means: not a readable TIFF)
        return None


# ---- HEIF -------------------------------------------------------------------------------------

_heif_lock = threading.Lock()
_heif_registered = False


def prepare_heif(kind: str) -> None:
    """Make Pillow able to open a file of `kind` ('HEIF' or 'AVIF'): registers pillow-heif's
    opener once, on first use; UnusablePhoto when this installation cannot decode the kind."""
    global _heif_registered
    if kind == "AVIF":
        from PIL import features

        if not features.check_module("avif"):
            raise UnusablePhoto("cannot decode AVIF: this Pillow has no AVIF support (Pillow 11.3 or later has)")
        return
    if _heif_registered:
        return
    with _heif_lock:
        if _heif_registered:
            return
        try:
            import pillow_heif
        except ImportError:
            raise UnusablePhoto("cannot decode HEIC: pillow-heif is not installed (pip install pillow-heif)") from None
        pillow_heif.register_heif_opener()
        _heif_registered = True


# ---- RAW --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RawImage:
    """The image that stands for a RAW file, as stored (not yet upright).

    Exactly one of `jpeg` (the embedded preview's JPEG bytes) and `pixels` (a (height, width, 3)
    uint8 array: a bitmap preview or the demosaic) is set. `orientation` is the EXIF orientation
    (1-8) that turns it upright; `source` says which image it is: 'preview' or 'demosaic'.
    """

    kind: str
    orientation: int
    source: str
    jpeg: bytes | None = None
    pixels: np.ndarray | None = None
    exif: dict = field(default_factory=dict)

    @property
    def taken(self) -> str:
        return self.exif.get("taken", "")


# The last RAW decoded by each thread, by the identity of its bytes: the overview and the detail
# view of one photo are made one after the other from the same bytes object, and a demosaic
# costs seconds. One entry per thread, replaced by the next RAW that thread decodes.
_last = threading.local()


def decode_raw(data: bytes, kind: str | None = None) -> RawImage:
    """The image that stands for a RAW file (the rule in the module text).

    Raises UnusablePhoto with a one-line reason when LibRaw cannot read the file.
    """
    if getattr(_last, "data", None) is data:
        return _last.image
    kind = kind or raw_kind(data) or "RAW"
    try:
        import rawpy
    except ImportError:
        raise UnusablePhoto(f"cannot decode {kind}: rawpy is not installed (pip install rawpy)") from None
    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            flip = int(raw.sizes.flip)
            jpeg, bitmap, preview_orientation, thumb = _usable_preview(raw, rawpy)
            pixels = bitmap
            if jpeg is None and bitmap is None:
                pixels = np.ascontiguousarray(raw.postprocess(**demosaic_parameters()))
    except rawpy.LibRawFileUnsupportedError:
        raise UnusablePhoto(
            f"unreadable {kind}: LibRaw {_libraw_version()} does not recognise it (damaged, or from a camera "
            "newer than this rawpy: upgrade rawpy)"
        ) from None
    except MemoryError:
        raise UnusablePhoto(f"{kind} too large to decode in memory") from None
    except Exception as err:  # noqa: BLE001 (LibRaw's errors come in many classes)
        raise UnusablePhoto(f"damaged {kind}: LibRaw could not read it ({_first_line(err)})") from None
    orientation = _FLIP_TO_ORIENTATION.get(flip, 1) if flip else preview_orientation
    exif = _raw_exif(data, kind, thumb if thumb is not None else b"")
    source = "preview" if jpeg is not None or bitmap is not None else "demosaic"
    image = RawImage(kind, orientation, source, jpeg=jpeg, pixels=pixels, exif=exif)
    _last.data, _last.image = data, image
    return image


def _usable_preview(raw, rawpy) -> tuple[bytes | None, np.ndarray | None, int, bytes | None]:
    """(JPEG bytes, bitmap array, the preview's own EXIF orientation) of the embedded preview
    when it is usable (long side >= PREVIEW_MIN_SIDE, readable header), else (None, None, 1);
    then the preview's JPEG bytes whatever its size (for its EXIF), or None."""
    from PIL import Image

    try:
        thumb = raw.extract_thumb()
    except rawpy.LibRawError:
        return None, None, 1, None  # none, or a damaged one: the sensor data may still be whole
    if thumb.format == rawpy.ThumbFormat.JPEG:
        jpeg = bytes(thumb.data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with Image.open(io.BytesIO(jpeg)) as image:
                    if image.format != "JPEG" or max(image.size) < PREVIEW_MIN_SIDE:
                        return None, None, 1, jpeg
                    orientation = int(image.getexif().get(0x0112, 1) or 1)
        except Exception:  # noqa: BLE001 (an unreadable preview is not used)
            return None, None, 1, jpeg
        return jpeg, None, orientation if orientation in range(1, 9) else 1, jpeg
    pixels = np.asarray(thumb.data)
    if pixels.ndim != 3 or max(pixels.shape[:2]) < PREVIEW_MIN_SIDE:
        return None, None, 1, None
    if pixels.dtype != np.uint8:
        pixels = (pixels.astype(np.uint32) >> 8).astype(np.uint8)
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    return None, np.ascontiguousarray(pixels[:, :, :3]), 1, None


def _libraw_version() -> str:
    import rawpy

    return ".".join(map(str, rawpy.libraw_version))


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    reason = text[0] if text else type(err).__name__
    if reason.startswith("b'") or reason.startswith('b"'):  # rawpy's messages are bytes
        reason = reason[2:-1]
    return reason[:160]


# ---- EXIF -------------------------------------------------------------------------------------


def photo_exif(data: bytes) -> dict:
    """What a photo's bytes say about its capture, for any kind photoq opens:

    taken (EXIF DateTimeOriginal, else DateTime, as 'YYYY-MM-DD HH:MM:SS'), make and model
    (EXIF Make and Model), exposure_bias (EV), focal_length (mm), iso, exposure_time (s) and
    f_number, and software (EXIF Software: the camera's firmware, or the program that last
    saved the file). Missing or unreadable values are '' (text) or None (numbers); it never raises.

    JPEG, TIFF, PNG, WebP, HEIC and AVIF are read with Pillow. A RAW is read from its own TIFF
    structure (DNG, NEF, CR2, ARW, ORF, RW2, PEF, SRW) or CR3 metadata boxes; what these lack is
    taken from its embedded JPEG preview's EXIF (RAF keeps its EXIF there).
    """
    try:
        kind = raw_kind(data)
        if kind is not None:
            if getattr(_last, "data", None) is data:
                return dict(_last.image.exif)
            return _raw_exif(data, kind)
        return _pillow_exif(data)
    except Exception:  # noqa: BLE001 (a damaged file has no facts, never an error)
        return empty_exif()


def _pillow_exif(data: bytes) -> dict:
    from PIL import Image

    result = empty_exif()
    kind = sniff_kind(data[:64])
    if kind in ("HEIF", "AVIF"):
        prepare_heif(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as image:
            _fill(result, image.getexif())
    return result


