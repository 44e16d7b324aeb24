"""Shared fixtures (tiny demo photo folders, writers of hostile files) and the process exit."""

import io
import os
import struct
import sys
import zlib

import pytest
from PIL import Image

import pyphotoq
from workflow_fixtures import demo_photos, own_run, small_cache, trained_run  # noqa: F401  (shared fixtures)

SMALL = (128, 96)  # (width, height) of the tiny demo photos: landscape 128x96, portrait 96x128

_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """End the process without Python's finalisation once the parity test has embedded R.

    R cannot be ended inside a process (rpy2 only ends it at exit), and reticulate keeps a
    detached thread that schedules calls into the interpreter every 250 ms; while Python
    finalises (TensorFlow makes that take seconds) that thread can touch a freed interpreter
    and the process dies with a segmentation fault after every test has passed. By now the
    summary is printed and every report written, so exit with pytest's status at once.
    """
    embedded = sys.modules.get("rpy2.rinterface_lib.embedded")
    if embedded is not None and embedded.isinitialized():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash.get(_EXIT_STATUS, 1))


@pytest.fixture
def make_photos(tmp_path):
    """make_photos(name='photos', n=12, seed=0, size=SMALL) -> a fresh good/ + bad/ folder."""

    def make(name="photos", n=12, seed=0, size=SMALL):
        return pyphotoq.make_demo_photos(tmp_path / name, n_photos=n, size=size, seed=seed)

    return make


def png_bytes(size=(64, 64), colour=(90, 120, 150)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def png_bomb(width=30_000, height=30_000) -> bytes:
    """A tiny valid PNG whose header claims width x height pixels (IHDR patched, CRC fixed)."""
    data = bytearray(png_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_variant(jpeg: bytes, tag: str) -> bytes:
    """The same JPEG with a comment segment after SOI: same pixels, different bytes (and hash)."""
    comment = tag.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + jpeg[2:]
