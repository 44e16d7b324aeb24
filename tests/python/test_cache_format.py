"""Cache format version 2: declared views found by one rule, checksums of every cached file,
lossless file names, and the in-place upgrade of a version-1 cache (a fixture written by
pyphotoq 0.1.0, the release of format 1)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import pyphotoq
from pyphotoq.data.cache_format import ENCODINGS, FORMAT_VERSION, view_file
from pyphotoq.core.files import decode_path, encode_path

FIXTURE = Path(__file__).parent / "fixtures" / "v1"
FIXTURE_PREFIX = "/tmp/PHOTOQ_V1_FIXTURE"


def build(photos, cache, **options):
    return pyphotoq.build_cache(photos, cache, **{"progress": False, **options})


@pytest.fixture
def v1_cache(tmp_path):
    """The version-1 fixture copied to tmp_path: (photos, cache), its tables naming the copy."""
    shutil.copytree(FIXTURE / "photos", tmp_path / "photos")
    shutil.copytree(FIXTURE / "cache", tmp_path / "cache")
    for table in (tmp_path / "cache").glob("*.csv"):
        table.write_text(table.read_text().replace(FIXTURE_PREFIX, str(tmp_path)))
    # the photos keep the time stamps the index knows, so a rebuild recognises them unread
    sources = pd.read_csv(tmp_path / "cache" / "sources.csv", dtype={"mtime_ns": "int64"})
    for row in sources.itertuples():
        os.utime(row.path, ns=(row.mtime_ns, row.mtime_ns))
    return tmp_path / "photos", tmp_path / "cache"


def overview_files(cache):
    return {p.relative_to(cache).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(Path(cache, "views", "overview").rglob("*.jpg"))}


def test_one_rule_finds_every_view_file(make_photos, tmp_path):
    cache = build(make_photos(n=6), tmp_path / "cache", width=96, detail=False)
    assert cache.views == ["overview"] and cache.version == FORMAT_VERSION
    spec = cache.info["views"]["overview"]
    assert spec["make"] == "resize" and spec["encoding"] in ENCODINGS
    for digest in cache.manifest["hash"]:
        path = cache.view_path(digest, "overview")
        assert path == tmp_path / "cache" / "views" / "overview" / digest[:2] / f"{digest}.jpg"
        assert path.is_file()
        assert view_file(digest, "overview", cache.info) == f"views/overview/{digest[:2]}/{digest}.jpg"
    with pytest.raises(pyphotoq.PhotoqError, match="no view 'detail'"):
        cache.view_path(cache.manifest["hash"][0], "detail")
    with pytest.raises(pyphotoq.PhotoqError, match="hash"):
        cache.view_path("../../etc/passwd")


def test_v1_cache_opens_as_it_is(v1_cache):
    photos, folder = v1_cache
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    cache = pyphotoq.open_cache(folder)
    assert cache.version == 1 and cache.views == ["overview"] and cache.width == 64
    assert len(cache.manifest) == 7
    assert all((folder / c).is_file() for c in cache.manifest["cached"])
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before  # read only


def test_v1_cache_is_upgraded_in_place_without_redoing_the_overview(v1_cache):
    photos, folder = v1_cache
    manifest_v1 = pd.read_csv(folder / "manifest.csv", dtype=str, keep_default_na=False)
    images = overview_files(folder)
    cache = build(photos, folder, width=64)
    assert cache.summary.upgraded_from == 1 and cache.summary.added == 0
    assert len(cache.summary.repaired) == 0
    info = json.loads((folder / "cache.json").read_text())
    assert info["version"] == 2 and info["views"]["overview"]["make"] == "resize"
    assert info["id"] == "e8e9f69d0a0d46a883b8e842fb4441a6"  # runs stay tied to it
    assert overview_files(folder) == images  # not one overview written again
    manifest = pd.read_csv(folder / "manifest.csv", dtype=str, keep_default_na=False)
    assert "cached" not in manifest.columns
    v1_columns = [c for c in manifest_v1.columns if c != "cached"]
    pd.testing.assert_frame_equal(manifest[v1_columns], manifest_v1[v1_columns])  # same splits too
    files = pd.read_csv(folder / "files.csv", dtype=str)
    assert sorted(files.loc[files["view"] == "overview", "hash"]) == sorted(manifest["hash"])
    # the detail view is declared and made for every photo, as the one missing view
    assert info["views"]["detail"]["make"] == "patches" and cache.views == ["overview", "detail"]
    assert sorted(files.loc[files["view"] == "detail", "hash"]) == sorted(manifest["hash"])
    assert all(cache.view_path(h, "detail").is_file() for h in manifest["hash"])
    # the next build finds nothing to do
    again = build(photos, folder, width=64)
    assert again.summary.upgraded_from is None and again.summary.added == 0


UPGRADE_SCRIPT = """
import sys, pyphotoq, pyphotoq.data.cache_builder as c
original = c._Builder._record_unknown
def slow(self, *args):
    import time; time.sleep(0.3)
    return original(self, *args)
