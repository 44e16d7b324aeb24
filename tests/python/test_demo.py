"""Tests of pyphotoq.demo: the synthetic demo photo generator."""

import datetime as dt
import re

import numpy as np
import pytest
from PIL import Image, ImageOps

from pyphotoq.demo import make_demo_photos

N_PHOTOS = 30
SIZE = (128, 96)
SEED = 4  # this seed's 30 photos include bursts, both kinds of portrait and blurred ones

TAG_ORIENTATION = 0x0112
IFD_EXIF = 0x8769
TAG_DATETIME_ORIGINAL = 36867


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    return make_demo_photos(tmp_path_factory.mktemp("demo"), n_photos=N_PHOTOS,
                            size=SIZE, seed=SEED)


def photos(folder):
    """All photos of a demo folder as {name: (label, path)}."""
    return {p.name: (label, p) for label in ("good", "bad")
            for p in sorted((folder / label).glob("*.jpg"))}


def load(path):
    """The image at ``path``, read completely so that the file is closed."""
    with Image.open(path) as img:
        img.load()
    return img


def capture_time(path):
    exif = load(path).getexif()
    return dt.datetime.strptime(exif.get_ifd(IFD_EXIF)[TAG_DATETIME_ORIGINAL],
                                "%Y:%m:%d %H:%M:%S")


def gray(path):
    """Upright grayscale pixels as floats."""
    return np.asarray(ImageOps.exif_transpose(load(path)).convert("L"), dtype=float)


def sharpness(path):
    """Mean absolute Laplacian of the grayscale image."""
    g = gray(path)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return np.abs(lap).mean()


def test_folders_and_counts(demo_dir, tmp_path):
    assert demo_dir.is_dir()
    good = sorted((demo_dir / "good").glob("*.jpg"))
    bad = sorted((demo_dir / "bad").glob("*.jpg"))
    assert len(good) == round(N_PHOTOS * 0.4)
    assert len(bad) == N_PHOTOS - len(good)
    names = sorted(p.name for p in good + bad)
    assert names == [f"IMG_{i:04d}.jpg" for i in range(1, N_PHOTOS + 1)]
    # the folder is created, returned as a Path, and both classes get a photo
    out = make_demo_photos(str(tmp_path / "new" / "demo"), n_photos=2, size=(64, 64),
                           good_share=0.1)
    assert out == tmp_path / "new" / "demo"
    assert len(list((out / "good").glob("*.jpg"))) == 1
    assert len(list((out / "bad").glob("*.jpg"))) == 1


def test_sizes_and_orientation(demo_dir):
    sideways = upright_portrait = 0
    for _label, path in photos(demo_dir).values():
        img = load(path)
        orientation = img.getexif()[TAG_ORIENTATION]
        assert orientation in (1, 6)
        if orientation == 6:  # stored like a phone: landscape pixels, viewed rotated
            sideways += 1
            assert img.size == SIZE
            assert ImageOps.exif_transpose(img).size == SIZE[::-1]
        else:
            assert img.size in (SIZE, SIZE[::-1])
            upright_portrait += img.size == SIZE[::-1]
    assert sideways > 0
    assert upright_portrait > 0


def test_exif_and_capture_times(demo_dir):
    shots = sorted(photos(demo_dir).items())
    for _, (_, path) in shots:
        exif = load(path).getexif()
        assert exif[0x010F] == "photoq"
        assert exif[0x0110] == "demo camera"
        assert re.fullmatch(r"\d{4}:\d\d:\d\d \d\d:\d\d:\d\d",
                            exif.get_ifd(IFD_EXIF)[TAG_DATETIME_ORIGINAL])
    times = [capture_time(path) for _, (_, path) in shots]
    assert times[0] == dt.datetime(2026, 7, 1, 9, 0, 0)
    bursts = 0
    for (_, (label_a, _)), (_, (label_b, _)), a, b in zip(shots, shots[1:], times, times[1:]):
        gap = (b - a).total_seconds()
        if gap == 1:  # burst: same scene, same label
            bursts += 1
            assert label_a == label_b
        else:
            assert gap >= 60
    assert bursts > 0


def test_deterministic(demo_dir, tmp_path):
    again = make_demo_photos(tmp_path / "again", n_photos=N_PHOTOS, size=SIZE, seed=SEED)
    other = make_demo_photos(tmp_path / "other", n_photos=N_PHOTOS, size=SIZE, seed=SEED + 1)
    first = photos(demo_dir)
    for name, (label, path) in first.items():
        assert (again / label / name).read_bytes() == path.read_bytes()
    assert photos(other).keys() == first.keys()
    changed = [name for name, (label, path) in photos(other).items()
               if path.read_bytes() != first[name][1].read_bytes()]
    assert len(changed) == N_PHOTOS


def test_good_photos_are_sharper(demo_dir):
    good = [sharpness(p) for label, p in photos(demo_dir).values() if label == "good"]
    bad = sorted(sharpness(p) for label, p in photos(demo_dir).values() if label == "bad")
    assert np.mean(good) > np.mean(bad)
    # the blurred bad photos are far softer than any good one
    assert bad[1] < min(good) / 4


def test_good_photos_are_well_exposed_and_colourful(demo_dir):
    good, bad = [], []
    for label, path in photos(demo_dir).values():
        hsv = np.asarray(load(path).convert("HSV"), dtype=float)
        stats = (gray(path).mean(), hsv[..., 1].mean())
        (good if label == "good" else bad).append(stats)
    good, bad = np.array(good), np.array(bad)
    assert np.all((good[:, 0] > 60) & (good[:, 0] < 190))
    assert np.any((bad[:, 0] < 50) | (bad[:, 0] > 200))  # too dark or washed out
    assert good[:, 1].mean() > bad[:, 1].mean()
    assert bad[:, 1].min() < good[:, 1].min() / 2  # dull colour


def test_progress_bar(tmp_path, capsys):
    make_demo_photos(tmp_path / "quiet", n_photos=2, size=(64, 64))
    assert "demo photos" not in capsys.readouterr().err
    make_demo_photos(tmp_path / "bar", n_photos=3, size=(64, 64), progress=True)
    assert "demo photos" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, message", [
    ({"n_photos": 1}, "n_photos"),
    ({"n_photos": 2.5}, "n_photos"),
    ({"size": (63, 64)}, "64x64"),
    ({"size": (64, 128)}, "landscape"),
    ({"size": 64}, "size"),
    ({"size": (128.5, 96)}, "size"),
    ({"size": (128, 96, 3)}, "size"),
    ({"good_share": 0}, "good_share"),
    ({"good_share": 1.0}, "good_share"),
    ({"seed": -1}, "seed"),
])
def test_invalid_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_demo_photos(tmp_path, **kwargs)
    assert not (tmp_path / "good").exists()
