"""The booster's statistics kept with the cache: measured once by training, read back exactly,
measured again when their definition changes or the file is damaged, resumed after a kill."""

import shutil

import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq import booster, statistics_store
from pyphotoq.booster import STATISTICS_VERSION, measure_statistics, statistic_names
from pyphotoq.prediction import predict_scores

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
