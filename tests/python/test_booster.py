"""The booster: gradient-boosted trees over image statistics compared with the photo's scene,
fitted beside the best checkpoint of a default run and blended with it."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq.models.booster import (
    MIN_SCENE, NETWORK_WEIGHTS, load_booster, scene_features, statistic_names,
)
from pyphotoq.models.booster_fit import scene_training_rows
from pyphotoq.models.prediction import predict_scores
from pyphotoq.models.recipes import resolve
from pyphotoq.models.statistics import NAMES


def _shots(times, looks=None):
    return pd.DataFrame({
        "hash": [f"{i:04x}" for i in range(len(times))],
        "taken": times,
        "look": looks if looks is not None else [""] * len(times),
    })


def test_scene_features_compare_each_photo_with_its_scene():
    # six shots a few seconds apart, then two shots an hour later, then one without a time
    times = [f"2026-06-01 07:00:{s:02d}" for s in (0, 4, 9, 15, 20, 26)]
    times += ["2026-06-01 08:00:00", "2026-06-01 08:00:05", ""]
    statistics = np.arange(len(times) * 3, dtype=float).reshape(len(times), 3) ** 1.5
    features, in_scene = scene_features(_shots(times), statistics)
    assert features.shape == (9, 6)
    np.testing.assert_array_equal(features[:, :3], statistics)
    assert list(in_scene) == [True] * 6 + [False] * 3 and MIN_SCENE == 5
    np.testing.assert_allclose(features[:6, 3:], statistics[:6] - np.median(statistics[:6], axis=0))
    assert np.isnan(features[6:, 3:]).all()  # too small a scene (or alone): no comparison


def test_the_scene_booster_also_learns_each_keeper_among_the_keepers_of_its_scene():
    # a scene of four keepers and three rejects, another of two keepers and four rejects
    times = [f"2026-06-01 07:00:{s:02d}" for s in range(0, 35, 5)] + [f"2026-06-01 09:00:{s:02d}" for s in range(0, 30, 5)]
    labels = np.array([1, 1, 1, 1, 0, 0, 0] + [1, 1, 0, 0, 0, 0])
    block = np.arange(len(times) * 2, dtype=float).reshape(len(times), 2) ** 1.5
    rows, row_labels, in_scenes, keeper_rows = scene_training_rows(_shots(times), [block], labels)
    assert in_scenes == 13 and keeper_rows == 0  # no scene has MIN_SCENE keepers: nothing more
    labels[4] = 1  # the first scene: five keepers and two rejects
    rows, row_labels, in_scenes, keeper_rows = scene_training_rows(_shots(times), [block, block + 1], labels)
    assert keeper_rows == 2 * 5 and len(rows) == 2 * 13 + 10 and (row_labels[-10:] == 1).all()
    keepers = block[[0, 1, 2, 3, 4]]
    np.testing.assert_allclose(rows[-10:-5, 2:], keepers - np.median(keepers, axis=0))  # among the keepers only
    np.testing.assert_allclose(rows[:7, 2:], block[:7] - np.median(block[:7], axis=0))  # among the whole scene
    # too few photos in scenes of both classes: every row as it is, nothing more
    rows, row_labels, _, keeper_rows = scene_training_rows(_shots(times[:6]), [block[:6]], np.ones(6, int))
    assert keeper_rows == 0 and len(rows) == 6


def test_the_network_gets_weight_only_beyond_the_noise_of_validation():
    from pyphotoq.models.booster_fit import network_weight

    aucs = {0.0: 0.832, 0.25: 0.843, 0.5: 0.850, 0.75: 0.863, 1.0: 0.783}
    # 87 validation photos: 0.75 validates best, but by less than its standard error (0.04)
    weight, error = network_weight(aucs, 31, 56)
    assert weight == 0.0 and 0.03 < error < 0.05
    # 2,000 validation photos: the same gain is beyond the noise
    assert network_weight(aucs, 1000, 1000)[0] == 0.75
    assert network_weight({0.0: float("nan"), 0.5: float("nan")}, 3, 3)[0] == 0.0


def test_statistic_names_follow_the_views():
    assert statistic_names(("overview",)) == [f"overview_{n}" for n in NAMES]
    both = statistic_names(("overview", "detail"))
    assert len(both) == 4 * len(NAMES) and "detail_max_sharpness_full" in both


def test_default_run_has_a_booster_blended_with_its_best_checkpoint(trained_run, small_cache):
    folder = trained_run.path / "booster"
    info = json.loads((folder / "booster.json").read_text())
    assert info["keeper_rows"] == scene_training_rows(small_cache.split("train"), [
        np.zeros((len(small_cache.split("train")), 1))], (small_cache.split("train")["label"] == "good").to_numpy())[3]
    assert info["checkpoint"] == trained_run.state["best"]
    assert info["network_weight"] in NETWORK_WEIGHTS
    assert info["features"] == statistic_names(("overview", "detail"))
    assert set(info["validation_auc"]) == {f"{w:g}" for w in NETWORK_WEIGHTS}
    # LightGBM's own text format: readable, and loading it runs no code
    assert (folder / "scene.txt").read_text().startswith("tree")
    boosted = pd.read_csv(folder / "boosted.csv", dtype={"hash": str})
    network = trained_run.validation_scores("best").set_index("hash")["score"].reindex(boosted["hash"])
    blended = pd.read_csv(folder / "validation.csv", dtype={"hash": str})
    w = info["network_weight"]
    logit = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6) / (1 - np.clip(p, 1e-6, 1 - 1e-6)))  # noqa: E731
    expected = 1 / (1 + np.exp(-(w * logit(network.to_numpy()) + (1 - w) * logit(boosted["boosted"].to_numpy()))))
    np.testing.assert_allclose(blended["score"], expected, rtol=1e-9)
    assert "booster" in resolve() and resolve()["booster"] is True
    assert f"booster (network weight {w:g}, validation AUC" in repr(trained_run)


def test_evaluation_scores_with_the_booster_at_the_best_checkpoint_only(trained_run, small_cache):
    result = pyphotoq.evaluate_model(trained_run, split="test")
    frame = small_cache.split("test")
    model = trained_run.load_model("best")
    network, statistics = predict_scores(model, small_cache, frame, statistics=True)
    assert statistics.shape == (len(frame), 4 * len(NAMES)) and np.isfinite(statistics).all()
    booster = load_booster(trained_run)
    expected = pd.Series(booster.score(network, statistics, frame), index=frame["hash"].to_numpy())
    got = result.predictions.set_index("hash")["score"]
    np.testing.assert_allclose(got.reindex(expected.index), expected, rtol=1e-9)
    # the threshold is chosen on the blended validation scores
    validation = pyphotoq.evaluate_model(trained_run, split="validation")
    assert validation.threshold == pytest.approx(result.threshold)
    # another checkpoint scores with its network alone
    other = 20 if trained_run.state["best_batch"] != 20 else 40
    assert load_booster(trained_run, other) is None
    alone = pyphotoq.evaluate_model(trained_run, split="test", checkpoint=other)
    plain = pd.Series(predict_scores(trained_run.load_model(other), small_cache, frame), index=frame["hash"].to_numpy())
    np.testing.assert_allclose(alone.predictions.set_index("hash")["score"].reindex(plain.index), plain, rtol=1e-6)


def test_a_lost_or_stale_booster_is_fitted_again_the_same(trained_run, small_cache, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained_run.path, run)
    before = {name: (run / "booster" / name).read_bytes() for name in ("scene.txt", "alone.txt", "booster.json")}
    # a blend left behind by another best checkpoint: scored by the network alone, said once
    info = json.loads(before["booster.json"])
    (run / "booster" / "booster.json").write_text(json.dumps({**info, "checkpoint": "checkpoints/other.keras"}))
    handle = pyphotoq.open_run(run)
    assert load_booster(handle) is None
    assert "blended with the best checkpoint when training ends" in capsys.readouterr().err
    pyphotoq.train_model(small_cache, run, batches=40, validate_every=20, progress=False)
    assert (run / "booster" / "booster.json").read_bytes() == before["booster.json"]
    # a fit killed before it wrote anything: train_model fits it again, byte for byte
    shutil.rmtree(run / "booster")
    pyphotoq.train_model(small_cache, run, batches=40, validate_every=20, progress=False)
    for name, content in before.items():
        assert (run / "booster" / name).read_bytes() == content, name


def test_a_damaged_booster_is_one_clear_line(trained_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run.path, run)
    scene = run / "booster" / "scene.txt"
    outside = tmp_path / "elsewhere.txt"
    shutil.copy(scene, outside)
    scene.write_text("not a model\n")
    with pytest.raises(pyphotoq.PhotoqError, match=r"The booster in .*booster cannot be read .*train_model again"):
        pyphotoq.evaluate_model(run, split="test")
    scene.unlink()
    scene.symlink_to(outside)  # a model file that is a link out of the run folder
    with pytest.raises(pyphotoq.PhotoqError, match="Refused booster file .*outside"):
        pyphotoq.evaluate_model(run, split="test")


def test_booster_setting_is_checked_and_fixed_off_for_the_original():
    assert resolve("original")["booster"] is False
    assert resolve("two-branch", booster=False)["booster"] is False
    with pytest.raises(pyphotoq.PhotoqError, match="'original' fixes booster=False"):
        resolve("original", booster=True)
    with pytest.raises(pyphotoq.PhotoqError, match="booster must be TRUE or FALSE, got 'yes'"):
        resolve(None, booster="yes")


def test_a_booster_without_network_weight_evaluates_without_the_network(trained_run, small_cache, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run.path, run)
    info = json.loads((run / "booster" / "booster.json").read_text())
    (run / "booster" / "booster.json").write_text(json.dumps({**info, "network_weight": 0.0}))
    handle = pyphotoq.open_run(run)
    booster = load_booster(handle)
    assert not booster.needs_network
    frame = small_cache.split("test")
    _, statistics = predict_scores(None, small_cache, frame, statistics=True, network=False, views=info["views"])
    expected = booster.score(np.full(len(frame), np.nan), statistics, frame)
    # the network is neither loaded nor run: a checkpoint that cannot be read does not matter
    checkpoint = Path(handle.checkpoint_path("best"))
    checkpoint.write_bytes(b"not a model")
    result = pyphotoq.evaluate_model(handle, split="test")
    got = result.predictions.set_index("hash")["score"].reindex(frame["hash"].to_numpy())
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    # nor for the report, which then draws no activation maps and says why
    page = pyphotoq.report(handle, tmp_path / "report.html", progress=False).read_text(encoding="utf-8")
    assert "activation map of" not in page and "gave the network no weight" in page
