"""Scoring new photos straight from the source files."""

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

import pyphotoq
from pyphotoq.cache import cached_view_pixels
from pyphotoq.runs import view_specs
from pyphotoq.facts import FACT_COLUMNS
from pyphotoq.images import open_photo
from pyphotoq.prediction import predict_scores
from pyphotoq.scoring import copy_keepers


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
    assert list(table.columns) == ["path", "score", "decision", "margin", *FACT_COLUMNS, "reason"]
    assert len(table) == 9  # 8 photos + the broken one; the sidecar is ignored
    broken = table[table["path"].str.endswith("broken.jpg")].iloc[0]
    assert broken["decision"] == "skipped"
    assert "damaged or truncated" in broken["reason"]
    scored = table[table["decision"] != "skipped"]
    assert scored["score"].between(0, 1).all()
    assert list(scored["score"]) == sorted(scored["score"], reverse=True)
    threshold = table.attrs["threshold"]
    assert (scored["decision"] == np.where(scored["score"] >= threshold, "keep", "reject")).all()
    assert _digests(new_trip) == before  # originals untouched


def test_scores_equal_the_model_on_the_same_pixels(trained_run, new_trip):
    table = pyphotoq.score_photos(trained_run, new_trip, threshold=0.5, progress=False)
    model = trained_run.load_model("best")
    row = table.iloc[0]
    # both views made from the source file as the cache makes them, through their encoding
    specs = view_specs(trained_run)
    data = Path(row["path"]).read_bytes()
    opened = open_photo(data, 96)
    views = {"pixels": cached_view_pixels(data, specs["overview"], opened)[None],
             "patches": cached_view_pixels(data, specs["detail"], opened)[None]}
    assert views["patches"].shape == (1, 6, 192, 192, 3)
    assert row["score"] == pytest.approx(float(model.predict(views, verbose=0)[0, 1]), abs=1e-5)


def test_keep_recall_threshold_keeps_every_good_validation_photo(trained_run, small_cache, new_trip):
    table = pyphotoq.score_photos(trained_run, new_trip, keep_recall=1.0, progress=False)
    frame = small_cache.split("validation")
    scores = predict_scores(trained_run.load_model("best"), small_cache, frame)
    lowest_good = scores[(frame["label"] == "good").to_numpy()].min()
    assert table.attrs["threshold"] == pytest.approx(lowest_good)


def test_copy_keepers_copies_and_never_moves(trained_run, new_trip, tmp_path):
    table = pyphotoq.score_photos(trained_run, new_trip, threshold=0.0, progress=False)
    placed = copy_keepers(table, tmp_path / "keepers")
    assert placed == 8 == len(list((tmp_path / "keepers").iterdir()))
    assert all(Path(p).exists() for p in table["path"])
    linked = copy_keepers(table, tmp_path / "linked", link=True)
    assert linked == 8


def test_empty_folder_is_a_clear_error(trained_run, tmp_path):
    with pytest.raises(pyphotoq.PhotoqError, match="No photos to score"):
        pyphotoq.score_photos(trained_run, tmp_path)
