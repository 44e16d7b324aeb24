"""Nothing outside its folders: the data-loss and escape cases first (outputs, the undo journal, run
folders with links, booster files, corrections), then the losses and crashes found beside them,
and a generated hostile corpus of the new inputs. Every case lists the whole temporary tree before
and after: nothing changes outside the folders the user named."""

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq.models.booster import load_booster
from pyphotoq.models.booster_files import checked_model_text
from pyphotoq.data.cache import open_cache
from pyphotoq.data.cache_build import add_corrections
from pyphotoq.core.errors import PhotoqError
from pyphotoq.core.outputs import check_output, own_folder, write_output
from pyphotoq.workflow.scoring import write_scores
from pyphotoq.photos.sources import corrected_photos
from pyphotoq.photos.xmp import JOURNAL_FOLDER, plan_sidecars, undo_sidecars, write_sidecars

CLI = [sys.executable, "-m", "pyphotoq"]


def _environment() -> dict:
    """This environment less TF_CPP_MIN_LOG_LEVEL: the CLI then keeps TensorFlow's start-up quiet."""
    return {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def cli(*args, timeout=300):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, errors="replace",
                          timeout=timeout, env=_environment())


def one_line(result, *words):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def listing(root, skip=()) -> dict:
    """Every entry below `root` (links not followed): path -> (kind, size, mode, content digest), less
    those below the folders in `skip`."""
    import hashlib

    found = {}
    skip = [str(s) for s in skip]
    for current, folders, files in os.walk(root):
        if any(current == s or current.startswith(s + os.sep) for s in skip):
            folders[:] = []
            continue
        for name in folders + files:
            path = os.path.join(current, name)
            if any(path == s for s in skip):
                continue
            info = os.lstat(path)
            digest = ""
            if stat.S_ISREG(info.st_mode) and info.st_size < 50_000_000:
                with open(path, "rb") as stream:
                    digest = hashlib.sha256(stream.read()).hexdigest()
            found[path] = (stat.S_IFMT(info.st_mode), info.st_size, stat.S_IMODE(info.st_mode), digest)
    return found


def jpeg(path, colour=(200, 120, 40)):
    from PIL import Image

    Image.new("RGB", (32, 24), colour).save(path, "JPEG")
    return path


