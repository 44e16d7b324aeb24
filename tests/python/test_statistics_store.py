"""The booster's statistics kept with the cache: measured once by training, read back exactly,
measured again when their definition changes or the file is damaged, resumed after a kill."""

import shutil

import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq.models import booster
from pyphotoq.data import statistics_store
from pyphotoq.models.booster import STATISTICS_VERSION, measure_statistics, statistic_names
from pyphotoq.models.prediction import predict_scores

VIEWS = ("overview", "detail")


@pytest.fixture()
def own_cache(small_cache, tmp_path):
    shutil.copytree(small_cache.path, tmp_path / "cache")
    return pyphotoq.open_cache(tmp_path / "cache")


def _counting(monkeypatch, fail_on=None):
    """booster._measure, counting the photos it measures (and failing on call `fail_on`, as a
    process killed there would stop)."""
    real, seen = booster._measure, []

    def measure(cache, frame, *args, **kwargs):
        seen.append(len(frame))
        if fail_on is not None and len(seen) == fail_on:
            raise KeyboardInterrupt("killed")
        return real(cache, frame, *args, **kwargs)

    monkeypatch.setattr(booster, "_measure", measure)
    return seen


def test_training_keeps_every_photos_statistics_as_measured(small_cache, trained_run, own_cache, monkeypatch):
    table = pd.read_csv(own_cache.path / "statistics.csv", dtype={"hash": str})
    table = table[table["views"] == "overview+detail"]  # (runs of an overview-only recipe keep their own rows)
    trained = pd.concat([small_cache.split("train"), small_cache.split("validation")])["hash"]
    assert set(trained) <= set(table["hash"])  # the boosters' photos, measured by training
    assert (table["version"] == STATISTICS_VERSION).all()
    frame = own_cache.split("test")
    _, measured = predict_scores(trained_run.load_model(), own_cache, frame, statistics=True)
    seen = _counting(monkeypatch)
    first = measure_statistics(own_cache, frame, VIEWS, progress=False)
    again = measure_statistics(own_cache, frame, VIEWS, progress=False)
    assert sum(seen) <= len(frame) and len(seen) <= 1  # measured once at most, then read back
    assert again.dtype == np.float32 and (again == measured).all() and (first == measured).all()  # bit for bit


def test_another_definition_or_a_damaged_file_is_measured_again(own_cache, monkeypatch, capsys):
    path = own_cache.path / "statistics.csv"
    frame = own_cache.manifest
    truth = measure_statistics(own_cache, frame, VIEWS, progress=False)
    table = pd.read_csv(path, dtype={"hash": str})
    names = statistic_names(VIEWS)
    table[names[0]] = table[names[0]] + 1
    table.assign(version=STATISTICS_VERSION - 1).to_csv(path, index=False)  # an older definition
    seen = _counting(monkeypatch)
    assert (measure_statistics(own_cache, frame, VIEWS, progress=False) == truth).all() and sum(seen) == len(frame)
    assert (pd.read_csv(path)["version"] == STATISTICS_VERSION).any()
    path.write_text("not,a,table\n\x00\x01")  # damaged: one line, measured again, rewritten
    seen.clear()
    assert (measure_statistics(own_cache, frame, VIEWS, progress=False) == truth).all() and sum(seen) == len(frame)
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "statistics.csv" in said[0] and "measuring again" in said[0]
    assert set(pd.read_csv(path, dtype={"hash": str})["hash"]) == set(frame["hash"])


def test_a_killed_measurement_goes_on_from_where_it_stopped(own_cache, monkeypatch):
    path = own_cache.path / "statistics.csv"
    path.unlink()
    monkeypatch.setattr(statistics_store, "CHUNK", 20)
    frame = own_cache.manifest
    seen = _counting(monkeypatch, fail_on=3)
    with pytest.raises(KeyboardInterrupt):
        measure_statistics(own_cache, frame, VIEWS, progress=False)
    assert len(pd.read_csv(path)) == 40  # the two chunks measured before the kill are kept
    seen.clear()
    measure_statistics(own_cache, frame, VIEWS, progress=False)
    assert sum(seen) == len(frame) - 40


def test_facts_are_kept_as_measured_and_read_back_by_evaluation(trained_run, own_cache, monkeypatch, tmp_path):
    from pyphotoq.workflow import facts
    from pyphotoq.workflow.facts import FACT_COLUMNS, FACTS_VERSION, cached_facts, facts_table

    frame = own_cache.split("test")
    truth = facts_table([own_cache.view_path(h) for h in frame["hash"]], progress=False)
    real, measured = facts.facts_table, []
    monkeypatch.setattr(facts, "facts_table", lambda paths, **kw: measured.append(len(paths)) or real(paths, **kw))
    (own_cache.path / statistics_store.FACTS_FILE).unlink(missing_ok=True)
    first = cached_facts(own_cache, frame["hash"], progress=False)
    again = cached_facts(own_cache, frame["hash"], progress=False)
    assert measured == [len(frame)]  # measured once, then read back
    pd.testing.assert_frame_equal(first, truth)
    pd.testing.assert_frame_equal(again, truth)  # bit for bit, portrait a bool again
    kept = pd.read_csv(own_cache.path / statistics_store.FACTS_FILE, dtype={"hash": str})
    assert list(kept.columns) == statistics_store.KEY_COLUMNS + FACT_COLUMNS
    kept.assign(version=FACTS_VERSION - 1).to_csv(own_cache.path / statistics_store.FACTS_FILE, index=False)
    pd.testing.assert_frame_equal(cached_facts(own_cache, frame["hash"], progress=False), truth)
    assert measured == [len(frame), len(frame)]  # an older definition is measured again
    # evaluation reads the kept facts: the same table, nothing measured
    run = tmp_path / "run"
    shutil.copytree(trained_run.path, run)
    info = pyphotoq.open_run(run).info
    info["cache"]["path"] = str(own_cache.path)
    (run / "run.json").write_text(__import__("json").dumps(info))
    evaluated = pyphotoq.evaluate_model(run, split="test", progress=False).predictions.set_index("hash")
    assert measured == [len(frame), len(frame)]
    expected = truth.set_index(frame["hash"].to_numpy()).loc[evaluated.index]
    for column in FACT_COLUMNS:
        assert (evaluated[column].to_numpy() == expected[column].to_numpy()).all(), column


def test_edited_copies_are_kept_under_their_own_key(own_cache, monkeypatch):
    frame = own_cache.split("train")
    plain = measure_statistics(own_cache, frame, VIEWS, progress=False)
    seen = _counting(monkeypatch)
    edited = measure_statistics(own_cache, frame, VIEWS, progress=False, edit_seed=5)
    assert sum(seen) == len(frame) and not (edited == plain).all()  # measured: a copy is not its photo
    seen.clear()
    again = measure_statistics(own_cache, frame, VIEWS, progress=False, edit_seed=5)
    assert sum(seen) == 0 and (again == edited).all()  # read back, bit for bit
    other = measure_statistics(own_cache, frame, VIEWS, progress=False, edit_seed=6)
    assert sum(seen) == len(frame) and not (other == edited).all()  # another edit is another copy
    table = pd.read_csv(own_cache.path / "statistics.csv", dtype={"hash": str})
    assert (table["views"] == booster.EDITED + "+".join(VIEWS)).sum() == 2 * len(frame)
