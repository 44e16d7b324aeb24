"""Scoring new photos straight from the source files."""

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq.core.errors import PhotoqError
from pyphotoq.workflow.scoring import SCORE_COLUMNS
from pyphotoq.models.booster import batch_statistics, load_booster
from pyphotoq.data.views import cached_view_pixels
from pyphotoq.models.runs import view_specs
from pyphotoq.workflow.facts import FACT_COLUMNS
from pyphotoq.photos.images import open_photo
from pyphotoq.photos.splits import look_hash
from pyphotoq.workflow.scoring import copy_keepers


@pytest.fixture(scope="module")
def new_trip(tmp_path_factory, demo_photos):
    """Eight unlabelled photos at two depths, a broken JPEG and a sidecar."""
    folder = tmp_path_factory.mktemp("new_trip")
    photos = sorted(demo_photos.glob("*/*.jpg"))[:8]
    for i, photo in enumerate(photos):
        target = folder / ("day2" if i % 2 else "") / photo.name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(photo, target)
    (folder / "broken.jpg").write_bytes(photos[0].read_bytes()[:300])
    (folder / "notes.xmp").write_text("<xmp/>")
    return folder


def _digests(folder):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_scores_a_folder_and_reports_the_broken_file(trained_run, new_trip):
    before = _digests(new_trip)
    table = pyphotoq.score_photos(trained_run, new_trip, progress=False)
    assert list(table.columns) == SCORE_COLUMNS
    assert SCORE_COLUMNS[:7] == ["path", "score", "decision", "rule", "rating", "pick", "margin"]
    assert len(table) == 9  # 8 photos + the broken one; the sidecar is ignored
    broken = table[table["path"].str.endswith("broken.jpg")].iloc[0]
    assert broken["decision"] == "skipped"
    assert "damaged or truncated" in broken["reason"]
    scored = table[table["decision"] != "skipped"]
    assert scored["score"].between(0, 1).all()
    assert list(scored["score"]) == sorted(scored["score"], reverse=True)
    keep, reject = table.attrs["threshold"], table.attrs["reject_threshold"]
    assert reject <= keep
    # the band (bursts and sequences aside: these demo photos are minutes apart, no EXIF bias)
    expected = np.where(scored["score"] >= keep, "keep", np.where(scored["score"] < reject, "reject", "review"))
    plain = scored["burst"].eq("") & scored["sequence"].eq("") & scored["duplicate_of"].eq("")
    assert (scored["decision"][plain] == expected[plain.to_numpy()]).all()
    assert all(rule.startswith(decision + ":") for rule, decision in zip(scored["rule"], scored["decision"]))
    assert _digests(new_trip) == before  # originals untouched


def test_scores_equal_the_model_and_booster_on_the_same_pixels(trained_run, new_trip):
    table = pyphotoq.score_photos(trained_run, new_trip, pyphotoq.Culling(threshold=0.5), progress=False)
    table = table[table["decision"] != "skipped"].set_index("path")
    model = trained_run.load_model("best")
    specs = view_specs(trained_run)
    overviews, patches, shots = [], [], []
    for path in table.index:
        # both views made from the source file as the cache makes them, through their encoding
        data = Path(path).read_bytes()
        opened = open_photo(data, 96)
        overviews.append(cached_view_pixels(data, specs["overview"], opened))
        patches.append(cached_view_pixels(data, specs["detail"], opened))
        shots.append({"hash": path, "taken": opened.taken, "look": look_hash(opened.image)})
    # one photo at a time (the photos have two shapes)
    each = [{"pixels": o[None], "patches": p[None]} for o, p in zip(overviews, patches)]
    assert each[0]["patches"].shape == (1, 6, 192, 192, 3)
    network = np.array([float(model.predict(views, verbose=0)[0, 1]) for views in each])
    statistics = np.concatenate([batch_statistics(views) for views in each])
    # the run's score: the booster over the photos' statistics and their scene among the
    # photos scored together, blended with the network at the weight validation chose
    booster = load_booster(trained_run)
    expected = booster.score(network, statistics, pd.DataFrame(shots))
    np.testing.assert_allclose(table["score"].to_numpy(), expected, atol=1e-5)


def test_keep_recall_threshold_keeps_every_good_validation_photo(trained_run, small_cache, new_trip):
    table = pyphotoq.score_photos(trained_run, new_trip, {"keep_recall": 1.0}, progress=False)
    # the run's validation scores (the booster's blend), as evaluation gives them
    validation = pyphotoq.evaluate_model(trained_run, split="validation", cache=small_cache).predictions
    lowest_good = validation.loc[validation["label"] == "good", "score"].min()
    assert table.attrs["threshold"] == pytest.approx(lowest_good)


def test_copy_keepers_copies_and_never_moves(trained_run, new_trip, tmp_path):
    table = pyphotoq.score_photos(trained_run, new_trip, pyphotoq.Culling(threshold=0.0), progress=False)
    placed = copy_keepers(table, tmp_path / "keepers")
    assert placed == 8 == len(list((tmp_path / "keepers").iterdir()))
    assert all(Path(p).exists() for p in table["path"])
    linked = copy_keepers(table, tmp_path / "linked", link=True)
    assert linked == 8


def test_empty_folder_is_a_clear_error(trained_run, tmp_path):
    with pytest.raises(pyphotoq.PhotoqError, match="No photos to score"):
        pyphotoq.score_photos(trained_run, tmp_path)


def test_one_photo_file_or_a_list_of_files_is_scored_as_the_folder_scores_them(trained_run, demo_photos, tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    files = sorted((demo_photos / "good").glob("*.jpg"))[:3]
    for photo in files:
        shutil.copy(photo, shoot / photo.name)
    copies = sorted(shoot.glob("*.jpg"))
    folder = pyphotoq.score_photos(trained_run, shoot, progress=False).set_index("path")
    listed = pyphotoq.score_photos(trained_run, [str(p) for p in copies], progress=False).set_index("path")
    assert sorted(listed.index) == sorted(folder.index)
    assert np.allclose(listed.loc[folder.index, "score"], folder["score"])
    one = pyphotoq.score_photos(trained_run, copies[0], progress=False)
    assert one["path"].tolist() == [str(copies[0])] and one["decision"].iloc[0] in ("keep", "review", "reject")
    (shoot / "notes.txt").write_text("not a photo")
    with pytest.raises(PhotoqError, match="Not a photo photoq reads: .*notes.txt"):
        pyphotoq.score_photos(trained_run, shoot / "notes.txt", progress=False)