@pytest.fixture
def run_copy(trained_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(trained_run.path, folder)
    return folder


# ==== data loss and escapes ======================================================================

# ---- 1: one rule for every output path --------------------------------------------------------

def test_escape1_score_out_never_replaces_a_photo_a_device_or_a_users_file(trained_run, demo_photos, tmp_path):
    photos = tmp_path / "shoot"
    shutil.copytree(demo_photos / "good", photos)
    library = tmp_path / "lib"
    library.mkdir()
    original = jpeg(library / "IMG_1021.JPG")
    labels = library / "labels.csv"
    labels.write_text("path,label\n/a.jpg,good\n")
    os.mkfifo(library / "pipe.csv")
    (library / "link.csv").symlink_to(tmp_path / "elsewhere.csv")
    before = listing(tmp_path, skip=[photos])
    for out, words in ((original, "not a table photoq wrote"), (labels, "not a table photoq wrote"),
                       (library / "pipe.csv", "not a regular file"), (library / "link.csv", "symbolic link"),
                       (tmp_path / "missing" / "scores.csv", "does not exist")):
        one_line(cli("score", trained_run.path, photos, "--out", out, "--no-progress"), "Refused output", *[words])
    try:  # a device node (as root CI makes one; elsewhere the case is left out)
        os.mknod(library / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except (PermissionError, OSError):
        pass
    else:
        one_line(cli("score", trained_run.path, photos, "--out", library / "null"), "not a regular file")
        assert stat.S_ISCHR(os.lstat(library / "null").st_mode)
        os.unlink(library / "null")
    assert listing(tmp_path, skip=[photos]) == before
    # photoq's own table is replaced; a second run writes over the first
    out = library / "scores.csv"
    for _ in range(2):
        result = cli("score", trained_run.path, photos, "--out", out, "--no-progress")
        assert result.returncode == 0, result.stderr
    assert pd.read_csv(out)["path"].str.endswith(".jpg").all()


def test_escape1_every_output_kind_follows_the_same_rule(tmp_path):
    photo = jpeg(tmp_path / "photo.png")  # a photo, whatever its name says
    for kind in ("table", "page", "picture"):
        with pytest.raises(PhotoqError, match="photoq replaces only its own outputs"):
            check_output(photo, kind)
    assert write_output(tmp_path / "t.csv", "path,score,decision\nx,1,keep\n", "table").is_file()
    write_output(tmp_path / "t.csv", "path,score\n", "table")  # its own table: replaced
    page = tmp_path / "report.html"
    page.write_text("<html>mine</html>")
    with pytest.raises(PhotoqError, match="not a page photoq wrote"):
        check_output(page, "page")
    picture = tmp_path / "roc.png"
    from pyphotoq.core.figures import finish, new_figure

    finish(new_figure(2, 2), picture)  # a picture photoq drew is drawn again over itself
    finish(new_figure(2, 2), picture)
    assert picture.read_bytes().startswith(b"\x89PNG")
    own = own_folder(tmp_path, "run/report")
    assert own.is_dir() and not own.is_symlink()
    (tmp_path / "run" / "explain").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(PhotoqError, match="symbolic link"):
        own_folder(tmp_path / "run", "explain")


def test_escape1_explain_and_report_outputs(trained_run, demo_photos, tmp_path):
    photo = sorted((demo_photos / "good").glob("*.jpg"))[0]
    users = tmp_path / "mine.html"
    users.write_text("<html>my own page</html>")
    before = listing(tmp_path)
    one_line(cli("report", trained_run.path, "--out", users, "--no-progress"), "Refused report")
    one_line(cli("explain", trained_run.path, photo, "--table", photo, "--no-progress"), "Refused output")
    assert listing(tmp_path) == before


# ---- 2: the undo journal is untrusted input ----------------------------------------------------

def _journal(photos: Path, records) -> Path:
    entry = photos / JOURNAL_FOLDER / "20260101T000000.000000Z-1-deadbeef"
    entry.mkdir(parents=True)
    (entry / "journal.json").write_text(json.dumps({"format": "photoq-xmp-journal", "version": 1,
                                                    "created": "x", "sidecars": records}))
    return entry


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_escape2_a_hostile_journal_touches_nothing_outside_the_photos(tmp_path):
    photos = tmp_path / "received"
    photos.mkdir()
    photo = jpeg(photos / "a.jpg")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.xmp"
    victim.write_bytes(b"<x:xmpmeta/>")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret")
    os.chmod(victim, 0o644)
    new = _sha(victim.read_bytes())
    (photos / "copy").mkdir()
    old = b"old bytes"
    sidecar = str(photos / "a.jpg.xmp")
    records = [
        {"sidecar": str(victim), "photo": str(outside / "victim"), "action": "create", "new_sha256": new},
        {"sidecar": "../../outside/victim.xmp", "photo": "../../outside/victim", "action": "create",
         "new_sha256": new},
        {"sidecar": str(photos / ".." / "outside" / "victim.xmp"), "photo": str(photos / ".." / "outside" / "victim"),
         "action": "create", "new_sha256": new},
        {"sidecar": str(victim), "photo": str(outside / "victim"), "action": "merge", "new_sha256": new,
         "old_sha256": _sha(old), "old_copy": "000001.xmp.old", "old_mode": 0o4777},
        {"sidecar": sidecar, "photo": str(photo), "action": "merge", "new_sha256": new,
         "old_sha256": _sha(old), "old_copy": "000001.xmp.old", "old_mode": -1},
        {"sidecar": sidecar, "photo": str(photo), "action": "merge", "new_sha256": new,
         "old_sha256": _sha(old), "old_copy": "000001.xmp.old", "old_mode": 2 ** 80},
        {"sidecar": sidecar + "%00.xmp", "photo": str(photo), "action": "create", "new_sha256": new},
        {"sidecar": ["a", "list"], "photo": 7, "action": "create", "new_sha256": new},
        {"sidecar": str(photo), "photo": str(photo), "action": "create", "new_sha256": _sha(photo.read_bytes())},
        {"sidecar": sidecar, "photo": str(photo), "action": "run", "new_sha256": new},
        "not a record",
    ]
    entry = _journal(photos, records)
    (entry / "000001.xmp.old").write_bytes(old)
    before = listing(tmp_path, skip=[entry])
    result = cli("undo", photos)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert f"0 sidecars restored, 0 removed, 0 unchanged, {len(records)} left as they are" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1 + len(records)
    assert listing(tmp_path, skip=[entry]) == before
    assert victim.read_bytes() == b"<x:xmpmeta/>" and stat.S_IMODE(os.stat(victim).st_mode) == 0o644
    # an old copy that is a link out of the journal is never read
    photos2 = tmp_path / "received2"
    photos2.mkdir()
    photo2 = jpeg(photos2 / "b.jpg")
    (photos2 / "b.jpg.xmp").write_bytes(b"<x:xmpmeta/>")
    entry2 = _journal(photos2, [{"sidecar": str(photos2 / "b.jpg.xmp"), "photo": str(photo2), "action": "merge",
                                 "new_sha256": new, "old_sha256": _sha(b"secret"), "old_copy": "000001.xmp.old",
                                 "old_mode": 0o644}])
    (entry2 / "000001.xmp.old").symlink_to(secret)
    table = undo_sidecars(photos2)
    assert list(table["action"]) == ["refused"] and (photos2 / "b.jpg.xmp").read_bytes() == b"<x:xmpmeta/>"


def test_escape2_modes_are_restored_as_permission_bits_only(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    photo = jpeg(photos / "a.jpg")
    sidecar = photos / "a.jpg.xmp"
    sidecar.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
                       '02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""/></rdf:RDF></x:xmpmeta>')
    os.chmod(sidecar, 0o640)
    decisions = pd.DataFrame({"path": [str(photo)], "rating": [4], "pick": ["accepted"]})
    written = write_sidecars(decisions, photos=photos)
    entry = Path(written["journal"].iloc[0])
    journal = json.loads((entry / "journal.json").read_text())
    journal["sidecars"][0]["old_mode"] = 0o6755  # setuid and setgid asked for
    (entry / "journal.json").write_text(json.dumps(journal))
    table = undo_sidecars(photos)
    assert list(table["action"]) == ["restored"]
    assert stat.S_IMODE(os.stat(sidecar).st_mode) == 0o755


def test_escape2_a_killed_write_leaves_nothing_the_next_write_does_not_clean(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    photo = jpeg(photos / "a.jpg")
    dead = 4_000_000  # above the kernel's largest pid: no process has it
    stale = photos / f"a.jpg.xmp.{dead}-1-0123abcd.tmp"
    stale.write_text("half")
    partial = photos / JOURNAL_FOLDER / f".20260101T000000.000000Z-{dead}-0123abcd.partial"
    partial.mkdir(parents=True)
    (partial / "000001.xmp.old").write_text("old")
    alive = photos / f"a.jpg.xmp.{os.getpid()}-1-0123abcd.tmp"
    alive.write_text("mine, still being written")
    written = write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [3], "pick": [""]}), photos=photos)
    assert sorted(written.attrs["cleaned"]) == sorted([str(stale), str(partial)])
    assert not stale.exists() and not partial.exists() and alive.exists()


