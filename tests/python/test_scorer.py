"""One scorer (pyphotoq.workflow.scorer.Scorer): cached photos and new files get one score from
one object, its lines are the ones scoring applies, and a network without weight is never loaded."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq.core.errors import PhotoqError
from pyphotoq.workflow.culling import EXIF_NUMBERS, Culling
from pyphotoq.workflow.scorer import Scorer


def _weighted(trained_run, folder, weight):
    """A copy of the run whose blend gives the network `weight` (0 to 1)."""
    run = folder / "run"
    shutil.copytree(trained_run.path, run)
    info = json.loads((run / "booster" / "booster.json").read_text())
    (run / "booster" / "booster.json").write_text(json.dumps({**info, "network_weight": weight}))
    return run


def test_cached_photos_and_their_files_get_one_score_with_the_network_in_the_blend(trained_run, small_cache,
                                                                                  tmp_path):
    run = _weighted(trained_run, tmp_path, 0.5)
    scorer = Scorer(run)
    assert scorer.uses_network and scorer.measures_statistics
    frame = small_cache.split("test")
    cached, why = scorer.score_cached(small_cache, frame, reasons=True)
    network = scorer.cached_parts(small_cache, frame)[0]
    assert np.isfinite(network).all()
    # the network's part moves the score: the blend is not the booster alone
    alone = scorer.booster.boosted(scorer.cached_parts(small_cache, frame)[1], frame)
    assert np.abs(cached - alone).max() > 1e-4
    assert len(why) == len(frame) and all(why)
    # the same photos as new files, measured and batched as score_photos does
    table = pyphotoq.score_photos(run, list(frame["original"]), {"threshold": 0.5}, progress=False)
    by_path = dict(zip(table["path"], table["score"]))
    assert [by_path[o] for o in frame["original"]] == pytest.approx(list(cached), abs=1e-5)


def test_the_scorer_gives_the_lines_and_verdicts_that_scoring_applies(trained_run):
    scorer = Scorer(trained_run)
    originals = sorted(pyphotoq.evaluate_model(trained_run, progress=False).predictions["original"])
    table = pyphotoq.score_photos(trained_run, originals, progress=False)
    lines = scorer.lines()
    assert lines["keep"] == table.attrs["threshold"] and lines["reject"] == table.attrs["reject_threshold"]
    assert lines["rule"] == table.attrs["rule"]
    # photos hours apart (no bursts, no sequences): the verdict is the cut alone
    shots = pd.DataFrame({"path": [f"p{i}.jpg" for i in range(5)], "hash": [f"h{i}" for i in range(5)],
                          "taken": [f"2026:01:0{i + 1} 10:00:00" for i in range(5)], "look": "",
                          "score": [0.1, 0.3, 0.5, 0.7, 0.9], "camera": "",
                          **{name: np.nan for name in EXIF_NUMBERS}})
    decided, used = scorer.decide(shots, Culling(threshold=0.5))
    assert used["keep"] == 0.5
    assert list(decided["decision"]) == ["reject", "reject", "keep", "keep", "keep"]
    decided, used = scorer.decide(shots)
    assert used["keep"] == lines["keep"] and used["reject"] == lines["reject"]


def test_a_network_without_weight_is_never_loaded(trained_run, small_cache, tmp_path):
    whole = _weighted(trained_run, tmp_path / "whole", 0.0)
    broken = _weighted(trained_run, tmp_path / "broken", 0.0)
    best = pyphotoq.open_run(broken).checkpoint_path("best")
    best.write_bytes(b"not a Keras file")  # any attempt to load the network now fails
    frame = small_cache.split("test")
    scorer = Scorer(broken)
    assert not scorer.uses_network
    assert scorer.views == tuple(scorer.booster.info["views"])
    expected = Scorer(whole).score_cached(small_cache, frame)[0]
    np.testing.assert_array_equal(scorer.score_cached(small_cache, frame)[0], expected)
    originals = list(frame["original"])
    scored = pyphotoq.score_photos(broken, originals, progress=False)
    assert (scored["decision"] != "skipped").all()
    assert pyphotoq.evaluate_model(broken, progress=False).auc == pytest.approx(
        pyphotoq.evaluate_model(whole, progress=False).auc)
    # what needs the network says so: the explanation draws its map
    with pytest.raises(PhotoqError, match="cannot be loaded"):
        pyphotoq.explain_photos(broken, originals[:1], out=tmp_path / "maps", progress=False)
