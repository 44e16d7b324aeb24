"""Learning from corrections (learning.py, cache.add_corrections, sources.corrected_photos)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import pyphotoq
from pyphotoq.data.cache_folder import read_corrections
from pyphotoq.core.errors import PhotoqError
from pyphotoq.photos.sources import corrected_photos


@pytest.fixture()
def shoot(tmp_path):
    """A culled shoot: 24 new demo photos sorted into good/ and bad/."""
    return pyphotoq.make_demo_photos(tmp_path / "shoot", n_photos=24, size=(128, 96), seed=7)


def test_learning_adds_the_sorted_photos_trains_on_from_the_best_and_relearns(own_run, shoot, demo_photos,
                                                                             trained_run):
    cache_folder, run_folder = own_run
    run = pyphotoq.open_run(run_folder)
    done, best = run.batches_done, run.state["best_batch"]
    before = pyphotoq.open_cache(cache_folder).manifest
    table = pyphotoq.learn_corrections(run_folder, shoot, batches=20, progress=False, verbose=False)
    row = table.iloc[0]
    assert list(table.columns) == pyphotoq.workflow.learning.LEARN_COLUMNS
    assert row["photos"] == 24 and row["added"] == 24 and row["relabelled"] == 0
    assert row["from_batch"] == done and row["to_batch"] == done + 20
    assert row["best_batch_before"] == best
    assert 0 <= row["validation_auc_before"] <= 1 and 0 <= row["validation_auc_after"] <= 1
    assert "Learned from 24 sorted photos (24 new to the cache, 0 relabelled" in table.attrs["summary"]
    cache = pyphotoq.open_cache(cache_folder)
    new = cache.manifest[~cache.manifest["hash"].isin(before["hash"])]
    assert len(new) == 24 and set(new["split"]) == {"train"}  # corrections teach
    # the photos cached before keep their split and label
    kept = cache.manifest.set_index("hash").loc[before["hash"]]
    assert list(kept["split"]) == list(before["split"]) and list(kept["label"]) == list(before["label"])
    assert row["training_photos"] == (cache.manifest["split"] == "train").sum()
    corrections = read_corrections(cache_folder)
    assert len(corrections) == 24 and set(corrections["source"]) == {str(Path(shoot).resolve())}
    run = pyphotoq.open_run(run_folder)
    assert run.batches_done == done + 20 and run.settings["batches"] == done + 20
    assert (run_folder / "checkpoints" / f"batch-{done + 20:06d}.keras").is_file()
    assert (run_folder / "checkpoints" / f"batch-{done:06d}.keras").is_file()  # earlier ones are kept
    # the booster learned from the corrected training photos and is blended with the best checkpoint
    booster = json.loads((run_folder / "booster" / "booster.json").read_text())
    assert booster["training_photos"] == row["training_photos"]
    assert booster["checkpoint"] == run.state["best"]

    # A later build from the training folder keeps the corrections.
    rebuilt = pyphotoq.build_cache(demo_photos, cache_folder, width=96, progress=False)
    pd.testing.assert_frame_equal(rebuilt.manifest, cache.manifest)
    assert rebuilt.summary.added == 0 and rebuilt.summary.removed == 0

    # The user moves a photo to bad/, deletes another and adds a broken file: learning again
    # from the folder (here on the command line) takes it as it is now, naming the broken file.
    moved = sorted((shoot / "good").iterdir())[0]
    target = shoot / "bad" / moved.name
    moved.rename(target)
    gone = next(p for p in sorted((shoot / "bad").iterdir()) if p != target)
    gone.unlink()
    (shoot / "good" / "broken.jpg").write_bytes(b"not a photo")
    result = subprocess.run(
        [sys.executable, "-m", "pyphotoq", "learn", str(run_folder), str(shoot), "--batches", "20", "--no-progress"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "broken.jpg: not an image" in result.stderr
    assert "Learned from 23 sorted photos (0 new to the cache, 1 relabelled" in result.stdout  # broken.jpg not counted
    assert f"trained 20 more batches, numbered {done + 21} to {done + 40}, starting from the weights of the best" in result.stdout
    corrections = read_corrections(cache_folder)
    assert len(corrections) == 24 and str(moved) not in set(corrections["path"])
    assert corrections.set_index("path").loc[str(target), "label"] == "bad"
    cache = pyphotoq.open_cache(cache_folder)
    assert cache.manifest.set_index("original").loc[str(target), "label"] == "bad"
    assert str(gone) not in set(cache.manifest["original"])
    assert list(cache.skipped["path"]) == [str(shoot / "good" / "broken.jpg")]

    # Learning is taken back by deleting corrections.csv, then building and training again: the
    # booster is fitted again on the photos as they were, to the same trees.
    (cache_folder / "corrections.csv").unlink()
    rebuilt = pyphotoq.build_cache(demo_photos, cache_folder, width=96, progress=False)
    assert rebuilt.summary.removed == 23 and rebuilt.skipped.empty
    pd.testing.assert_frame_equal(rebuilt.manifest.drop(columns="cached"), before.drop(columns="cached"))
    pyphotoq.train_model(cache_folder, run_folder, progress=False, plot=False)
    assert (run_folder / "booster" / "boosted.csv").read_bytes() == (trained_run.path / "booster" / "boosted.csv").read_bytes()


def test_corrections_come_from_class_folders_tables_and_edited_decisions(tmp_path, shoot):
    only_bad = tmp_path / "only_bad"
    shutil.copytree(shoot / "bad", only_bad / "bad")
    frame = corrected_photos(only_bad)  # one class is enough: corrections may all go one way
    assert set(frame["label"]) == {"bad"} and len(frame) == len(list((shoot / "bad").iterdir()))
    photos = sorted(str(p) for p in (shoot / "good").iterdir())[:3]
    decisions = pd.DataFrame({"path": photos, "score": [0.9, 0.5, 0.1], "decision": ["keep", "review", "reject"]})
    decisions.to_csv(tmp_path / "scores.csv", index=False)
    frame = corrected_photos(tmp_path / "scores.csv")
    assert list(frame["path"]) == [photos[0], photos[2]] and list(frame["label"]) == ["good", "bad"]
    pd.DataFrame({"path": photos[:2], "label": ["bad", "good"]}).to_csv(tmp_path / "labels.csv", index=False)
    assert list(corrected_photos(tmp_path / "labels.csv")["label"]) == ["bad", "good"]
    (tmp_path / "unsorted").mkdir()
    with pytest.raises(PhotoqError, match=r"No class folders in .*unsorted and no sidecar photoq wrote a decision into: move the photos you sorted"):
        corrected_photos(tmp_path / "unsorted")
    with pytest.raises(PhotoqError, match="Corrections not found"):
        corrected_photos(tmp_path / "missing")
    pd.DataFrame({"path": photos[:1], "decision": ["review"]}).to_csv(tmp_path / "undecided.csv", index=False)
    with pytest.raises(PhotoqError, match="No photos to learn from in .*undecided.csv"):
        corrected_photos(tmp_path / "undecided.csv")
    # decisions in any case, the class names too; others are left out and said, as are files not there
    edited = pd.DataFrame({"path": photos + [str(tmp_path / "gone.jpg"), photos[0]],
                           "decision": ["Keep ", "BAD", "maybe", "reject", "skipped"]})
    edited.to_csv(tmp_path / "edited.csv", index=False)
    frame = corrected_photos(tmp_path / "edited.csv")
    assert list(frame["label"]) == ["good", "bad"]
    assert frame.attrs["left_out"] == [
        f"1 row of {tmp_path / 'edited.csv'} with a decision that is not keep, reject, good or bad ('maybe'): left out",
        f"1 photo named in {tmp_path / 'edited.csv'} is not there (first: {tmp_path / 'gone.jpg'}): left out",
    ]
    pd.DataFrame({"file": photos, "verdict": "good"}).to_csv(tmp_path / "other.csv", index=False)
    with pytest.raises(PhotoqError, match="needs columns path and label, or path and decision .*: file, verdict"):
        corrected_photos(tmp_path / "other.csv")
    (tmp_path / "empty" / "good").mkdir(parents=True)
    with pytest.raises(PhotoqError, match="No photos in .*empty/good: nothing to learn from"):
        corrected_photos(tmp_path / "empty")


def test_learning_refuses_a_run_in_training_and_an_untrained_run(own_run, shoot):
    from pyphotoq.core.errors import RunBusy
    from pyphotoq.models.runs import lock_run

    cache_folder, run_folder = own_run
    held = lock_run(run_folder)  # another training holds the run
    try:
        with pytest.raises(RunBusy, match="Another training is writing to the run"):
            pyphotoq.learn_corrections(run_folder, shoot, progress=False, verbose=False)
    finally:
        held.close()
    assert not (cache_folder / "corrections.csv").exists()
    with pytest.raises(PhotoqError, match="No photoq run at .*no-run: run.json not found"):
        pyphotoq.learn_corrections(run_folder.parent / "no-run", shoot, progress=False, verbose=False)
    assert not (run_folder.parent / "no-run").exists()
    (run_folder / "state.json").write_text('{"batches_done": 0}\n')
    with pytest.raises(PhotoqError, match="has no checkpoint yet: train it before learning"):
        pyphotoq.learn_corrections(run_folder, shoot, progress=False, verbose=False)
    assert not (cache_folder / "corrections.csv").exists()


def test_corrections_keep_every_cached_photo_when_the_sources_index_is_damaged(small_cache, shoot, tmp_path):
    from pyphotoq.data.cache_build import add_corrections

    folder = tmp_path / "cache"
    shutil.copytree(small_cache.path, folder)
    (folder / "sources.csv").write_text("garbage\x00\n")
    frame = corrected_photos(shoot)
    updated = add_corrections(folder, frame, shoot)
    assert set(small_cache.manifest["hash"]) < set(updated.manifest["hash"])
    assert len(updated.manifest) == len(small_cache.manifest) + len(frame)
    assert updated.summary.removed == 0
    with pytest.raises(PhotoqError, match="labels the cache .* does not have: keepers"):
        add_corrections(folder, frame.assign(label="keepers"), shoot)


def test_the_validation_auc_before_learning_is_read_from_the_kept_scores(trained_run, small_cache, monkeypatch):
    from pyphotoq.workflow import evaluation
    from pyphotoq.models.metrics import binary_metrics

    frame = small_cache.split("validation")
    labels = (frame["label"] == small_cache.positive).to_numpy().astype(int)
    measured = binary_metrics(labels, evaluation.run_scores(trained_run, small_cache, frame))["auc"]
    calls = []
    real = evaluation.run_scores
    monkeypatch.setattr(evaluation, "run_scores", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert evaluation.validation_auc(trained_run, small_cache) == pytest.approx(measured, abs=1e-6)
    assert calls == []  # the validation split holds the same photos: nothing scored again
    relabelled = small_cache.manifest.copy()
    first = relabelled.index[relabelled["split"] == "validation"][0]
    relabelled.loc[first, "label"] = "bad" if relabelled.loc[first, "label"] == "good" else "good"
    monkeypatch.setattr(small_cache, "manifest", relabelled)  # labels matter, scores do not change
    labels = (small_cache.split("validation")["label"] == small_cache.positive).to_numpy().astype(int)
    rescored = binary_metrics(labels, real(trained_run, small_cache, small_cache.split("validation")))["auc"]
    assert evaluation.validation_auc(trained_run, small_cache) == pytest.approx(rescored, abs=1e-6)
    monkeypatch.setattr(small_cache, "manifest", small_cache.manifest[small_cache.manifest.index != first])
    evaluation.validation_auc(trained_run, small_cache)  # another set of photos: scored again
    assert len(calls) == 1