# ---- 3: run and cache folders are closed worlds for writes ------------------------------------

@pytest.mark.parametrize("name", ["booster", "report", "checkpoints"])
def test_escape3_a_link_inside_a_run_folder_is_refused(run_copy, small_cache, tmp_path, name):
    outside = tmp_path / "outside"
    shutil.copytree(run_copy / name, outside) if (run_copy / name).exists() else outside.mkdir()
    shutil.rmtree(run_copy / name, ignore_errors=True)
    (run_copy / name).symlink_to(outside, target_is_directory=True)
    before = listing(outside)
    if name == "booster":
        with pytest.raises(PhotoqError, match="symbolic link"):
            pyphotoq.train_model(small_cache, run_copy, batches=40, validate_every=20, progress=False)
    elif name == "report":
        one_line(cli("evaluate", run_copy), "symbolic link")
        one_line(cli("report", run_copy, "--no-progress"), "symbolic link")
    else:
        with pytest.raises(PhotoqError, match="symbolic link"):
            pyphotoq.train_model(small_cache, run_copy, batches=60, validate_every=20, progress=False)
    assert listing(outside) == before


def test_escape3_a_link_inside_a_cache_folder_is_refused(make_photos, tmp_path):
    photos = make_photos(n=8)
    pyphotoq.build_cache(photos, tmp_path / "cache", width=96, detail=False, progress=False)
    views = tmp_path / "cache" / "views"
    outside = tmp_path / "outside"
    shutil.move(views, outside)
    shutil.rmtree(outside / "overview")
    views.symlink_to(outside, target_is_directory=True)
    with pytest.raises(PhotoqError, match="symbolic link"):
        pyphotoq.build_cache(photos, tmp_path / "cache", width=96, detail=False, progress=False)
    assert list(outside.iterdir()) == []


