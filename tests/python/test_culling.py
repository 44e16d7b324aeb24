"""Keep / review / reject, quotas, bursts, exact duplicates and protected sequences (culling.py)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pyphotoq.workflow.culling import Culling, decide, precision_threshold
from pyphotoq.core.errors import PhotoqError

# validation: 40 good photos scored 0.3..1.0, 40 bad ones 0.0..0.6 (enough to place the lines)
VALIDATION = pd.DataFrame({
    "label": ["good"] * 40 + ["bad"] * 40,
    "score": list(np.linspace(0.305, 1.0, 40)) + list(np.linspace(0.0, 0.6, 40)),
})
LOOK = "f0f0f0f0f0f0f0f0"
OTHER = ["0f0f0f0f0f0f0f0f", "00ff00ff00ff00ff", "ff00ff00ff00ff00", "3c3c3c3c3c3c3c3c"]


def shots(rows):
    """A scored folder: (path, score, seconds after 12:00:00 or None, look, bias, exposure)."""
    table = []
    for path, score, second, look, bias, exposure in rows:
        table.append({
            "path": path, "score": score, "hash": path, "look": look,
            "taken": "" if second is None else f"2026-06-01 12:{second // 60:02d}:{second % 60:02d}",
            "exposure_bias": bias, "exposure_time": exposure, "f_number": 8.0 if exposure else np.nan,
            "iso": 100.0 if exposure else np.nan, "focal_length": 24.0 if exposure else np.nan,
        })
    return pd.DataFrame(table)


def test_lines_come_from_validation_and_make_a_review_band():
    good = (VALIDATION["label"] == "good").astype(int)
    keep = precision_threshold(good, VALIDATION["score"], 0.9)
    # at the keep line at least 90% of the validation photos kept are good; just below it, fewer
    assert (good[VALIDATION["score"] >= keep]).mean() >= 0.9
    lower = VALIDATION["score"][VALIDATION["score"] < keep].max()
    assert (good[VALIDATION["score"] >= lower]).mean() < 0.9
    frame = shots([("a", 0.99, None, OTHER[0], np.nan, None), ("b", lower, None, OTHER[1], np.nan, None),
                   ("c", 0.01, None, OTHER[2], np.nan, None)])
    table, lines = decide(frame, VALIDATION, "good")
    assert lines["keep"] == keep and lines["reject"] < lower
    # the reject line keeps 95% of the good validation photos above it
    assert good[VALIDATION["score"] >= lines["reject"]].sum() == 38
    assert list(table["decision"]) == ["keep", "review", "reject"]
    assert table.loc[0, "rule"].startswith("keep: score at or above the keep line")
    assert table.loc[1, "rule"].startswith("review:") and table.loc[2, "rule"].startswith("reject:")
    assert list(table["rating"]) == [4, 2, -1] and list(table["pick"]) == ["accepted", "pending", "rejected"]


def test_lines_set_on_few_validation_photos_widen_the_review_band_and_say_so():
    """8 good validation photos cannot place a 95%-recall reject line: it must not reject a good one."""
    few = pd.DataFrame({"label": ["good"] * 8 + ["bad"] * 13,
                        "score": list(np.linspace(0.2, 0.95, 8)) + list(np.linspace(0.0, 0.7, 13))})
    frame = shots([("a", 0.21, None, OTHER[0], np.nan, None), ("b", 0.5, None, OTHER[1], np.nan, None)])
    table, lines = decide(frame, few, "good")
    assert lines["reject"] <= 0.2 and lines["keep"] > 0.7
    assert "only 8 good and 13 other validation photos" in lines["rule"]
    assert list(table["decision"]) == ["review", "review"]
    _, enough = decide(frame, VALIDATION, "good")
    assert "widened" not in enough["rule"]


def test_a_threshold_makes_one_cut_and_a_quota_keeps_the_best():
    frame = shots([(f"p{i}", s, None, OTHER[i % 4], np.nan, None) for i, s in enumerate([0.9, 0.8, 0.5, 0.3, 0.01])])
    cut, _ = decide(frame, VALIDATION, "good", Culling(threshold=0.5))
    assert list(cut["decision"]) == ["keep", "keep", "keep", "reject", "reject"]
    quota, lines = decide(frame, VALIDATION, "good", Culling(best=2))
    assert list(quota["decision"][:2]) == ["keep", "keep"]
    assert quota.loc[0, "rule"] == "keep: among the best 2 by score"
    assert set(quota["decision"][2:]) <= {"review", "reject"}
    assert (quota.loc[quota["score"] < lines["reject"], "decision"] == "reject").all()
    share, _ = decide(frame, VALIDATION, "good", Culling(best_share=0.4))
    assert (share["decision"] == "keep").sum() == 2
    with pytest.raises(PhotoqError, match="not both"):
        decide(frame, VALIDATION, "good", Culling(best=1, best_share=0.5))


def test_the_culling_settings_are_one_checked_object_that_a_dict_can_stand_for():
    frame = shots([(f"p{i}", s, None, OTHER[i % 4], np.nan, None) for i, s in enumerate([0.9, 0.8, 0.5, 0.3, 0.01])])
    as_dict, _ = decide(frame, VALIDATION, "good", {"best": 2.0})  # R's numbers arrive as floats
    as_object, _ = decide(frame, VALIDATION, "good", Culling(best=2))
    pd.testing.assert_frame_equal(as_dict, as_object)
    assert Culling.of({"best": 2.0}).best == 2 and isinstance(Culling.of({"best": 2.0}).best, int)
    assert Culling.of(None) == Culling()
    with pytest.raises(PhotoqError, match="culling has no setting 'keep_precison': its settings are keep_precision"):
        Culling.of({"keep_precison": 0.8})
    with pytest.raises(PhotoqError, match=r"keep_precision must be in \(0, 1\], got 1.5"):
        Culling(keep_precision=1.5)
    with pytest.raises(PhotoqError, match="weaker_in_burst must be one of review, reject, keep"):
        Culling(weaker_in_burst="drop")
    with pytest.raises(PhotoqError, match="culling must be a pyphotoq.Culling"):
        Culling.of(0.9)


def test_the_score_command_takes_its_culling_defaults_from_the_object():
    from pyphotoq.cli_parser import build_parser

    args = build_parser().parse_args(["score", "run", "photos"])
    assert Culling(keep_precision=args.keep_precision, reject_recall=args.reject_recall,
                   burst_seconds=args.burst_seconds, weaker_in_burst=args.weaker_in_burst) == Culling()


def test_a_burst_keeps_its_best_shot_and_reviews_the_weaker_ones():
    frame = shots([("b1", 0.97, 0, LOOK, np.nan, None), ("b2", 0.99, 1, LOOK, np.nan, None),
                   ("b3", 0.98, 2, "f0f0f0f0f0f0f0f1", np.nan, None),
                   ("far", 0.99, 30, LOOK, np.nan, None)])  # alike, but 28 s later: not in the burst
    table, _ = decide(frame, VALIDATION, "good")
    by = table.set_index("path")
    assert by.loc[["b1", "b2", "b3"], "burst"].nunique() == 1 and by.loc["far", "burst"] == ""
    assert by.loc["b2", "best_in_burst"] and by.loc["b2", "decision"] == "keep" and by.loc["b2", "rating"] == 5
    for weaker in ("b1", "b3"):
        assert by.loc[weaker, "decision"] == "review"
        assert by.loc[weaker, "rule"] == "review: weaker duplicate of b2 (same burst)"
    rejected, _ = decide(frame, VALIDATION, "good", Culling(weaker_in_burst="reject"))
    assert (rejected.set_index("path").loc[["b1", "b3"], "decision"] == "reject").all()


def test_exact_duplicates_are_rejected_naming_the_first():
    frame = shots([("a/x.jpg", 0.99, None, OTHER[0], np.nan, None), ("b/x.jpg", 0.99, None, OTHER[0], np.nan, None)])
    frame["hash"] = "same"
    table, _ = decide(frame, VALIDATION, "good")
    by = table.set_index("path")
    assert by.loc["a/x.jpg", "decision"] == "keep" and by.loc["a/x.jpg", "duplicate_of"] == ""
    assert by.loc["b/x.jpg", "decision"] == "reject"
    assert by.loc["b/x.jpg", "rule"] == "reject: exact duplicate of a/x.jpg"


def test_brackets_and_panoramas_are_never_split():
    frame = shots([
        # an exposure bracket (-1, 0, +1 EV), one frame scores low: all three go to review
        ("k1", 0.99, 100, LOOK, 0.0, 0.01), ("k2", 0.98, 100, LOOK, -1.0, 0.005), ("k3", 0.02, 101, LOOK, 1.0, 0.02),
        # a panorama: same manual exposure, each frame unlike the last, all high: all kept
        ("p1", 0.99, 200, OTHER[0], 0.0, 0.004), ("p2", 0.98, 202, OTHER[1], 0.0, 0.004),
        ("p3", 0.97, 204, OTHER[2], 0.0, 0.004),
    ])
    table, _ = decide(frame, VALIDATION, "good")
    by = table.set_index("path")
    assert set(by.loc[["k1", "k2", "k3"], "sequence"]) == {"bracket 1"}
    assert (by.loc[["k1", "k2", "k3"], "decision"] == "review").all()
    assert "part of bracket" in by.loc["k3", "rule"]
    assert set(by.loc[["p1", "p2", "p3"], "sequence"]) == {"panorama 1"}
    assert (by.loc[["p1", "p2", "p3"], "decision"] == "keep").all()
    assert (by.loc[["p1", "p2", "p3"], "rating"] == 5).all()
    # the bracket's frames look alike and are seconds apart: a sequence is not a burst to thin out
    assert by.loc["k2", "decision"] == "review" and "weaker duplicate" not in by.loc["k2", "rule"]


def test_validation_with_one_class_is_refused():
    with pytest.raises(PhotoqError, match="both classes"):
        decide(shots([("a", 0.5, None, LOOK, np.nan, None)]), VALIDATION.assign(label="good"), "good")


# ---- score_photos on a shoot: the same rules on real files, XMP sidecars written and undone

def write_shot(path, image, second, bias=None, exposure=None):
    """Save `image` as a JPEG with EXIF capture time 2026-06-01 12:00:SS (+ exposure bias)."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0110] = "test camera"
    details = exif.get_ifd(0x8769)
    details[0x9003] = f"2026:06:01 12:{second // 60:02d}:{second % 60:02d}"
    if bias is not None:
        details[0x9204] = bias
    if exposure is not None:
        details[0x829A] = exposure
        details[0x829D], details[0x8827], details[0x920A] = 8.0, 100, 24.0
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=92, exif=exif)


