"""Hardening: nothing lost, nothing followed outside its folder, one clear line for every
mistake. One test (or more) per row of the issue's table, and a hostile-input corpus made here:
broken, odd and huge files, symlink tricks, damaged caches and run folders."""

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pyphotoq
from conftest import png_bomb
from pyphotoq.workflow.scoring import check_outputs, copy_keepers

CLI = [sys.executable, "-m", "pyphotoq"]


def build(photos, cache, **options):
    return pyphotoq.build_cache(photos, cache, **{"progress": False, **options})


def cli(*args, env=None):
    environment = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    environment.update(env or {})
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=environment,
                          errors="replace")


def assert_one_line_exit_2(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def run_copy(trained_run, tmp_path):
    """A copy of the session's trained run (40 batches, checkpoints at 20 and 40) to damage."""
    folder = tmp_path / "run"
    shutil.copytree(trained_run.path, folder)
    return folder


# ---- row 1: a cache folder inside the photo tree is never read as photos ---------------------

def test_row01_cache_inside_good_is_not_ingested(make_photos, tmp_path):
    photos = make_photos(n=12)
    inside = photos / "good" / "mycache"
    counts = [len(build(photos, inside, width=96).manifest) for _ in range(3)]
    assert counts == [12, 12, 12]  # not 12 -> 24 -> 36
    # and a run folder inside the photo tree is skipped the same way
    (photos / "bad" / "myrun").mkdir()
    (photos / "bad" / "myrun" / "run.json").write_text('{"format": "photoq-run"}')
    shutil.copy(next((photos / "bad").glob("*.jpg")), photos / "bad" / "myrun" / "history.png")
    assert len(build(photos, inside, width=96).manifest) == 12
    # a cache folder that holds the photos themselves is refused before anything is written
    with pytest.raises(pyphotoq.PhotoqError, match="holds photos to cache"):
        build(photos, photos / "good", width=96)
    assert not (photos / "good" / "cache.json").exists()


def test_row01_cli(make_photos, tmp_path):
    photos = make_photos(n=12)
    for _ in range(2):
        result = cli("cache", photos, photos / "good" / "mycache", "--width", 96, "--no-progress")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("12 photos in the cache")


# ---- row 2: outputs that would land on an original are refused before anything is written ----

def test_row02_score_out_on_an_original_is_refused(trained_run, demo_photos, tmp_path):
    photos = tmp_path / "photos"
    shutil.copytree(demo_photos, photos)
    victim = sorted((photos / "good").glob("*.jpg"))[0]
    before = victim.read_bytes()
    result = cli("score", trained_run.path, photos, "--out", victim, "--keepers", tmp_path / "keep")
    assert_one_line_exit_2(result, "Refused output", victim.name)
    assert victim.read_bytes() == before and not (tmp_path / "keep").exists()
    # through a symlink to the photo, and a keepers folder inside the photo tree
    (tmp_path / "link.csv").symlink_to(victim)
    with pytest.raises(pyphotoq.PhotoqError, match="one of the photos"):
        check_outputs(photos, out=tmp_path / "link.csv")
    with pytest.raises(pyphotoq.PhotoqError, match="inside the photos being scored"):
        check_outputs(photos, keepers=photos / "good" / "keepers")
    assert victim.read_bytes() == before


# ---- row 3: damaged cached files are detected, made again and reported ------------------------

def test_row03_missing_truncated_or_damaged_cached_files_are_repaired(make_photos, tmp_path):
    photos = make_photos(n=12)
    cache = build(photos, tmp_path / "cache", width=96)
    files = [cache.view_path(h) for h in cache.manifest["hash"]]
    originals = {f: f.read_bytes() for f in files}
    for f in files[:5]:
        f.unlink()
    files[5].write_bytes(originals[files[5]][:200])  # truncated
    damaged = bytearray(originals[files[6]])
    damaged[300] ^= 0xFF  # same size, one byte flipped (a new time stamp)
    files[6].write_bytes(bytes(damaged))
    rebuilt = build(photos, tmp_path / "cache", width=96)
    reasons = dict(zip(rebuilt.summary.repaired["file"], rebuilt.summary.repaired["reason"]))
    assert len(reasons) == 7
    assert sum(r == "missing" for r in reasons.values()) == 5
    assert any(r.startswith("truncated") for r in reasons.values())
    assert any("checksum" in r for r in reasons.values())
    assert "were made again" in str(rebuilt.summary)
    assert {f: f.read_bytes() for f in files} == originals  # every file whole again
    assert len(build(photos, tmp_path / "cache", width=96).summary.repaired) == 0


def test_row03_full_verification_finds_damage_behind_an_unchanged_time_stamp(make_photos, tmp_path):
    photos = make_photos(n=4)
    cache = build(photos, tmp_path / "cache", width=96)
    target = cache.view_path(cache.manifest["hash"][0])
    stat = target.stat()
    data = bytearray(target.read_bytes())
    data[400] ^= 0x55
    target.write_bytes(bytes(data))
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # bit rot: nothing else changed
    assert len(build(photos, tmp_path / "cache", width=96).summary.repaired) == 0  # quick: unseen
    repaired = build(photos, tmp_path / "cache", width=96, verify="full").summary.repaired
    assert list(repaired["reason"]) == ["damaged: its checksum differs from the one recorded"]


# ---- row 4: a damaged checkpoint ------------------------------------------------------------

def test_row04_damaged_best_checkpoint_is_one_clear_error(run_copy):
    state = json.loads((run_copy / "state.json").read_text())
    best = run_copy / state["best"]
    best.write_bytes(best.read_bytes()[:1000])
    with pytest.raises(pyphotoq.PhotoqError, match=f"checkpoint {best}.*cannot be loaded"):
        pyphotoq.open_run(run_copy).load_model("best")
    best.unlink()
    with pytest.raises(pyphotoq.PhotoqError, match="is missing"):
        pyphotoq.open_run(run_copy).load_model("best")


def test_row04_training_resumes_from_the_newest_checkpoint_that_loads(small_cache, run_copy, capsys):
    latest = run_copy / "checkpoints" / "batch-000040.keras"
    latest.write_bytes(latest.read_bytes()[:1000])
    run = pyphotoq.train_model(small_cache, run_copy, batches=60, validate_every=20, progress=False)
    err = capsys.readouterr().err
    assert "batch-000040.keras cannot be loaded" in err and "from batch 20" in err
    assert run.batches_done == 60
    assert pyphotoq.open_run(run_copy).load_model("latest") is not None
    history = pd.read_csv(run_copy / "history.csv")
    assert history[(history["set"] == "validation") & (history["metric"] == "auc")]["batch"].tolist() == [20, 40, 60]


# ---- row 5: paths in a folder's own tables never lead outside it ------------------------------

def test_row05_manifest_paths_outside_the_cache_are_refused(make_photos, tmp_path):
    photos = make_photos(n=6)
    build(photos, tmp_path / "cache", width=96)
    manifest = tmp_path / "cache" / "manifest.csv"
    good = manifest.read_text()
    # a version-1 manifest (with its `cached` column) pointing elsewhere
    info = json.loads((tmp_path / "cache" / "cache.json").read_text())
    for bad in ("../../etc/passwd", "/etc/passwd"):
        frame = pd.read_csv(manifest, dtype=str, keep_default_na=False)
        if "cached" not in frame.columns:
            frame.insert(5, "cached", [f"views/overview/{h[:2]}/{h}.jpg" for h in frame["hash"]])
        frame.loc[1, "cached"] = bad
        frame.to_csv(manifest, index=False)
        (tmp_path / "cache" / "cache.json").write_text(json.dumps({**info, "version": 1}))
        with pytest.raises(pyphotoq.PhotoqError, match="manifest.csv row 2, column cached"):
            pyphotoq.open_cache(tmp_path / "cache")
    # version 2 has no path column: files follow from the hash, and a hash is 64 hex digits
    (tmp_path / "cache" / "cache.json").write_text(json.dumps(info))
    manifest.write_text(good.replace(good.splitlines()[1].split(",")[0], "../../etc/passwd", 1))
    with pytest.raises(pyphotoq.PhotoqError, match="row 1, column hash"):
        pyphotoq.open_cache(tmp_path / "cache")
    # a view folder replaced by a link to elsewhere is refused too
    manifest.write_text(good)
    cache = pyphotoq.open_cache(tmp_path / "cache")
    digest = cache.manifest["hash"][0]
    shard = tmp_path / "cache" / "views" / "overview" / digest[:2]
    shutil.move(shard, tmp_path / "elsewhere")
    shard.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(pyphotoq.PhotoqError, match="outside"):
        cache.view_path(digest)


def test_row05_state_pointing_outside_the_run_is_refused(run_copy, tmp_path):
    state = json.loads((run_copy / "state.json").read_text())
    outside = tmp_path / "evil.keras"
    shutil.copy(run_copy / state["best"], outside)
    for bad in (str(outside), "../evil.keras", "checkpoints/../../evil.keras"):
        (run_copy / "state.json").write_text(json.dumps({**state, "best": bad}))
        with pytest.raises(pyphotoq.PhotoqError, match="state.json: best must name a checkpoint"):
            pyphotoq.open_run(run_copy)
    # a checkpoint file that is a link out of the folder
    (run_copy / "state.json").write_text(json.dumps(state))
    target = run_copy / state["best"]
    target.unlink()
    target.symlink_to(outside)
    with pytest.raises(pyphotoq.PhotoqError, match="outside"):
        pyphotoq.open_run(run_copy).load_model("best")


# ---- row 6 and 13: keepers -----------------------------------------------------------------

def keep_table(photos):
    paths = sorted(str(p) for p in Path(photos).glob("*/*.jpg"))[:3]
    return pd.DataFrame({"path": paths, "score": 0.9, "decision": "keep"})


def test_row06_a_planted_link_in_the_keepers_folder_is_never_written_through(demo_photos, tmp_path):
    table = keep_table(demo_photos)
    keepers = tmp_path / "keep"
    keepers.mkdir()
    victim = tmp_path / "outside.jpg"
    (keepers / Path(table["path"][0]).name).symlink_to(victim)  # dangling
    other = tmp_path / "other.jpg"
    other.write_bytes(b"precious")
    (keepers / Path(table["path"][1]).name).symlink_to(other)
    assert copy_keepers(table, keepers) == 3
    assert not victim.exists() and other.read_bytes() == b"precious"
    names = sorted(p.name for p in keepers.iterdir() if not p.is_symlink())
    assert len(names) == 3 and sum("_1" in n for n in names) == 2


def test_row13_keepers_are_copied_once(demo_photos, tmp_path):
    table = keep_table(demo_photos)
    assert copy_keepers(table, tmp_path / "keep") == 3
    assert copy_keepers(table, tmp_path / "keep") == 0
    assert copy_keepers(table, tmp_path / "links", link=True) == 3
    assert copy_keepers(table, tmp_path / "links", link=True) == 0
    assert len(list((tmp_path / "keep").iterdir())) == 3 and len(list((tmp_path / "links").iterdir())) == 3


# ---- row 7: file names that are not valid UTF-8 ---------------------------------------------

def test_row07_non_utf8_names_are_cached_and_scored(make_photos, trained_run, tmp_path):
    photos = make_photos(n=8)
    odd = os.fsencode(photos / "good") + b"/\xfftest.jpg"
    shutil.copy(next((photos / "good").glob("*.jpg")), odd)
    weird = os.fsencode(photos / "bad") + b"/100% \xe9t\xe9\nline.jpg"
    shutil.copy(next((photos / "bad").glob("*.jpg")), weird)
    cache = build(photos, tmp_path / "cache", width=96)
    originals = set(cache.manifest["original"]) | set(cache.conflicts["other_path"])
    assert os.fsdecode(odd) in originals and os.fsdecode(weird) in originals
    text = (tmp_path / "cache" / "sources.csv").read_bytes().decode("utf-8")  # valid UTF-8
    assert "%FFtest.jpg" in text and "100%25 %E9t%E9%0Aline.jpg" in text
    assert len(build(photos, tmp_path / "cache", width=96).manifest) == len(cache.manifest)
    out = tmp_path / "scores.csv"
    result = cli("score", trained_run.path, photos, "--out", out, "--no-progress")
    assert result.returncode == 0, result.stderr
    scores = pd.read_csv(out)
    assert "%FFtest.jpg" in " ".join(scores["path"]) and len(scores) == 10


# ---- row 8: huge files are refused before they are read -------------------------------------

def test_row08_a_huge_sparse_file_is_refused_unread(tmp_path, make_photos):
    photos = make_photos(n=4)
    huge = photos / "good" / "huge.jpg"
    with open(huge, "wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0")
        handle.truncate(3 * 2**30)  # 3 GiB, sparse
    zeros = photos / "bad" / "zeros.tif"
    with open(zeros, "wb") as handle:
        handle.truncate(3 * 2**30)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cache = build(photos, tmp_path / "cache", width=96)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    reasons = dict(zip(cache.skipped["path"].map(lambda p: Path(p).name), cache.skipped["reason"]))
    assert reasons["huge.jpg"].startswith("too large: 3,072 MiB is beyond the 256 MiB limit for a JPEG")
    assert reasons["zeros.tif"].startswith("not an image")
    assert grown_mib < 500


# ---- row 9: damaged tables are one line naming file, row and column --------------------------

@pytest.mark.parametrize("damage, message", [
    (lambda c: (c / "manifest.csv").write_bytes(b""), "manifest.csv is empty"),
    (lambda c: _drop_column(c / "manifest.csv", "split"), "manifest.csv lacks the column split"),
    (lambda c: _append(c / "manifest.csv", "garbage\n"), "manifest.csv row 7, column"),
    (lambda c: _set(c / "manifest.csv", 2, "width", "abc"), "manifest.csv row 3, column width"),
    (lambda c: _set(c / "manifest.csv", 0, "label", "meh"), "manifest.csv row 1, column label"),
    (lambda c: _info(c, views={"overview": {"make": "resize", "width": -5, "encoding": "jpeg"}}), "width must be"),
    (lambda c: _info(c, views={"overview": {"make": "resize", "width": 10**12, "encoding": "jpeg"}}), "width must be"),
    (lambda c: _info(c, id=["a", "list"]), "cache.json: id must be"),
    (lambda c: (c / "cache.json").write_text("{not json"), "cannot be read as JSON"),
    (lambda c: (c / "skipped.csv").write_text("path\n"), "skipped.csv lacks the columns label, reason"),
])
def test_row09_damaged_cache_tables(make_photos, tmp_path, damage, message):
    build(make_photos(n=6), tmp_path / "cache", width=96)
    damage(tmp_path / "cache")
    with pytest.raises(pyphotoq.PhotoqError, match=message.replace("(", r"\(")):
        pyphotoq.open_cache(tmp_path / "cache")


def _drop_column(path, column):
    pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=column).to_csv(path, index=False)