# ---- 4: booster files are checked before LightGBM sees them ------------------------------------

def _model_text(booster_folder: Path) -> str:
    return (booster_folder / "alone.txt").read_text()


def booster_corpus(text: str) -> dict:
    """Damaged forms of one LightGBM model file (name -> bytes)."""
    head, _, rest = text.partition("tree_sizes=")
    sizes, _, trees = rest.partition("\n")
    values = text.split("leaf_value=", 1)
    leaf_line = values[1].split("\n", 1)
    return {
        "trailing NUL": text.encode() + b"\x00",
        "NUL inside": text.replace("Tree=1\n", "Tree=1\x00\n").encode(),
        "two million tree sizes": (head + "tree_sizes=" + " ".join(["9"] * 2_000_000) + "\n" + trees).encode(),
        "a leaf value dropped": (values[0] + "leaf_value=" + leaf_line[0].rsplit(" ", 1)[0] + "\n"
                                 + leaf_line[1]).encode(),
        "a leaf value not a number": (values[0] + "leaf_value=x" + leaf_line[0] + "\n" + leaf_line[1]).encode(),
        "an infinite leaf": (values[0] + "leaf_value=inf " + leaf_line[0].split(" ", 1)[1] + "\n"
                             + leaf_line[1]).encode(),
        "tree sizes off by one": (head + "tree_sizes=" + str(int(sizes.split(" ")[0]) + 1) + sizes[len(sizes.split(" ")[0]):]
                                  + "\n" + trees).encode(),
        "no end of trees": text.replace("end of trees", "end of tree").encode(),
        "a child out of range": text.replace("left_child=", "left_child=99999 ", 1).encode(),
        "a feature out of range": text.replace("split_feature=", "split_feature=99999 ", 1).encode(),
        "a categorical tree": text.replace("num_cat=0", "num_cat=1", 1).encode(),
        "empty": b"",
        "not text": bytes(range(256)) * 10,
        "a huge header number": text.replace("max_feature_idx=", "max_feature_idx=99999999999999999999", 1).encode(),
    }


def test_escape4_damaged_booster_files_are_one_line_and_never_reach_lightgbm(run_copy, tmp_path):
    folder = run_copy / "booster"
    info = json.loads((folder / "booster.json").read_text())
    text = _model_text(folder)
    # the checked text is the model: the same predictions as LightGBM's own reading of the file
    rows = np.random.default_rng(0).random((20, len(info["features"])))
    checked = lightgbm.Booster(model_str=checked_model_text(folder / "alone.txt", len(info["features"])))
    assert np.allclose(checked.predict(rows), lightgbm.Booster(model_file=str(folder / "alone.txt")).predict(rows))
    for name, data in booster_corpus(text).items():
        (folder / "alone.txt").write_bytes(data)
        with pytest.raises(PhotoqError, match="alone.txt is damaged") as raised:
            load_booster(pyphotoq.open_run(run_copy))
        assert "\n" not in str(raised.value) and "train_model" in str(raised.value), name


