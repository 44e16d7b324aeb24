"""Session fixtures for the training, evaluation, scoring and CLI tests: one tiny demo trip,
its cache and a short trained run, built once and shared (read-only) by those tests."""

import json
import shutil

import pytest

import pyphotoq


@pytest.fixture(scope="session")
def demo_photos(tmp_path_factory):
    """80 small demo photos (128x96) in good/ and bad/."""
    return pyphotoq.make_demo_photos(
        tmp_path_factory.mktemp("trip") / "photos", n_photos=80, size=(128, 96), seed=1
    )


@pytest.fixture(scope="session")
def small_cache(demo_photos, tmp_path_factory):
    """The demo photos cached at 96 px wide, split 60/20/20 so every split has both classes."""
    cache = pyphotoq.build_cache(
        demo_photos, tmp_path_factory.mktemp("cache") / "cache", width=96,
        split=pyphotoq.Splitting(fractions=(0.6, 0.2, 0.2)), progress=False,
    )
    classes = cache.manifest.groupby("split")["label"].nunique()
    assert (classes == 2).all() and len(classes) == 3, f"a split lacks a class: {classes}"
    return cache


@pytest.fixture(scope="session")
def trained_run(small_cache, tmp_path_factory):
    """40 batches of 4, validated every 20."""
    return pyphotoq.train_model(
        small_cache, tmp_path_factory.mktemp("run") / "run", batches=40, validate_every=20,
        progress=False,
    )


@pytest.fixture()
def own_run(small_cache, trained_run, tmp_path):
    """A copy of the shared cache and run that a test may change (the run points at the copy)."""
    cache = tmp_path / "cache"
    run = tmp_path / "run"
    shutil.copytree(small_cache.path, cache)
    shutil.copytree(trained_run.path, run)
    info = json.loads((run / "run.json").read_text())
    info["cache"]["path"] = str(cache)
    (run / "run.json").write_text(json.dumps(info, indent=2) + "\n")
    return cache, run