def _append(path, line):
    with open(path, "a") as handle:
        handle.write(line)


def _set(path, row, column, value):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    frame.to_csv(path, index=False)


def _info(cache, **changes):
    info = json.loads((cache / "cache.json").read_text())
    info.update(changes)
    (cache / "cache.json").write_text(json.dumps(info))


def test_row09_damaged_cache_table_in_the_cli(make_photos, tmp_path):
    photos = make_photos(n=6)
    build(photos, tmp_path / "cache", width=96)
    _set(tmp_path / "cache" / "manifest.csv", 0, "split", "nowhere")
    assert_one_line_exit_2(cli("train", tmp_path / "cache", tmp_path / "run"),
                           "manifest.csv row 1, column split")


def test_row09_damaged_run_files(run_copy):
    (run_copy / "state.json").write_text('{"batches_done": "many"}')
    with pytest.raises(pyphotoq.PhotoqError, match="state.json: batches_done must be"):
        pyphotoq.open_run(run_copy)
    (run_copy / "run.json").write_text("[]")
    with pytest.raises(pyphotoq.PhotoqError, match="run.json must hold a JSON object"):
        pyphotoq.open_run(run_copy)


def test_row09_a_damaged_build_index_is_rebuilt(make_photos, tmp_path):
    photos = make_photos(n=6)
    build(photos, tmp_path / "cache", width=96)
    (tmp_path / "cache" / "sources.csv").write_text("garbage\x00,\n1,2,3\n")
    (tmp_path / "cache" / "files.csv").write_bytes(b"")
    assert len(build(photos, tmp_path / "cache", width=96).manifest) == 6