@pytest.mark.parametrize("weight", ["abc", None, "missing", float("nan"), 2.0, True])
def test_escape4_booster_json_values_are_typed_and_ranged(run_copy, weight):
    path = run_copy / "booster" / "booster.json"
    info = json.loads(path.read_text())
    if weight == "missing":
        del info["network_weight"]
    else:
        info["network_weight"] = weight
    path.write_text(json.dumps(info))
    with pytest.raises(PhotoqError, match="booster"):
        load_booster(pyphotoq.open_run(run_copy))


def test_escape4_a_damaged_booster_is_one_line_in_the_cli_and_training_refits_it(run_copy, demo_photos,
                                                                                 small_cache, tmp_path):
    alone = run_copy / "booster" / "alone.txt"
    good = alone.read_bytes()
    alone.write_bytes(good + b"\x00")  # hung LightGBM's parser forever
    one_line(cli("score", run_copy, demo_photos, "--out", tmp_path / "s.csv", timeout=120), "alone.txt is damaged",
             "pyphotoq train")
    (run_copy / "booster" / "validation.csv").write_text("hash,label,score\nab,good,zzz\n")
    pyphotoq.train_model(small_cache, run_copy, batches=40, validate_every=20, progress=False)
    run = pyphotoq.open_run(run_copy)
    booster = load_booster(run)
    assert booster is not None and alone.read_bytes() == good and len(booster.validation_scores()) > 1


# ---- 5: corrections are checked like the manifest -----------------------------------------------

def test_escape5_a_tampered_corrections_table_is_refused_naming_its_row(make_photos, tmp_path, monkeypatch):
    photos = make_photos(n=8)
    cache = pyphotoq.build_cache(photos, tmp_path / "cache", width=96, detail=False, progress=False)
    photo = sorted((photos / "good").glob("*.jpg"))[0]
    view = next((tmp_path / "cache" / "views").rglob("*.jpg"))
    table = tmp_path / "cache" / "corrections.csv"
    manifest = (tmp_path / "cache" / "manifest.csv").read_bytes()
    monkeypatch.chdir(photos / "good")
    for line, words in ((f"{photo},evil,x", "row 1, column label: 'evil'"),
                        (f"{photo.name},bad,x", "not an absolute path"),
                        (f"{view},bad,x", "inside a photoq cache or run folder")):
        table.write_text("path,label,source\n" + line + "\n")
        with pytest.raises(PhotoqError, match="corrections.csv") as raised:
            pyphotoq.build_cache(photos, cache.path, width=96, detail=False, progress=False)
        assert words in str(raised.value)
        assert (tmp_path / "cache" / "manifest.csv").read_bytes() == manifest


def test_escape5_a_correction_of_a_copy_relabels_its_content(make_photos, tmp_path):
    photos = make_photos(n=8)
    cache = pyphotoq.build_cache(photos, tmp_path / "cache", width=96, detail=False, progress=False)
    good = sorted((photos / "good").glob("*.jpg"))[0]
    shoot = tmp_path / "shoot"
    (shoot / "bad").mkdir(parents=True)
    shutil.copy(good, shoot / "bad" / "copy.jpg")
    digest = _sha(good.read_bytes())
    assert cache.manifest.set_index("hash").loc[digest, "label"] == "good"
    listing_ = corrected_photos(shoot)
    updated = add_corrections(cache, listing_, shoot, progress=False)
    assert updated.manifest.set_index("hash").loc[digest, "label"] == "bad"
    # and a later build keeps it
    again = pyphotoq.build_cache(photos, cache.path, width=96, detail=False, progress=False)
    assert again.manifest.set_index("hash").loc[digest, "label"] == "bad"


