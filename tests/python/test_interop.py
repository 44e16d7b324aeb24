"""pyphotoq.interop: results for R as plain Python values only (no numpy, no pandas)."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq.workflow.scoring import SCORE_COLUMNS
from pyphotoq.workflow.facts import FACT_COLUMNS
from pyphotoq import interop

PLAIN = (type(None), bool, int, float, str)


def assert_plain(value, where="result"):
    """Every value at any depth is None, bool, int, float, str, a list or a str-keyed dict."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{where}: key {key!r} is {type(key)}"
            assert_plain(item, f"{where}[{key!r}]")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_plain(item, f"{where}[{i}]")
    else:
        assert type(value) in PLAIN, f"{where} is {type(value)}: {value!r}"
        if type(value) is float:
            assert not math.isnan(value), f"{where} is NaN, not None"


def test_to_plain_replaces_numpy_and_pandas_types():
    value = {
        "a": np.float64(1.5), "b": np.int64(3), "c": np.bool_(True), "d": np.array([1, 2]),
        "e": float("nan"), "f": np.float32("nan"), "g": (Path("/x"), pd.NaT, pd.NA),
        "h": pd.Timestamp("2026-07-01 09:00"), "i": [np.str_("s")], 5: float("inf"),
    }
    plain = interop.to_plain(value)
    assert_plain(plain)
    assert plain["a"] == 1.5 and type(plain["b"]) is int and plain["c"] is True
    assert plain["d"] == [1, 2]
    assert plain["e"] is None and plain["f"] is None
    assert plain["g"] == ["/x", None, None]
    assert plain["h"] == "2026-07-01T09:00:00"
    assert plain["i"] == ["s"]
    assert plain["5"] == math.inf


def test_table_columns_types_and_missing_values():
    frame = pd.DataFrame({
        "name": ["a", "b", None],
        "count": np.array([1, 2, 3], dtype="int64"),
        "score": [0.5, np.nan, 1.0],
        "ok": [True, False, True],
        "mixed": [1, 2.5, None],
    })
    table = interop.table_columns(frame)
    assert_plain(table)
    assert table["columns"] == ["name", "count", "score", "ok", "mixed"]
    assert table["types"] == ["str", "int", "float", "bool", "float"]
    assert table["data"]["name"] == ["a", "b", None]
    assert table["data"]["count"] == [1, 2, 3]
    assert table["data"]["score"] == [0.5, None, 1.0]
    assert table["data"]["ok"] == [True, False, True]
    assert table["data"]["mixed"] == [1.0, 2.5, None]


def test_empty_table_keeps_its_column_types():
    frame = pd.DataFrame({"fpr": pd.Series([], dtype=float), "label": pd.Series([], dtype=str)})
    table = interop.table_columns(frame)
    assert table == {"columns": ["fpr", "label"], "types": ["float", "str"],
                     "data": {"fpr": [], "label": []}}
    assert interop.table_columns(pd.DataFrame(columns=["a", "b"]))["types"] == ["str", "str"]


def test_cache_and_run_results(small_cache, trained_run, make_photos, tmp_path):
    result = interop.cache_result(small_cache)
    assert_plain(result)
    assert result["path"] == str(small_cache.path) and result["id"] == small_cache.id
    photos = make_photos(n=6)
    for added in (6, 0):
        built = pyphotoq.build_cache(photos, tmp_path / "cache", width=96,
                                     progress=False)
        result = interop.cache_result(built)
        assert_plain(result)
        assert result["build"]["added"] == added
        assert result["build"]["reused"] == 6 - added
        assert result["build"]["photos"] == 6
        assert "photos in the cache" in result["build"]["text"]
    run = interop.run_result(trained_run)
    assert_plain(run)
    assert run == {"path": str(trained_run.path), "batches_done": trained_run.batches_done}


def test_evaluation_score_and_checkpoint_results(trained_run, demo_photos):
    evaluation = pyphotoq.evaluate_model(trained_run)
    result = interop.evaluation_result(evaluation)
    assert_plain(result)
    assert result["auc"] == evaluation.auc and result["threshold"] == evaluation.threshold
    assert result["positive"] == "good" and result["negative"] == "bad"
    predictions = result["predictions"]
    assert predictions["columns"] == list(evaluation.predictions.columns)
    assert predictions["data"]["score"] == evaluation.predictions["score"].tolist()
    assert predictions["types"][predictions["columns"].index("correct")] == "bool"
    roc = result["roc"]
    assert roc["data"]["threshold"][0] == math.inf
    assert roc["data"]["tpr"] == evaluation.roc["tpr"].tolist()
    assert result["summary"] == evaluation.summary()

    scores = pyphotoq.score_photos(trained_run, demo_photos / "good", progress=False)
    scored = interop.score_result(scores)
    assert_plain(scored)
    assert scored["threshold"] == scores.attrs["threshold"]
    assert scored["table"]["columns"] == SCORE_COLUMNS
    assert scored["reject_threshold"] == scores.attrs["reject_threshold"] and scored["drift"] == scores.attrs["drift"]

    table = interop.checkpoints_result(pyphotoq.evaluate_checkpoints(trained_run, splits=("test",)))
    assert_plain(table)
    assert table["columns"] == ["batch", "split", "auc", "accuracy", "f1"]
    assert table["types"][:2] == ["int", "str"]


def test_nan_metrics_become_none(trained_run):
    """A split of one class: AUC is NaN in Python, None (R's NA) for R."""
    evaluation = pyphotoq.evaluate_model(trained_run)
    one_class = evaluation.predictions[evaluation.predictions["label"] == "good"]
    evaluation.auc = float("nan")
    evaluation.predictions = one_class.assign(score=[np.nan] + [0.5] * (len(one_class) - 1))
    evaluation.roc = pd.DataFrame(columns=["fpr", "tpr", "threshold"])
    result = interop.evaluation_result(evaluation)
    assert_plain(result)
    assert result["auc"] is None
    assert result["predictions"]["data"]["score"][0] is None
    assert result["roc"]["data"] == {"fpr": [], "tpr": [], "threshold": []}


def test_model_result():
    model = pyphotoq.build_model("original")
    result = interop.model_result(model)
    assert_plain(result)
    assert result["parameters"] == 47_266 == result["trainable_parameters"]
    assert result["name"] == "photoq_gap_cnn"


@pytest.mark.parametrize("value", [np.float64(2.0), np.int32(7), np.bool_(False)])
def test_numpy_scalars_become_python_scalars(value):
    plain = interop.to_plain(value)
    assert type(plain) in (float, int, bool)
    assert plain == value.item()


def test_call_returns_the_result_or_a_plain_failure(tmp_path):
    assert interop.call("write_conda_env", tmp_path / "env.yml", name="x") == tmp_path / "env.yml"
    assert interop.failure_info(tmp_path) is None
    failure = interop.call("open_cache", tmp_path / "nowhere")
    info = interop.failure_info(failure)
    assert_plain(info)
    assert info["photoq"] is True and info["type"] == "pyphotoq.core.errors.PhotoqError"
    assert info["message"].startswith("No photoq cache at")
    info = interop.failure_info(interop.call("make_demo_photos", tmp_path, n_photos=1))
    assert info["photoq"] is False and info["type"] == info["name"] == "ValueError"
    assert "n_photos must be at least 2" in info["message"]
    # `name` is positional-only, so a keyword `name` reaches the function
    assert interop.call("write_conda_env", tmp_path / "b.yml", name="name").exists()