def test_score_photos_culls_a_shoot_and_writes_xmp_sidecars_that_undo_restores(trained_run, demo_photos, tmp_path):
    import shutil
    import subprocess
    import sys

    from PIL import Image, ImageEnhance

    import pyphotoq

    sources = sorted((demo_photos / "good").glob("*.jpg"))
    shoot = tmp_path / "shoot"
    base = Image.open(sources[0]).convert("RGB")
    for k in range(3):  # a burst: the same view a second apart
        write_shot(shoot / f"burst_{k}.jpg", base.rotate(k * 0.3), 10 + k)
    for k, bias in enumerate((-1.0, 0.0, 1.0)):  # a bracket: one second, three exposures
        write_shot(shoot / f"bracket_{k}.jpg", ImageEnhance.Brightness(base).enhance(2.0 ** bias), 100, bias, 0.01)
    for k, source in enumerate(sources[1:5]):  # single shots minutes apart
        write_shot(shoot / f"single_{k}.jpg", Image.open(source).convert("RGB"), 600 + 300 * k)
    shutil.copyfile(shoot / "single_0.jpg", shoot / "single_0_copy.jpg")  # an exact duplicate
    table = pyphotoq.score_photos(trained_run, shoot, progress=False)
    by = table.set_index("path")
    path = {p.name: str(p) for p in shoot.iterdir()}
    assert set(table["decision"]) <= {"keep", "review", "reject"} and table["rule"].str.len().gt(0).all()
    assert by.loc[[path[f"burst_{k}.jpg"] for k in range(3)], "burst"].nunique() == 1
    assert by.loc[[path[f"burst_{k}.jpg"] for k in range(3)], "best_in_burst"].sum() == 1
    assert set(by.loc[[path[f"bracket_{k}.jpg"] for k in range(3)], "sequence"]) == {"bracket 1"}
    assert by.loc[[path[f"bracket_{k}.jpg"] for k in range(3)], "decision"].nunique() == 1
    assert by.loc[path["single_0_copy.jpg"], "decision"] == "reject"
    assert by.loc[path["single_0_copy.jpg"], "duplicate_of"] == path["single_0.jpg"]
    assert (table["camera"] == "test camera").all() and table["taken"].str.startswith("2026-06-01").all()
    lines = table.attrs
    assert lines["reject_threshold"] <= lines["threshold"]
    assert ((table["decision"] == "keep") == (table["rating"] >= 4)).all()

    # the dry run plans every sidecar and writes nothing; the real run writes them; undo removes them
    before = {p.name: p.read_bytes() for p in shoot.iterdir()}
    planned = pyphotoq.score_photos(trained_run, shoot, progress=False, dry_run=True).attrs["sidecars"]
    assert set(planned["action"]) == {"create"} and len(planned) == len(table)
    assert {p.name: p.read_bytes() for p in shoot.iterdir()} == before
    cli = [sys.executable, "-m", "pyphotoq"]
    done = subprocess.run([*cli, "score", str(trained_run.path), str(shoot), "--out", str(tmp_path / "s.csv"),
                           "--xmp", "--no-progress"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"XMP sidecars: {len(table)} were created" in done.stdout
    for row in table.itertuples():
        sidecar = shoot / (Path(row.path).name + ".xmp")
        text = sidecar.read_text(encoding="utf-8")
        assert f'Rating="{row.rating}"' in text or f"<xmp:Rating>{row.rating}</xmp:Rating>" in text
    for name, data in before.items():  # the photos themselves are never written
        assert (shoot / name).read_bytes() == data
    undone = subprocess.run([*cli, "undo", str(shoot)], capture_output=True, text=True)
    assert undone.returncode == 0, undone.stderr
    assert f"{len(table)} removed" in undone.stdout
    assert not list(shoot.glob("*.xmp"))


def test_ask_proposes_the_most_uncertain_photo_of_each_scene_first(trained_run, tmp_path):
    import subprocess
    import sys

    from PIL import Image

    import pyphotoq

    folder = tmp_path / "trip"
    sources = sorted(Path(trained_run.open_cache().manifest["original"].iloc[0]).parent.parent.rglob("*.jpg"))
    for k, source in enumerate(sources[:12]):  # 4 scenes of 3 shots, 10 s apart within, an hour between
        second = (k // 3) * 900 + (k % 3) * 10
        write_shot(folder / f"shot_{k:02d}.jpg", Image.open(source).convert("RGB"), second % 3600)
    asked = pyphotoq.ask_photos(trained_run, folder, n=5, progress=False)
    assert list(asked.columns) == ["path", "score", "decision", "margin", "scene", "why"]
    assert len(asked) == 5 and asked["path"].is_unique
    # the four scenes each give one photo before any gives a second
    assert asked["scene"].nunique() == 4
    scored = pyphotoq.score_photos(trained_run, folder, progress=False)
    line = scored.attrs["threshold"]
    assert np.allclose(asked["margin"], asked["score"] - line)
    logit = np.log(asked["score"].clip(1e-6, 1 - 1e-6) / (1 - asked["score"].clip(1e-6, 1 - 1e-6)))
    assert list(np.argsort(np.abs(logit - np.log(line / (1 - line))), kind="stable")) == list(range(5))
    out = subprocess.run([sys.executable, "-m", "pyphotoq", "ask", str(trained_run.path), str(folder), "--n", "3",
                          "--no-progress"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "3 photos to label" in out.stdout


def test_drift_names_what_differs_from_the_training_photos(trained_run):
    from pyphotoq.photos.camera import photo_exif
    from pyphotoq.workflow.culling import drift_text

    validation = pd.DataFrame({"label": ["good", "bad"] * 20, "score": np.linspace(0.2, 0.8, 40)})
    cache = trained_run.open_cache()
    train = cache.split("train")
    same = pd.DataFrame({
        "score": np.linspace(0.2, 0.8, 30), "camera": "",
        "megapixels": float((train["source_width"] * train["source_height"]).median() / 1e6),
        "brightness": pyphotoq_brightness(cache, train),
    })
    assert drift_text(trained_run, same, validation, photo_exif) == ""
    other = same.assign(score=np.linspace(0.0, 0.05, 30), megapixels=same["megapixels"] * 40,
                        brightness=same["brightness"] + 0.4, camera="Unseen X100")
    text = drift_text(trained_run, other, validation, photo_exif)
    assert text.startswith("the photos differ from the training photos: ")
    assert "scores sit lower than on validation" in text and "MP in training" in text and "brighter" in text


def pyphotoq_brightness(cache, train):
    from pyphotoq.workflow.facts import facts_table

    sample = train.sample(min(100, len(train)), random_state=0)
    return float(facts_table([cache.view_path(h) for h in sample["hash"]], progress=False)["brightness"].median())


def test_the_validation_auc_interval_is_wide_on_few_photos():
    from pyphotoq.workflow.training import auc_interval

    low, high = auc_interval(0.9, 8, 13)
    assert high - low > 0.2 and low < 0.9 < high
    low_many, high_many = auc_interval(0.9, 500, 500)
    assert high_many - low_many < 0.06
    perfect = auc_interval(1.0, 13, 21)  # a perfect AUC on few photos is not certain
    assert perfect[1] == 1.0 and perfect[0] < 0.95