# ==== losses and crashes beside them ==============================================================

def test_conflicting_rows_are_said_once_each_and_left_out(tmp_path):
    a, b, c = (jpeg(tmp_path / f"{n}.jpg") for n in "abc")
    table = tmp_path / "sorted.csv"
    table.write_text(f"path,label\n{a},good\n{a},bad\n{b},good\n{b},good\n{c},bad\n")
    found = corrected_photos(table)
    assert sorted(found["path"]) == [str(b), str(c)]
    assert found.attrs["left_out"] == [f"{a} is sorted both bad and good in {table}: left out"]


def test_scores_tables_name_every_file_so_that_learn_reads_it_back(tmp_path):
    odd = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xc3\xa9 100%.JPG")
    raw = os.fsdecode(os.fsencode(tmp_path) + b"/\xff%41.jpg")
    for name in (odd, raw):
        jpeg(name)
    table = pd.DataFrame({"path": [odd, raw], "score": [0.9, 0.1], "decision": ["keep", "reject"],
                          "rule": ["", ""], "duplicate_of": ["", ""], "pair": ["", ""], "reason": ["", ""]})
    out = tmp_path / "scores.csv"
    write_scores(table, out)
    found = corrected_photos(out)
    assert dict(zip(found["path"], found["label"])) == {odd: "good", raw: "bad"}


def test_absurd_ratings_in_existing_sidecars_are_left_alone_and_the_rest_is_written(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    rows = []
    for number, value in enumerate(["9223372036854775808", "1e23", "-7", "2"]):
        photo = jpeg(photos / f"p{number}.jpg")
        (photos / f"p{number}.jpg.xmp").write_text(
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="{value}"/>'
            '</rdf:RDF></x:xmpmeta>')
        rows.append({"path": str(photo), "rating": 4, "pick": "accepted"})
    plan = plan_sidecars(pd.DataFrame(rows), photos=photos)
    assert list(plan["action"]) == ["refused", "refused", "refused", "merge"]
    assert "not a value photoq knows" in plan["reason"].iloc[0]
    written = write_sidecars(pd.DataFrame(rows), photos=photos)
    assert list(written["written"]) == [False, False, False, True]


def test_a_photo_in_a_linked_folder_gets_no_sidecar_outside(tmp_path):
    photos, elsewhere = tmp_path / "photos", tmp_path / "elsewhere"
    photos.mkdir()
    elsewhere.mkdir()
    photo = jpeg(elsewhere / "x.jpg")
    (photos / "linked").symlink_to(elsewhere, target_is_directory=True)
    inside = jpeg(photos / "y.jpg")
    table = write_sidecars(pd.DataFrame({"path": [str(photos / "linked" / "x.jpg"), str(inside)],
                                         "rating": [5, 5], "pick": ["", ""]}), photos=photos)
    assert list(table["action"]) == ["refused", "create"]
    assert "outside" in table["reason"].iloc[0] and not (elsewhere / "x.jpg.xmp").exists()
    assert photo.exists()


def test_two_writes_at_once_on_a_folder_without_a_journal_both_land(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    paths = [jpeg(photos / f"{n}.jpg") for n in range(2)]
    results, errors = [], []

    def write(path):
        try:
            results.append(write_sidecars(pd.DataFrame({"path": [str(path)], "rating": [2], "pick": [""]}),
                                          photos=photos))
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)

    for _ in range(5):
        shutil.rmtree(photos / JOURNAL_FOLDER, ignore_errors=True)
        for path in paths:
            (photos / f"{path.name}.xmp").unlink(missing_ok=True)
        threads = [threading.Thread(target=write, args=(path,)) for path in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors and len(results) == 10 and all(r["written"].all() for r in results)


# ==== a generated hostile corpus of the new inputs ===============================================

def test_hostile_corpus_of_journals_boosters_corrections_and_sidecars(run_copy, tmp_path):
    """Every generated input: no crash (only PhotoqError or a refused row), bounded time, nothing
    written outside the named folders."""
    rng = np.random.default_rng(7)
    photos = tmp_path / "photos"
    photos.mkdir()
    photo = jpeg(photos / "a.jpg")
    before = listing(tmp_path, skip=[photos, run_copy])
    values = [None, 0, -1, 2 ** 80, 1.5, float("inf"), "", "x" * 5000, "%00", "../../../etc/x.xmp", "/etc/x.xmp",
              [], {}, True, str(photos / "a.jpg.xmp"), str(photo)]
    keys = ["sidecar", "photo", "action", "new_sha256", "old_sha256", "old_copy", "old_mode"]
    for case in range(60):
        record = {key: values[rng.integers(len(values))] for key in keys if rng.random() < 0.8}
        entry = _journal(photos, [record])
        table = undo_sidecars(entry)
        assert set(table["action"]) <= {"refused", "unchanged"}, record
        shutil.rmtree(photos / JOURNAL_FOLDER)
    text = _model_text(run_copy / "booster").encode()
    features = len(json.loads((run_copy / "booster" / "booster.json").read_text())["features"])
    for case in range(40):  # random bytes changed, lines cut or repeated
        data = bytearray(text)
        for _ in range(rng.integers(1, 4)):
            position = int(rng.integers(len(data)))
            data[position:position + int(rng.integers(1, 40))] = bytes(rng.integers(0, 256, rng.integers(0, 40)).astype(np.uint8))
        path = tmp_path / "model.txt"
        path.write_bytes(bytes(data))
        try:
            checked = checked_model_text(path, features)
        except PhotoqError as error:
            assert "\n" not in str(error)
        else:  # whatever passes the check loads in LightGBM
            lightgbm.Booster(model_str=checked)
    for value in ["9" * 30, "nan", "-1e400", "0x10", "<a/>", "5 6"]:
        (photos / "a.jpg.xmp").write_text(
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="{value}"/>'
            '</rdf:RDF></x:xmpmeta>')
        plan = plan_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [3], "pick": [""]}), photos=photos)
        assert list(plan["action"]) == ["refused"]
    (tmp_path / "model.txt").unlink()
    assert listing(tmp_path, skip=[photos, run_copy]) == before


