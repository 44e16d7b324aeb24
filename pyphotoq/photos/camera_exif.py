"""A photo's camera facts (capture time, camera, software, exposure) from its EXIF: the tags read
(_TAGS), read from Pillow's EXIF or from the TIFF streams of a RAW (CR3's boxes included);
pyphotoq.photos.camera.photo_exif chooses the reader by the photo's kind."""

from __future__ import annotations

import io
import math
import warnings


# Canon CR3 metadata: TIFF streams in the moov box's uuid box with this UUID.
_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")
_EXIF_IFD = 0x8769
#: photo_exif's keys and their EXIF tags (looked up in the EXIF IFD, then in IFD0 as TIFF/EP has them).
_TAGS = {
    "exposure_bias": 0x9204,  # ExposureBiasValue, EV
    "focal_length": 0x920A,  # FocalLength, mm
    "iso": 0x8827,  # ISOSpeedRatings / PhotographicSensitivity
    "exposure_time": 0x829A,  # ExposureTime, s
    "f_number": 0x829D,  # FNumber
}


def empty_exif() -> dict:
    """photo_exif's answer for a file that says nothing."""
    return {"taken": "", "make": "", "model": "", "software": "", "exposure_bias": None, "focal_length": None,
            "iso": None, "exposure_time": None, "f_number": None}


def _raw_exif(data: bytes, kind: str, preview: bytes | None = None) -> dict:
    """photo_exif of a RAW: its TIFF or CR3 metadata, then what that lacks from its embedded
    preview's EXIF. `preview` is the preview's JPEG bytes (b"" for none) when the caller has
    them; else LibRaw extracts it when needed. (LibRaw's own facts are not used: reading them
    unpacks the whole sensor data.)"""
    result = empty_exif()
    for exif in _raw_metadata(data, kind):
        _fill(result, exif)
    if any(value in ("", None) for value in result.values()):
        if preview is None:
            preview = _preview_jpeg(data)
        if preview:
            from PIL import Image

            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with Image.open(io.BytesIO(preview)) as image:
                        _fill(result, image.getexif())
            except Exception:  # noqa: BLE001 (a preview without readable EXIF adds nothing)
                pass
    return result


def _raw_metadata(data: bytes, kind: str) -> list:
    """The EXIF structures a RAW carries as TIFF streams (Pillow Exif objects)."""
    from PIL import Image

    found = []
    streams = []
    if kind == "CR3":
        streams = _cr3_tiff_streams(data)
    elif kind in ("ORF", "RW2"):
        # TIFF structures behind their own magic number: read them as a little- or big-endian TIFF
        streams = [(b"MM\x00*" if data[:2] == b"MM" else b"II*\x00") + data[4:]]
    elif kind != "RAF":
        streams = [data]
    for stream in streams:
        exif = Image.Exif()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exif.load(stream)
                exif.get_ifd(_EXIF_IFD)  # read now, while the stream is at hand
        except Exception:  # noqa: BLE001 (a damaged structure adds nothing)
            continue
        found.append(exif)
    return found


def _cr3_tiff_streams(data: bytes) -> list[bytes]:
    """The CMT1 (IFD0) and CMT2 (EXIF IFD) TIFF streams of a Canon CR3 (ISO-BMFF) file."""
    moov = _box(data, 0, len(data), b"moov")
    if moov is None:
        return []
    start = moov[0]
    while True:
        uuid = _box(data, start, moov[1], b"uuid")
        if uuid is None:
            return []
        if data[uuid[0] : uuid[0] + 16] == _CANON_UUID:
            break
        start = uuid[1]
    streams = []
    for name in (b"CMT1", b"CMT2"):
        found = _box(data, uuid[0] + 16, uuid[1], name)
        if found is not None:
            streams.append(data[found[0] : found[1]])
    return streams


def _box(data: bytes, start: int, end: int, name: bytes) -> tuple[int, int] | None:
    """(payload start, end) of the first ISO-BMFF box called `name` in data[start:end]."""
    position = start
    while position + 8 <= end:
        size = int.from_bytes(data[position : position + 4], "big")
        header = 8
        if size == 1:
            size = int.from_bytes(data[position + 8 : position + 16], "big")
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return None
        if data[position + 4 : position + 8] == name:
            return position + header, position + size
        position += size
    return None


def _preview_jpeg(data: bytes) -> bytes:
    """The JPEG bytes of a RAW's embedded preview, or b"" (none, a bitmap, or unreadable)."""
    try:
        import rawpy

        with rawpy.imread(io.BytesIO(data)) as raw:
            thumb = raw.extract_thumb()
            return bytes(thumb.data) if thumb.format == rawpy.ThumbFormat.JPEG else b""
    except Exception:  # noqa: BLE001 (no preview, or an unreadable file: nothing to add)
        return b""


def _fill(result: dict, exif) -> None:
    """Set the keys of `result` still missing from a Pillow Exif."""
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # noqa: BLE001
        sub = {}

    def look(tag):
        value = sub.get(tag)
        return exif.get(tag) if value is None else value

    if not result["taken"]:
        result["taken"] = format_capture_time(look(36867) or exif.get(306))
    for key, tag in (("make", 271), ("model", 272), ("software", 305)):
        if not result[key]:
            result[key] = _text(exif.get(tag))
    for key, tag in _TAGS.items():
        if result[key] is None:
            result[key] = _number(look(tag), whole=key == "iso")


def format_capture_time(raw) -> str:
    """An EXIF date ('YYYY:MM:DD HH:MM:SS', text or bytes) as 'YYYY-MM-DD HH:MM:SS', or ''.
    (Here, with the EXIF readers, so that images and camera both use it; images exports it.)"""
    raw = raw or ""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    raw = str(raw).strip().rstrip("\x00")
    if len(raw) < 19 or raw[4] != ":" or raw[7] != ":":
        return ""
    return f"{raw[0:4]}-{raw[5:7]}-{raw[8:10]} {raw[11:19]}"


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip().rstrip("\x00").strip() if value is not None else ""


def _number(value, whole: bool = False):
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(number):
        return None
    return int(round(number)) if whole else number
