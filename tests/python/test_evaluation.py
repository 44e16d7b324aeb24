"""Evaluation: threshold chosen on validation, metrics checked against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

import pyphotoq
from pyphotoq.models.booster import load_booster
from pyphotoq.models.metrics import best_f1_threshold, recall_threshold, roc_table
from pyphotoq.models.prediction import predict_scores


def test_best_f1_threshold_beats_every_other_cut():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.clip(labels * 0.3 + rng.normal(0.4, 0.2, 200), 0, 1)
    chosen = best_f1_threshold(labels, scores)
    best = f1_score(labels, scores >= chosen)
    for cut in np.unique(scores):
        assert f1_score(labels, scores >= cut) <= best + 1e-12


def test_recall_threshold_keeps_the_asked_share_of_positives():
    labels = np.array([1] * 20 + [0] * 20)
    scores = np.linspace(0, 1, 40)[np.random.default_rng(1).permutation(40)]
    for recall in (0.5, 0.9, 0.95, 1.0):
        cut = recall_threshold(labels, scores, recall)
        kept = (scores[labels == 1] >= cut).mean()
        assert kept >= recall
        # the highest such cut: one step higher would keep fewer than asked
        positives = np.sort(scores[labels == 1])
        higher = positives[positives > cut]
        if higher.size:
            assert (positives >= higher[0]).mean() < recall


def test_evaluation_matches_scikit_learn(trained_run, small_cache):
    result = pyphotoq.evaluate_model(trained_run, split="test")
    predictions = result.predictions
    truth = (predictions["label"] == "good").astype(int)
    assert result.auc == pytest.approx(roc_auc_score(truth, predictions["score"]))
    predicted = predictions["score"] >= result.threshold
    assert result.accuracy == pytest.approx(accuracy_score(truth, predicted))
    assert result.f1 == pytest.approx(f1_score(truth, predicted))
    assert result.share_positive == pytest.approx(predicted.mean())
    assert (predictions["predicted"] == np.where(predicted, "good", "bad")).all()
    assert (predictions["correct"] == (predictions["predicted"] == predictions["label"])).all()
    assert list(predictions["score"]) == sorted(predictions["score"], reverse=True)
    assert set(predictions["hash"]) == set(small_cache.split("test")["hash"])
    assert result.roc.equals(roc_table(truth, predictions["score"]))


def test_threshold_is_chosen_on_validation_not_on_the_evaluated_split(trained_run, small_cache):
    model = trained_run.load_model("best")
    frame = small_cache.split("validation")
    network, statistics = predict_scores(model, small_cache, frame, statistics=True)
    # the run's validation scores: its booster blended with the best checkpoint
    scores = load_booster(trained_run).score(network, statistics, frame)
    expected = best_f1_threshold((frame["label"] == "good").astype(int), scores)
    result = pyphotoq.evaluate_model(trained_run, split="test")
    assert result.threshold == pytest.approx(expected)
    assert result.threshold_rule == "max F1 on validation"
    given = pyphotoq.evaluate_model(trained_run, split="test", threshold=0.5)
    assert given.threshold == 0.5 and given.threshold_rule == "given"
    assert given.auc == pytest.approx(result.auc)


def test_ordered_prediction_equals_one_photo_at_a_time(trained_run, small_cache):
    model = trained_run.load_model("latest")
    frame = small_cache.split("train").head(12)
    batched = predict_scores(model, small_cache, frame)
    one_by_one = [
        float(model.predict({"pixels": small_cache.read_image(h)[None],
                             "patches": small_cache.read_image(h, "detail")[None]}, verbose=0)[0, 1])
        for h in frame["hash"]
    ]
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-5, atol=1e-6)


def test_every_checkpoint_on_every_split(trained_run):
    table = pyphotoq.evaluate_checkpoints(trained_run, progress=False)
    assert list(table.columns) == ["batch", "split", "auc", "accuracy", "f1"]
    assert sorted(set(table["batch"])) == [20, 40]
    assert set(table["split"]) == {"train", "validation", "test"}
    validation_auc = table[table["split"] == "validation"].set_index("batch")["auc"]
    history = trained_run.history
    recorded = history[(history["set"] == "validation") & (history["metric"] == "auc")]
    np.testing.assert_allclose(validation_auc.sort_index(), recorded.set_index("batch")["value"].sort_index(), atol=1e-6)


def test_unknown_split_and_missing_run_are_clear_errors(trained_run, tmp_path):
    with pytest.raises(pyphotoq.PhotoqError, match="Unknown split"):
        pyphotoq.evaluate_model(trained_run, split="holdout")
    with pytest.raises(pyphotoq.PhotoqError, match="No photoq run"):
        pyphotoq.evaluate_model(tmp_path / "nowhere")