# ---- row 10: a run is tied to its validation set --------------------------------------------

def test_row10_resuming_on_a_changed_validation_set_stops(demo_photos, small_cache, run_copy, tmp_path):
    photos = tmp_path / "photos"
    shutil.copytree(demo_photos, photos)
    pyphotoq.make_demo_photos(tmp_path / "more", n_photos=40, size=(128, 96), seed=7)
    for label in ("good", "bad"):
        shutil.copytree(tmp_path / "more" / label, photos / label / "more")
    cache = tmp_path / "cache"
    shutil.copytree(small_cache.path, cache)
    changed = build(photos, cache, width=96, split=pyphotoq.Splitting(fractions=(0.6, 0.2, 0.2)))
    assert len(changed.split("validation")) > len(small_cache.split("validation"))
    with pytest.raises(pyphotoq.PhotoqError, match="validation split now holds.*continue_on_new_data=True"):
        pyphotoq.train_model(changed, run_copy, batches=60, validate_every=20, progress=False)
    assert pyphotoq.open_run(run_copy).batches_done == 40
    # told to continue, it goes on with the new validation set
    resumed = pyphotoq.train_model(changed, run_copy, batches=60, validate_every=20, progress=False,
                                   plot=False, continue_on_new_data=True)
    assert resumed.batches_done == 60
    assert resumed.info["validation"]["photos"] == len(changed.split("validation"))


