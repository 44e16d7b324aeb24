"""Tests of pyphotoq.data.cache: the shared on-disk cache, its format, incremental builds,
hostile files, conflicts, a killed build and two builds at once."""

import csv
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

import pyphotoq
from conftest import jpeg_variant, png_bomb, png_bytes
from pyphotoq.data.cache_format import FILES_COLUMNS, MANIFEST_COLUMNS, MANIFEST_V1_COLUMNS
from pyphotoq.core.errors import CacheBusy
from pyphotoq.photos.sources import walk_images

NOBODY = 65534


def build(photos, cache, **options):
    options = {"progress": False, **options}
    return pyphotoq.build_cache(photos, cache, **options)


def read_csv_rows(path):
    """A cache table read with the csv module only: (header, list of dicts)."""
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with open(path, newline="", encoding="utf-8") as handle:
        return header, list(csv.DictReader(handle))


def cached_files(cache, view="overview"):
    """The cached files of one view (None: every view), with their time stamps."""
    folder = Path(cache) / "views" / view if view else Path(cache)
    return {p.relative_to(cache).as_posix(): p.stat().st_mtime_ns
            for p in sorted(folder.rglob("*.jpg"))}


def source_photos(folder):
    return sorted(Path(folder).glob("*/*.jpg"))


# ----------------------------------------------------------------------------------- format

def test_format_is_readable_without_pandas(make_photos, tmp_path):
    photos = make_photos(n=6)
    cache = build(photos, tmp_path / "cache")  # default width: 480

    info = json.loads((tmp_path / "cache" / "cache.json").read_text())
    assert info["format"] == "photoq-cache" and info["version"] == 2
    assert isinstance(info["id"], str) and len(info["id"]) >= 16
    assert info["views"] == {
        "overview": {"make": "resize", "width": 480, "encoding": "jpeg", "quality": 95},
        "detail": {"make": "patches", "patches": 6, "size": 192, "textured": 4, "align": 16,
                   "max_pixels": 40_000_000, "encoding": "jpeg", "quality": 95, "subsampling": "4:4:4"},
    }
    assert cache.id == info["id"] and cache.width == 480

    header, rows = read_csv_rows(tmp_path / "cache" / "manifest.csv")
    assert header == MANIFEST_COLUMNS
    assert len(rows) == len(cache.manifest) == 6
    assert {r["label"] for r in rows} == {"good", "bad"}
    heights = set()
    for row in rows:
        source = Path(row["original"])
        assert source.is_absolute() and source.parent.parent == photos.resolve()
        assert source.parent.name == row["label"]
        assert row["hash"] == hashlib.sha256(source.read_bytes()).hexdigest()
        # the one rule: views/<view>/<hh>/<hash>.<extension of the view's encoding>
        cached = f"views/overview/{row['hash'][:2]}/{row['hash']}.jpg"
        assert row["split"] in ("train", "validation", "test")
        with Image.open(tmp_path / "cache" / cached) as img:
            assert img.format == "JPEG" and img.mode == "RGB"
            assert img.size == (int(row["width"]), int(row["height"]))
        assert int(row["width"]) == 480
        assert int(row["height"]) == round(480 * int(row["source_height"]) / int(row["source_width"]))
        assert row["taken"].startswith("2026-07-01 ")
        heights.add(int(row["height"]))
    assert heights == {360, 640}  # landscape 128x96 and portrait 96x128 (some via EXIF)

    for table in ("skipped.csv", "conflicts.csv"):
        assert (tmp_path / "cache" / table).exists()
    opened = pyphotoq.open_cache(tmp_path / "cache")
    pd.testing.assert_frame_equal(opened.manifest, cache.manifest)
    # in memory, `cached` (the overview file) is derived from the hash by the rule
    assert list(opened.manifest.columns) == MANIFEST_V1_COLUMNS
    assert list(opened.manifest["cached"]) == [
        f"views/overview/{h[:2]}/{h}.jpg" for h in opened.manifest["hash"]]
    assert opened.manifest["width"].dtype.kind == "i"
    # files.csv: one row per cached file, with its size and SHA-256
    header, files = read_csv_rows(tmp_path / "cache" / "files.csv")
    assert header[:4] == FILES_COLUMNS and len(files) == 12
    assert sorted(r["view"] for r in files) == ["detail"] * 6 + ["overview"] * 6
    for row in files:
        data = (tmp_path / "cache" / f"views/{row['view']}/{row['hash'][:2]}/{row['hash']}.jpg").read_bytes()
        assert int(row["size"]) == len(data) and row["sha256"] == hashlib.sha256(data).hexdigest()
    # the detail view: the patches one under the other, 192 x (6 x 192) px
    with Image.open(tmp_path / "cache" / f"views/detail/{rows[0]['hash'][:2]}/{rows[0]['hash']}.jpg") as img:
        assert img.format == "JPEG" and img.size == (192, 6 * 192)


