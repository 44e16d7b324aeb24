"""Camera files made from pixels, for the tests and the RAW benchmark: DNGs as cameras write them."""

import io

import numpy as np
from PIL import Image

TAKEN = "2024:05:06 07:08:09"
# XYZ -> linear sRGB (D65): as ColorMatrix1, the sensor's RGB is linear sRGB
SRGB_FROM_XYZ = (32406, -15372, -4986, -9689, 18758, 415, 557, -2040, 10570)


def scene(width, height, seed=0):
    """A photo-like image with a red block in its top-left quarter (where it is shows the rotation)."""
    y, x = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(seed)
    rgb = np.stack([60 + 150 * x // width, 50 + 150 * y // height, 40 + ((x + y) % 48) * 3], -1)
    rgb = rgb + rng.integers(-8, 9, (height, width, 1))
    rgb[height // 8 : height // 3, width // 8 : width // 3] = (235, 35, 30)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def dng_bytes(pixels, preview=None, orientation=1, taken=TAKEN, model="Testcam 1", bias=(-7, 10),
              maker="Testmaker") -> bytes:
    """A DNG of `pixels` as RGGB Bayer data (12-bit), with a JPEG preview of size `preview`
    (width, height) in IFD0 as cameras write it, or without one; the capture facts in IFD0."""
    import tifffile

    height, width, _ = pixels.shape
    linear = (pixels.astype(np.float32) / 255) ** 2.2
    cfa = np.empty((height, width), np.float32)
    cfa[0::2, 0::2], cfa[0::2, 1::2] = linear[0::2, 0::2, 0], linear[0::2, 1::2, 1]
    cfa[1::2, 0::2], cfa[1::2, 1::2] = linear[1::2, 0::2, 1], linear[1::2, 1::2, 2]
    cfa = (256 + cfa * (4095 - 256)).astype(np.uint16)
    described = [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50708, "s", 0, f"{maker} {model}", True),  # UniqueCameraModel
        (271, "s", 0, maker, True),
        (272, "s", 0, model, True),
        (274, "H", 1, orientation, True),
        (306, "s", 0, taken, True),
        (36867, "s", 0, taken, True),  # DateTimeOriginal, in IFD0 as TIFF/EP allows
        (37380, "2i", 1, bias, True),  # ExposureBiasValue
        (33434, "2I", 1, (1, 250), True),  # ExposureTime
        (34855, "H", 1, 400, True),  # ISO
        (50721, "2i", 9, tuple(v for m in SRGB_FROM_XYZ for v in (m, 10000)), True),  # ColorMatrix1
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
    ]
    sensor = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
        (50714, "H", 1, 256, True),  # BlackLevel
        (50717, "H", 1, 4095, True),  # WhiteLevel
    ]
    buffer = io.BytesIO()
    with tifffile.TiffWriter(buffer) as tif:
        if preview is None:
            tif.write(cfa, photometric="cfa", subfiletype=0, extratags=described + sensor, metadata=None)
        else:
            jpeg = io.BytesIO()
            Image.fromarray(pixels).resize(preview, Image.Resampling.LANCZOS).save(jpeg, "JPEG", quality=92)
            tif.write(iter([jpeg.getvalue()]), shape=(preview[1], preview[0], 3), dtype="uint8", photometric="ycbcr",
                      compression=7, rowsperstrip=preview[1], subfiletype=1, subifds=1, extratags=described,
                      metadata=None)
            tif.write(cfa, photometric="cfa", subfiletype=0, extratags=sensor, metadata=None)
    return buffer.getvalue()