# ---- row 11: arguments -----------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["train", "c", "r", "--batches", "nan"], ["--batches", "'nan'"]),
    (["train", "c", "r", "--batches", "abc"], ["--batches", "'abc'"]),
    (["train", "c", "r", "--learning-rate", "-1"], ["--learning-rate", "-1"]),
    (["train", "c", "r", "--learning-rate", "nan"], ["--learning-rate", "'nan'"]),
    (["score", "r", "p", "--keep-recall", "2"], ["--keep-recall", "2"]),
    (["score", "r", "p", "--threshold", "nan"], ["--threshold", "'nan'"]),
    (["evaluate", "r", "--checkpoint", "bestest"], ["--checkpoint", "bestest"]),
    (["cache", "p", "c", "--width", "-5"], ["--width", "-5"]),
])
def test_row11_cli_arguments_are_checked(args, words):
    assert_one_line_exit_2(cli(*args), *words)


def test_row11_python_arguments_are_checked(trained_run, demo_photos):
    for kwargs, words in (({"culling": {"keep_recall": 2}}, "keep_recall"),
                          ({"culling": {"threshold": float("nan")}}, "threshold"), ({"batch_size": "abc"}, "batch_size")):
        with pytest.raises(pyphotoq.PhotoqError, match=words):
            pyphotoq.score_photos(trained_run, demo_photos, **kwargs)
    with pytest.raises(pyphotoq.PhotoqError, match="width"):
        pyphotoq.build_cache(demo_photos, "/nonexistent/cache", width=float("nan"))
    for kwargs, words in (({"keep_recall": 2}, "keep_recall"), ({"threshold": float("nan")}, "threshold")):
        with pytest.raises(pyphotoq.PhotoqError, match=words):
            pyphotoq.evaluate_model(trained_run, **kwargs)
    for kwargs, words in (({"batches": float("nan")}, "batches"), ({"batches": "abc"}, "batches"),
                          ({"recipe": {"learning_rate": -1}}, "learning_rate"),
                          ({"recipe": {"learning_rate": float("nan")}}, "learning_rate")):
        with pytest.raises(pyphotoq.PhotoqError, match=words):
            pyphotoq.train_model(trained_run.info["cache"]["path"], trained_run.path.parent / "new-run", **kwargs)