def _in_mount_namespace(mounts: str, *args):
    """The CLI run in a mount namespace of its own, after `mounts` (shell commands) there; None where
    this machine cannot make one."""
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    command = mounts + " && exec " + " ".join(f"'{a}'" for a in [*CLI, *map(str, args)])
    return subprocess.run(["unshare", "-m", "sh", "-c", command], capture_output=True, text=True, timeout=300,
                          env=_environment())


def test_a_read_only_or_full_disk_is_one_line(trained_run, demo_photos, small_cache, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run.path, run)
    before = listing(run)
    result = _in_mount_namespace(f"mount -o bind,ro '{run}' '{run}'", "train", small_cache.path, run,
                                 "--batches", 60, "--validate-every", 20, "--no-progress")
    if result is None:
        pytest.skip("no mount namespaces on this machine (CI runs as root, where there are)")
    one_line(result, "cannot write", "Read-only file system")
    assert listing(run) == before
    cache = tmp_path / "cache"
    cache.mkdir()
    one_line(_in_mount_namespace(f"mount -o bind,ro '{cache}' '{cache}'", "cache", demo_photos, cache,
                                 "--width", 96, "--no-progress"), "Read-only file system")
    full = tmp_path / "full"
    full.mkdir()
    one_line(_in_mount_namespace(f"mount -t tmpfs -o size=64k tmpfs '{full}' && head -c 60000 /dev/zero > "
                                 f"'{full}/filler'", "score", trained_run.path, demo_photos, "--out",
                                 full / "scores.csv", "--no-progress"), "No space left on device")
    assert list(full.iterdir()) == []  # the mount is gone with its namespace; nothing was written here