c._Builder._record_unknown = slow
pyphotoq.build_cache(sys.argv[1], sys.argv[2], width=64, workers=1, progress=False)
"""


def test_killed_upgrade_resumes_to_the_same_manifest(v1_cache, tmp_path):
    photos, folder = v1_cache
    reference = tmp_path / "reference"
    shutil.copytree(folder, reference)
    build(photos, reference, width=64)

    child = subprocess.Popen([sys.executable, "-c", UPGRADE_SCRIPT, str(photos), str(folder)])
    time.sleep(1.0)  # a few files checked, the upgrade not done
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert json.loads((folder / "cache.json").read_text())["version"] == 1  # written last

    resumed = build(photos, folder, width=64)
    assert resumed.summary.upgraded_from == 1
    for table in ("manifest.csv", "skipped.csv", "conflicts.csv"):
        assert (folder / table).read_bytes() == (reference / table).read_bytes(), table
    files = pd.read_csv(folder / "files.csv").drop(columns="mtime_ns")
    pd.testing.assert_frame_equal(files, pd.read_csv(reference / "files.csv").drop(columns="mtime_ns"))


def test_a_declared_view_is_made_for_every_photo(make_photos, tmp_path, monkeypatch):
    """Adding a view is declaring it (and registering its maker): no change to the format."""
    from pyphotoq.photos import view_kinds

    photos = make_photos(n=6)
    folder = tmp_path / "cache"
    build(photos, folder, width=96)
    overview = overview_files(folder)

    def grey(data, spec, opened=None):
        return pyphotoq.photos.images.open_photo(data, int(spec["width"])).image.convert("L").convert("RGB")

    monkeypatch.setitem(view_kinds.VIEWS, "grey", view_kinds.ViewKind(
        name="grey", make="grey", maker=grey, input="grey", statistics_layer="grey_statistics"))
    info = json.loads((folder / "cache.json").read_text())
    info["views"]["grey"] = {"make": "grey", "width": 112, "encoding": "png"}
    (folder / "cache.json").write_text(json.dumps(info))
    cache = build(photos, folder, width=96)
    assert cache.views == ["overview", "detail", "grey"] and len(cache.summary.repaired) == 0
    assert {k: v for k, v in overview_files(folder).items()} == overview
    for digest in cache.manifest["hash"]:
        assert cache.view_path(digest, "grey").suffix == ".png" and cache.view_path(digest, "grey").is_file()
    assert set(pd.read_csv(folder / "files.csv")["view"]) == {"overview", "detail", "grey"}


@pytest.mark.parametrize("name", [
    b"plain.jpg", "caf\u00e9 100%.jpg".encode(), b"\xfftest.jpg", b"tab\there\nnewline.jpg",
])
def test_file_names_are_stored_losslessly(name):
    path = os.fsdecode(b"/photos/good/" + name)
    text = encode_path(path)
    text.encode("utf-8")  # always valid UTF-8, one line
    assert "\n" not in text and decode_path(text) == path
    if name == b"plain.jpg":
        assert text == path