# ---- row 12: one class only -----------------------------------------------------------------

def test_row12_a_folder_with_one_class_is_refused_by_cache(make_photos, tmp_path):
    photos = make_photos(n=6)
    shutil.rmtree(photos / "bad")
    line = assert_one_line_exit_2(cli("cache", photos, tmp_path / "cache"), "No 'bad/' folder")
    assert "both classes" in line and not (tmp_path / "cache").exists()
    (photos / "bad").mkdir()
    (photos / "bad" / "notes.txt").write_text("no photos here")
    assert_one_line_exit_2(cli("cache", photos, tmp_path / "cache"), "No 'bad' photos")


# ---- row 14: no TensorFlow chatter, hints in the words of the CLI ---------------------------

def test_row14_cli_mistakes_are_one_line_without_tensorflow_logging(tmp_path):
    for args in (["evaluate", tmp_path / "norun"], ["train", tmp_path / "nocache", tmp_path / "run"],
                 ["score", tmp_path / "norun", tmp_path]):
        line = assert_one_line_exit_2(cli(*args))
        assert "train_model" not in line and "build_cache" not in line
    line = assert_one_line_exit_2(cli("evaluate", tmp_path / "norun"), "train one with pyphotoq train")
    # whoever sets TF_CPP_MIN_LOG_LEVEL gets TensorFlow's logging as they asked
    assert not os.environ.get("PHOTOQ_TEST_NO_TF_LINES")
    assert "TF_CPP_MIN_LOG_LEVEL" not in pyphotoq.__dict__.get("__doc__", "")


def test_row14_the_library_leaves_logging_alone():
    code = "import os, pyphotoq; print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))"
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "None"


# ---- row 15 is tested in R (tests/testthat/test-install.R); the Makefile part here ----------