@pytest.mark.parametrize("args,words", [
    (["train", "C", "R", "--seed", "99999999999999999999"], "--seed: must be at most 4294967295"),
    (["train", "C", "R", "--batch-size", "100000"], "--batch-size: must be at most 256"),
    (["score", "R", "P", "--scheduler", "foo"], "tcp://HOST:PORT"),
    (["score", "R", "P", "--scheduler", "ucx://x:1"], "tcp://HOST:PORT"),
    (["score", "R", "P", "--scheduler", "inproc://x"], "tcp://HOST:PORT"),
])
def test_seeds_batch_sizes_and_scheduler_forms_are_one_line(args, words, trained_run, demo_photos, tmp_path):
    args = [{"C": tmp_path, "R": trained_run.path, "P": demo_photos}.get(a, a) for a in args]
    one_line(cli(*args, timeout=120), words)


def test_a_service_that_is_not_dask_is_one_line_within_the_limit(monkeypatch):
    import socket
    import time

    from pyphotoq import cluster

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)  # accepts, never answers: not a Dask scheduler
    port = server.getsockname()[1]
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 2)
    started = time.monotonic()
    try:
        with pytest.raises(PhotoqError, match=f"127.0.0.1:{port}"):
            cluster.dask_client(f"localhost:{port}".replace("localhost", "127.0.0.1"))
    finally:
        server.close()
    assert time.monotonic() - started < 30
    assert cluster.scheduler_address("localhost:8786") == "tcp://localhost:8786"


def test_training_on_a_cache_with_a_deleted_view_is_one_line(small_cache, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(small_cache.path, cache)
    victim = next((cache / "views" / "overview").rglob("*.jpg"))
    victim.unlink()
    with pytest.raises(PhotoqError, match="lacks .* run build_cache on the cache again"):
        pyphotoq.train_model(cache, tmp_path / "run", batches=2, validate_every=2, progress=False)


def test_the_sidecar_summary_counts_what_was_written(tmp_path, capsys):
    from pyphotoq.cli import _print_sidecars

    photos = tmp_path / "photos"
    photos.mkdir()
    paths = [jpeg(photos / f"{n}.jpg") for n in range(3)]
    table = write_sidecars(pd.DataFrame({"path": list(map(str, paths)), "rating": [5, 3, -1], "pick": [""] * 3}),
                           photos=photos)
    table.loc[1, ["written", "reason"]] = [False, f"{paths[1]}.xmp: could not be written (Read-only file system)"]
    _print_sidecars(table, dry_run=False, photos=str(photos / "my shoot"))
    out = capsys.readouterr().out
    assert out.startswith("XMP sidecars: 2 were created, 0 merged, 0 unchanged, 1 refused")
    assert f"undo with: pyphotoq undo '{photos / 'my shoot'}'" in out  # the user's path, not a placeholder
    assert "Read-only file system" in out


def test_cache_errors_print_no_tensorflow_lines(tmp_path):
    result = cli("cache", tmp_path / "nothing", tmp_path / "cache")
    one_line(result, "Photo folder not found")


def test_the_dry_run_lists_everything_or_says_how_many_more_and_never_na(tmp_path, capsys):
    from pyphotoq.cli import _print_sidecars
    from pyphotoq.photos.xmp import plan_sidecars

    photos = tmp_path / "trip"
    photos.mkdir()
    paths = [jpeg(photos / f"{n:02d}.jpg") for n in range(44)]
    plan = plan_sidecars(pd.DataFrame({"path": list(map(str, paths)), "rating": [4] * 44, "pick": ["accepted"] * 44}))
    _print_sidecars(plan, dry_run=True, photos=str(photos))
    out = capsys.readouterr().out
    assert out.startswith("XMP sidecars: 44 would be created")
    listed = [line for line in out.splitlines() if line.startswith("  create")]
    assert len(listed) == 40 and "  and 4 more" in out
    assert "<NA>" not in out and "rating none -> 4, pick none -> accepted" in listed[0]
