"""Session fixtures for the training, evaluation, scoring and CLI tests: one tiny demo trip,
its cache and a short trained run, built once and shared (read-only) by those tests."""

import pytest

import pyphotoq


@pytest.fixture(scope="session")
def demo_photos(tmp_path_factory):
    """60 small demo photos (128x96) in good/ and bad/."""
    return pyphotoq.make_demo_photos(
        tmp_path_factory.mktemp("trip") / "photos", n_photos=60, size=(128, 96), seed=1
    )


@pytest.fixture(scope="session")
def small_cache(demo_photos, tmp_path_factory):
    """The demo photos cached at 96 px wide."""
    return pyphotoq.build_cache(
        demo_photos, tmp_path_factory.mktemp("cache") / "cache", width=96,
        progress=False, verbose=False,
    )


@pytest.fixture(scope="session")
def trained_run(small_cache, tmp_path_factory):
    """40 batches of 4, validated every 20."""
    return pyphotoq.train_model(
        small_cache, tmp_path_factory.mktemp("run") / "run", batches=40, validate_every=20,
        progress=False,
    )