def test_row15_the_r_package_carries_the_python_source():
    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text()
    assert "install-r: r-python-source" in makefile and "CMD INSTALL" in makefile
    assert "check-r: r-python-source" in makefile
    built_ignore = (root / ".Rbuildignore").read_text().splitlines()
    import re

    for path in ("inst/python/pyproject.toml", "inst/python/pyphotoq/data/cache.py", "inst/python/README.md"):
        assert not any(re.search(p, path) for p in built_ignore if p and not p.startswith("#")), path


# ---- also: the run lock, fsync, Keras pinned ---------------------------------------------

def test_a_run_folder_is_locked_while_it_trains(small_cache, run_copy):
    from pyphotoq.models.runs import lock_run

    handle = lock_run(run_copy)
    try:
        result = cli("train", small_cache.path, run_copy, "--batches", 60, "--validate-every", 20)
        assert_one_line_exit_2(result, "Another training is writing to the run")
        with pytest.raises(pyphotoq.PhotoqError, match="Another training"):
            pyphotoq.train_model(small_cache, run_copy, batches=60, validate_every=20, progress=False)
    finally:
        handle.close()
    assert pyphotoq.open_run(run_copy).batches_done == 40


def test_writes_are_fsynced_files_and_folders(tmp_path, monkeypatch):
    from pyphotoq.core import files

    synced = []
    real = os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real(fd)))
    files.write_atomic(tmp_path / "table.csv", "a,b\n")
    assert synced == [str(tmp_path / synced[0].split("/")[-1]), str(tmp_path)]
    assert ".tmp" in synced[0] and (tmp_path / "table.csv").read_text() == "a,b\n"
    # never through a link planted at the final name: the link is replaced, its target untouched
    target = tmp_path / "target.txt"
    target.write_text("keep")
    (tmp_path / "link.csv").symlink_to(target)
    files.write_atomic(tmp_path / "link.csv", "new")
    assert target.read_text() == "keep" and not (tmp_path / "link.csv").is_symlink()


def test_keras_is_pinned_past_the_safe_mode_bypasses():
    import tomllib

    root = Path(__file__).resolve().parents[2]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    keras = [d for d in deps if d.startswith("keras")]
    assert keras and all(">=3.15.1" in d or ">=3.12.4" in d for d in keras)
    import keras as installed

    assert tuple(int(x) for x in installed.__version__.split(".")[:3]) >= (3, 12, 4)


# ---- the hostile corpus: every odd file skipped with its reason, the build completes ----------

def test_hostile_corpus(make_photos, tmp_path):
    photos = make_photos(n=8)
    good, bad = photos / "good", photos / "bad"
    jpeg = next(good.glob("*.jpg")).read_bytes()
    (good / "empty.jpg").write_bytes(b"")
    (good / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 3])
    (good / "text.png").write_text("hello")
    (good / "bomb.png").write_bytes(png_bomb())
    (bad / "passwd.jpg").symlink_to("/etc/passwd")
    (bad / "dangling.jpg").symlink_to(tmp_path / "nothing.jpg")
    (bad / "loop.jpg").symlink_to(bad / "loop.jpg")
    (bad / "folder.jpg").mkdir()
    os.mkfifo(bad / "fifo.jpg")
    (bad / "loop-dir").symlink_to(bad, target_is_directory=True)
    with open(bad / "huge.png", "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n")
        handle.truncate(5 * 2**30)
    cache = build(photos, tmp_path / "cache", width=96)
    assert len(cache.manifest) == 8
    reasons = dict(zip(cache.skipped["path"].map(lambda p: Path(p).name), cache.skipped["reason"]))
    assert reasons["empty.jpg"].startswith("empty file")
    assert "truncated" in reasons["truncated.jpg"] or "damaged" in reasons["truncated.jpg"]
    assert reasons["text.png"].startswith("not an image")
    assert reasons["bomb.png"].startswith("decompression bomb")
    assert reasons["passwd.jpg"].startswith("not an image")
    assert reasons["dangling.jpg"].startswith("cannot read")
    assert reasons["huge.png"].startswith("too large")
    assert "fifo.jpg" not in reasons and "folder.jpg" not in reasons
    # a damaged cache on top: every table file replaced by something hostile
    (tmp_path / "cache" / "conflicts.csv").write_text('hash,"kind\n')
    with pytest.raises(pyphotoq.PhotoqError, match="conflicts.csv"):
        pyphotoq.open_cache(tmp_path / "cache")
    assert len(build(photos, tmp_path / "cache", width=96).manifest) == 8  # a build mends it
