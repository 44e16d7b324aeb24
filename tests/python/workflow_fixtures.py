"""Session fixtures for the training, evaluation, scoring and CLI tests: one tiny demo trip,
its cache and a short trained run, built once and shared (read-only) by those tests."""

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
        split_fractions=(0.6, 0.2, 0.2), progress=False, verbose=False,
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