def test_chosen_width_and_a_different_width_later(make_photos, tmp_path):
    photos = make_photos(n=6)
    cache = build(photos, tmp_path / "cache", width=96)
    assert set(cache.manifest["width"]) == {96} and set(cache.manifest["height"]) == {72, 128}
    for row in cache.manifest.itertuples():
        with Image.open(cache.image_path(row.cached)) as img:
            assert img.size == (96, row.height)
    with pytest.raises(pyphotoq.PhotoqError, match="96 px"):
        build(photos, tmp_path / "cache", width=128)


def test_open_cache_of_a_folder_without_one(tmp_path):
    with pytest.raises(pyphotoq.PhotoqError, match=str(tmp_path)):
        pyphotoq.open_cache(tmp_path)


# ------------------------------------------------------------------------------ bad input

def test_hostile_files_are_skipped_with_a_reason(make_photos, tmp_path):
    photos = make_photos(n=8)
    good, bad = photos / "good", photos / "bad"
    sample = source_photos(photos)[0].read_bytes()
    (good / "zero.jpg").write_bytes(b"")
    (good / "truncated.jpg").write_bytes(sample[: len(sample) // 2])
    (bad / "notes.jpg").write_text("this is a text file\n")
    (bad / "bomb.png").write_bytes(png_bomb(30_000, 30_000))
    (good / "dot.png").write_bytes(png_bytes((1, 1)))
    Image.new("RGB", (4000, 300), (120, 140, 160)).save(good / "panorama.jpg")
    (good / "IMG_0001.xmp").write_text("<x:xmpmeta/>")
    (good / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (bad / "Thumbs.db").write_bytes(b"junk")
    (good / "loop").symlink_to(good, target_is_directory=True)  # a symlink loop
    (good / "self.jpg").symlink_to("self.jpg")  # a link to itself

    cache = build(photos, tmp_path / "cache")
    assert len(cache.manifest) == 8

    expected = {
        "zero.jpg": "empty file", "truncated.jpg": "damaged", "notes.jpg": "not an image",
        "bomb.png": "decompression bomb", "dot.png": "too small: 1x1",
        "panorama.jpg": "4000x300 px would be 480x36", "self.jpg": "cannot read",
    }
    reasons = {Path(p).name: r for p, r in zip(cache.skipped["path"], cache.skipped["reason"])}
    assert set(reasons) == set(expected)
    for name, reason in expected.items():
        assert reason in reasons[name], (name, reasons[name])
    assert all(Path(p).is_absolute() for p in cache.skipped["path"])
    assert cache.summary.skipped["path"].tolist() == cache.skipped["path"].tolist()
    assert "7 files skipped" in str(cache.summary) and "bomb.png" in str(cache.summary)

    header, rows = read_csv_rows(tmp_path / "cache" / "skipped.csv")
    assert header[:3] == ["path", "label", "reason"]
    assert {Path(r["path"]).name: r["reason"] for r in rows} == reasons
    assert {Path(r["path"]).name: r["label"] for r in rows}["bomb.png"] == "bad"

    everything = " ".join(
        (tmp_path / "cache" / name).read_text() for name in ("manifest.csv", "skipped.csv", "sources.csv")
    )
    for sidecar in ("IMG_0001.xmp", ".DS_Store", "Thumbs.db", "/loop/"):
        assert sidecar not in everything
    assert len(cached_files(tmp_path / "cache")) == 8


def test_symlink_loops_do_not_hang_the_scan(tmp_path):
    inner = tmp_path / "good" / "a" / "b"
    inner.mkdir(parents=True)
    (inner / "photo.jpg").write_bytes(png_bytes())
    (inner / "up").symlink_to(tmp_path / "good", target_is_directory=True)
    (tmp_path / "good" / "a" / "again").symlink_to(inner, target_is_directory=True)
    (tmp_path / "good" / "x").symlink_to(tmp_path / "good" / "y")
    (tmp_path / "good" / "y").symlink_to(tmp_path / "good" / "x")
    found = []
    scan = threading.Thread(target=lambda: found.extend(walk_images(tmp_path / "good")), daemon=True)
    scan.start()
    scan.join(timeout=20)
    assert not scan.is_alive(), "the scan hangs on a symlink loop"
    assert [Path(p).name for p in found] == ["photo.jpg"]


def as_nobody(function):
    """Run function() in a forked child that has dropped to uid/gid 65534; return its result.

    Tests run as root in CI, where chmod 000 does not stop reads; without root, run it here.
    """
    if os.geteuid() != 0:
        return function()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            message = json.dumps({"result": function()})
        except BaseException as err:  # noqa: BLE001 - report anything to the parent
            message = json.dumps({"error": f"{type(err).__name__}: {err}"})
        try:
            with os.fdopen(write_end, "w") as pipe:
                pipe.write(message)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        message = pipe.read()
    os.waitpid(pid, 0)
    reply = json.loads(message)
    assert "error" not in reply, reply.get("error")
    return reply["result"]


def test_unreadable_file_is_skipped_then_picked_up_when_readable():
    base = Path(tempfile.mkdtemp(prefix="photoq-perm-"))
    try:
        os.chmod(base, 0o777)
        photos = pyphotoq.make_demo_photos(base / "photos", n_photos=5, size=(128, 96), seed=2)
        locked = source_photos(photos)[0]
        locked.chmod(0o000)
        cache = base / "cache"

        def build_and_report():
            result = build(photos, cache, width=96, workers=1)
            return {"uid": os.getuid(), "photos": len(result.manifest),
                    "skipped": result.skipped[["path", "reason"]].values.tolist()}

        # The child may not read root's site-packages: let the parent import what a build needs.
        for _ in range(2):
            build(photos, base / "warm-up", width=96, workers=1)
        first = as_nobody(build_and_report)
        if os.geteuid() == 0:
            assert first["uid"] == NOBODY
        assert first["photos"] == 4
        assert first["skipped"] == [[str(locked.resolve()), "cannot read: permission denied"]]

        locked.chmod(0o644)  # the photographer fixes it; the file's mtime does not change
        second = as_nobody(build_and_report)
        assert second["photos"] == 5 and second["skipped"] == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_missing_folder(tmp_path):
    missing = tmp_path / "no such trip"
    with pytest.raises(pyphotoq.PhotoqError, match="not found") as err:
        build(missing, tmp_path / "cache")
    assert str(missing) in str(err.value)


def test_folder_without_class_folders(tmp_path):
    (tmp_path / "trip").mkdir()
    (tmp_path / "trip" / "a.png").write_bytes(png_bytes())
    with pytest.raises(pyphotoq.PhotoqError, match="good/") as err:
        build(tmp_path / "trip", tmp_path / "cache")
    assert str(tmp_path / "trip") in str(err.value) and "bad/" in str(err.value)


def test_class_folders_without_photos(tmp_path):
    for label in ("good", "bad"):
        (tmp_path / "trip" / label).mkdir(parents=True)
        (tmp_path / "trip" / label / "notes.xmp").write_text("x")
    with pytest.raises(pyphotoq.PhotoqError, match="No photos found") as err:
        build(tmp_path / "trip", tmp_path / "cache")
    assert str(tmp_path / "trip") in str(err.value)


def test_folder_with_no_usable_photos(tmp_path):
    for label in ("good", "bad"):
        (tmp_path / "trip" / label).mkdir(parents=True)
        (tmp_path / "trip" / label / "empty.jpg").write_bytes(b"")
    with pytest.raises(pyphotoq.PhotoqError, match="No usable photos") as err:
        build(tmp_path / "trip", tmp_path / "cache")
    assert str(tmp_path / "trip") in str(err.value) and "empty file" in str(err.value)


def test_a_photo_instead_of_a_folder(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(png_bytes())
    with pytest.raises(pyphotoq.PhotoqError, match="got a file") as err:
        build(photo, tmp_path / "cache")
    assert str(photo) in str(err.value)


# ---------------------------------------------------------------------------- incremental

def test_second_build_does_no_image_work(make_photos, tmp_path):
    photos = make_photos(n=8)
    first = build(photos, tmp_path / "cache", width=96)
    files = cached_files(tmp_path / "cache")
    assert first.summary.added == 8 and first.summary.reused == 0 and len(files) == 8

    # Spoil one photo without changing its size or mtime: a build that read it would skip it.
    victim = source_photos(photos)[0]
    stat = victim.stat()
    victim.write_bytes(b"\0" * stat.st_size)
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    tables = ("manifest.csv", "skipped.csv", "conflicts.csv", "sources.csv", "cache.json")
    written = {name: (tmp_path / "cache" / name).stat().st_mtime_ns for name in tables}

    second = build(photos, tmp_path / "cache", width=96)
    assert (second.summary.added, second.summary.reused, second.summary.removed) == (0, 8, 0)
    assert second.skipped.empty
    pd.testing.assert_frame_equal(second.manifest, first.manifest)
    assert cached_files(tmp_path / "cache") == files
    assert second.id == first.id
    # nothing changed, so nothing is rewritten (file-syncing tools see no change)
    assert {name: (tmp_path / "cache" / name).stat().st_mtime_ns for name in tables} == written


def test_new_photos_are_added_and_old_ones_keep_their_split(make_photos, tmp_path):
    photos = make_photos(n=10, seed=1)
    first = build(photos, tmp_path / "cache", width=96)
    files = cached_files(tmp_path / "cache")

    more = make_photos(name="more", n=6, seed=2)
    for path in source_photos(more):
        shutil.copy2(path, photos / path.parent.name / f"NEW_{path.name}")
    second = build(photos, tmp_path / "cache", width=96)
    assert (second.summary.added, second.summary.reused, second.summary.removed) == (6, 10, 0)
    assert len(second.manifest) == 16
    old = second.manifest[second.manifest["hash"].isin(first.manifest["hash"])]
    pd.testing.assert_frame_equal(old.reset_index(drop=True), first.manifest)
    after = cached_files(tmp_path / "cache")
    assert {k: after[k] for k in files} == files  # old images untouched
    assert len(after) == 16


def test_vanished_photo_is_dropped_with_its_cached_image(make_photos, tmp_path):
    photos = make_photos(n=6)
    first = build(photos, tmp_path / "cache", width=96)
    gone = first.manifest.iloc[2]
    Path(gone["original"]).unlink()

    second = build(photos, tmp_path / "cache", width=96)
    assert (second.summary.added, second.summary.reused, second.summary.removed) == (0, 5, 1)
    assert "1 removed" in str(second.summary)
    assert gone["hash"] not in set(second.manifest["hash"])
    assert not (tmp_path / "cache" / gone["cached"]).exists()
    assert len(cached_files(tmp_path / "cache")) == 5
    _, rows = read_csv_rows(tmp_path / "cache" / "manifest.csv")
    assert gone["original"] not in {r["original"] for r in rows}


def test_relabelled_photo_changes_label(make_photos, tmp_path):
    photos = make_photos(n=6)
    first = build(photos, tmp_path / "cache", width=96)
    moved = first.manifest[first.manifest["label"] == "bad"].iloc[0]
    target = photos / "good" / Path(moved["original"]).name
    Path(moved["original"]).rename(target)
    second = build(photos, tmp_path / "cache", width=96)
    row = second.manifest.set_index("hash").loc[moved["hash"]]
    assert row["label"] == "good" and row["original"] == str(target.resolve())
    assert row["split"] == moved["split"]
    assert (second.summary.added, second.summary.removed) == (0, 0)


# ------------------------------------------------------------------------------ conflicts

def test_same_content_twice(make_photos, tmp_path):
    photos = make_photos(n=6)
    bad_photo = sorted((photos / "bad").glob("*.jpg"))[0]
    good_photo = sorted((photos / "good").glob("*.jpg"))[0]
    # the bad photo also sorted as good (its bad path sorts first, yet 'good' must win)
    shutil.copy2(bad_photo, photos / "good" / "zz_also_good.jpg")
    # a good photo twice under good
    (photos / "good" / "sub").mkdir()
    shutil.copy2(good_photo, photos / "good" / "sub" / "copy.jpg")

    cache = build(photos, tmp_path / "cache", width=96)
    assert len(cache.manifest) == 6 and cache.manifest["hash"].is_unique
    conflicted = cache.manifest.set_index("hash").loc[
        hashlib.sha256(bad_photo.read_bytes()).hexdigest()]
    assert conflicted["label"] == "good"
    assert conflicted["original"] == str((photos / "good" / "zz_also_good.jpg").resolve())

    header, rows = read_csv_rows(tmp_path / "cache" / "conflicts.csv")
    assert header == ["hash", "kind", "kept_label", "kept_path", "other_label", "other_path"]
    by_kind = {r["kind"]: r for r in rows}
    assert len(rows) == 2 and set(by_kind) == {"label conflict", "duplicate"}
    assert by_kind["label conflict"]["kept_label"] == "good"
    assert by_kind["label conflict"]["other_path"] == str(bad_photo.resolve())
    assert by_kind["duplicate"]["kept_label"] == by_kind["duplicate"]["other_label"] == "good"
    assert {by_kind["duplicate"]["kept_path"], by_kind["duplicate"]["other_path"]} == {
        str(good_photo.resolve()), str((photos / "good" / "sub" / "copy.jpg").resolve())}
    assert len(cache.summary.conflicts) == 2 and "label conflict" in str(cache.summary)
    assert len(cached_files(tmp_path / "cache")) == 6


# --------------------------------------------------------------------------- killed build

BUILD_SCRIPT = """
import sys, pyphotoq
pyphotoq.build_cache(sys.argv[1], sys.argv[2], workers=1, progress=False)
"""


def many_photos(folder, make_photos, count=150):
    """`count` distinct 1200x900 JPEGs (two demo scenes, re-tagged)."""
    scenes = source_photos(make_photos(name="scenes", n=2, size=(1200, 900), seed=5))
    for label in ("good", "bad"):
        (folder / label).mkdir(parents=True)
    for i in range(count):
        data = jpeg_variant(scenes[i % 2].read_bytes(), f"copy {i}")
        (folder / ("good" if i % 3 else "bad") / f"IMG_{i:04d}.jpg").write_bytes(data)
    return folder


def test_killed_build_resumes_to_the_same_manifest(make_photos, tmp_path):
    photos = many_photos(tmp_path / "photos", make_photos)
    reference = build(photos, tmp_path / "reference")
    cache = tmp_path / "cache"
    views = cache / "views"

    child = subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, str(photos), str(cache)])
    try:
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            if views.exists() and sum(1 for _ in views.rglob("*.jpg")) >= 10:
                break
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    assert len(list(views.rglob("*.jpg"))) >= 10

    # cache.json is written before any image, so the killed cache opens (manifest maybe empty)
    opened = pyphotoq.open_cache(cache)
    assert list(opened.manifest.columns) == MANIFEST_V1_COLUMNS and len(opened.manifest) < 150

    resumed = build(photos, cache)
    assert resumed.summary.photos == 150
    for table in ("manifest.csv", "skipped.csv", "conflicts.csv"):
        assert (cache / table).read_bytes() == (tmp_path / "reference" / table).read_bytes(), table
    assert set(cached_files(cache, None)) == set(cached_files(tmp_path / "reference", None))
    for name in cached_files(cache, None):  # no half-written image survived
        assert (cache / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
    assert not list(cache.rglob("*.tmp"))
    assert len(reference.manifest) == 150


# --------------------------------------------------------------------- two builds at once

def test_second_build_stops_or_waits_while_the_cache_is_locked(make_photos, tmp_path):
    photos = make_photos(n=4)
    cache = tmp_path / "cache"
    first = build(photos, cache, width=96)
    manifest = (cache / "manifest.csv").read_bytes()

    with open(cache / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as another build would hold it
        with pytest.raises(CacheBusy, match="Another build") as err:
            build(photos, cache, width=96)
        assert str(cache.resolve()) in str(err.value) and "wait" in str(err.value)
        assert isinstance(err.value, pyphotoq.PhotoqError)
        assert (cache / "manifest.csv").read_bytes() == manifest

        released = threading.Timer(1.0, fcntl.flock, (lock, fcntl.LOCK_UN))
        released.start()
        started = time.monotonic()
        second = build(photos, cache, width=96, wait=30)
        waited = time.monotonic() - started
        released.join()
    assert waited >= 0.9
    pd.testing.assert_frame_equal(second.manifest, first.manifest)


def test_two_real_builds_at_once(make_photos, tmp_path):
    photos = many_photos(tmp_path / "photos", make_photos, count=60)
    cache = tmp_path / "cache"
    child = subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, str(photos), str(cache)])
    try:
        deadline = time.monotonic() + 60
        while not (cache / "cache.json").exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        with pytest.raises(CacheBusy):
            build(photos, cache)
        waited = build(photos, cache, wait=120)  # finishes after the other build
    finally:
        child.wait(timeout=120)
    assert child.returncode == 0
    assert waited.summary.photos == 60 and waited.summary.added == 0
    assert pyphotoq.open_cache(cache).manifest.equals(waited.manifest)


# ------------------------------------------------------------------------ labels from tables

def test_labels_from_a_csv_of_path_and_label(make_photos, tmp_path):
    photos = make_photos(n=6)
    files = source_photos(photos)
    # relative to the CSV's folder; the CSV, not the folder name, decides the label
    table = tmp_path / "labels.csv"
    lines = ["path,label"] + [
        f"{p.relative_to(tmp_path).as_posix()},{'good' if i % 2 else 'bad'}" for i, p in enumerate(files)
    ]
    (photos / "good" / "notes.xmp").write_text("x")
    lines.append(f"{(photos / 'good' / 'notes.xmp').as_posix()},good")  # not an image: ignored
    table.write_text("\n".join(lines) + "\n")
    cache = build(table, tmp_path / "cache", width=96)
    expected = {str(p.resolve()): ("good" if i % 2 else "bad") for i, p in enumerate(files)}
    assert dict(zip(cache.manifest["original"], cache.manifest["label"])) == expected


def test_changed_label_in_the_csv_needs_no_image_work(make_photos, tmp_path):
    photos = make_photos(n=6)
    files = source_photos(photos)
    flipped = sorted((photos / "bad").glob("*.jpg"))[0]
    table = tmp_path / "labels.csv"
    table.write_text("path,label\n" + "".join(f"{p},{p.parent.name}\n" for p in files))
    first = build(table, tmp_path / "cache", width=96)
    assert dict(zip(first.manifest["original"], first.manifest["label"]))[str(flipped)] == "bad"

    table.write_text("path,label\n" + "".join(
        f"{p},{'good' if p == flipped else p.parent.name}\n" for p in files))
    stat = flipped.stat()  # spoil it, same size and mtime: a build that read it would skip it
    flipped.write_bytes(b"\0" * stat.st_size)
    os.utime(flipped, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = build(table, tmp_path / "cache", width=96)
    assert (second.summary.added, second.summary.reused) == (0, 6) and second.skipped.empty
    labels = dict(zip(second.manifest["original"], second.manifest["label"]))
    assert labels == {str(p): ("good" if p == flipped else p.parent.name) for p in files}


def test_labels_from_the_original_workflow_table(make_photos, tmp_path):
    photos = make_photos(n=6)
    files = source_photos(photos)
    table = pd.DataFrame({
        "original": [str(p) for p in files],
        "resized": [f"resized/{p.name}" for p in files],
        "width": 480, "height": 360,
        "hash": ["0" * 32] * len(files),
        "label": [p.parent.name for p in files],
    })
    table.to_csv(tmp_path / "labels.csv", index=False)
    cache = build(tmp_path / "labels.csv", tmp_path / "cache", width=96)
    assert dict(zip(cache.manifest["original"], cache.manifest["label"])) == {
        str(p): p.parent.name for p in files}


def test_labels_table_mistakes(make_photos, tmp_path):
    photos = make_photos(n=4)
    table = tmp_path / "labels.csv"
    table.write_text(f"file,label\n{source_photos(photos)[0]},good\n")
    with pytest.raises(pyphotoq.PhotoqError, match="'path'") as err:
        build(table, tmp_path / "cache")
    assert str(table) in str(err.value)
    table.write_text(f"path,label\n{source_photos(photos)[0]},great\n")
    with pytest.raises(pyphotoq.PhotoqError, match="great"):
        build(table, tmp_path / "cache")


def test_positive_class_is_configurable(tmp_path, make_photos):
    photos = make_photos(n=6)
    (photos / "good").rename(photos / "keep")
    (photos / "bad").rename(photos / "reject")
    cache = build(photos, tmp_path / "cache", width=96, labels={"positive": "keep", "negative": "reject"})
    assert set(cache.manifest["label"]) == {"keep", "reject"} and cache.positive == "keep"
    with pytest.raises(pyphotoq.PhotoqError, match="classes"):
        build(photos, tmp_path / "cache", width=96, labels=pyphotoq.Labelling(positive="reject", negative="keep"))
