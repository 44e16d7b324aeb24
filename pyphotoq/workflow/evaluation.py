"""Honest evaluation of a run: threshold chosen on validation, applied to another split."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from ..core.progress import tqdm

from ..data.cache import Cache
from ..core.errors import PhotoqError
from ..core.parameters import EVALUATION, check
from .culling import Culling, originals_exif
from .facts import add_facts, cached_facts
from ..models.metrics import best_f1_threshold, binary_metrics, recall_threshold, roc_table
from ..models.prediction import predict_scores
from .reasons import with_reasons
from ..models.runs import Run, open_run
from .scorer import Scorer
from ..photos.splits import SPLITS


@dataclass
class Evaluation:
    """The result of evaluate_model: metrics, ROC table and per-photo predictions."""

    split: str
    checkpoint: str
    threshold: float
    threshold_rule: str
    auc: float
    accuracy: float
    f1: float
    share_positive: float
    n_photos: int
    positive: str
    negative: str
    roc: pd.DataFrame = field(repr=False)
    predictions: pd.DataFrame = field(repr=False)
    cache_path: Path = field(repr=False)
    run_path: Path = field(repr=False)

    def summary(self) -> str:
        return (
            f"{self.split} split, {self.n_photos} photos, checkpoint {self.checkpoint}: "
            f"AUC {self.auc:.3f}, accuracy {self.accuracy:.1%}, F1 {self.f1:.3f}, "
            f"{self.share_positive:.1%} predicted good at threshold {self.threshold:.3f} "
            f"({self.threshold_rule})"
        )

    def __str__(self) -> str:
        return self.summary()


def evaluate_model(
    run,
    split: str = "test",
    threshold: float | None = None,
    keep_recall: float | None = None,
    checkpoint="best",
    cache=None,
    progress: bool | None = None,
) -> Evaluation:
    """Evaluate a run's checkpoint on `split`.

    The threshold is `threshold` if given; else the one keeping `keep_recall` of the good photos
    on validation if given; else the one that maximises F1 on validation (as the original).
    `cache` overrides the cache folder recorded in the run (if it was moved).
    A run with a booster (`pyphotoq.models.booster`) scores with it beside its best checkpoint; other
    checkpoints score with the network alone.

    `predictions` has one row per photo, best score first: hash, original, cached, label,
    score, predicted (the class at the threshold), correct, decision (keep, review or reject: the
    verdict score_photos gives the photo when the split's photos are scored together, from the same
    keep and reject lines chosen on validation, then the burst and sequence rules, pyphotoq.workflow.culling;
    one cut at `threshold` or `keep_recall` when given), taken, then `margin`
    (score minus threshold), the measured facts
    of `pyphotoq.workflow.facts` (sharpness, clipped_highlights, clipped_shadows, noise, tilt_degrees,
    brightness, saturation, colourfulness, portrait, aspect_ratio) and a short `reason` text:
    the decision against the keep line, then, with the run's booster, the features that moved the score most (its
    largest LightGBM contributions, in words: pyphotoq.workflow.reasons), else what stands out in the
    facts. The facts describe the photo; they are not the model's reasons.
    """
    threshold = check("threshold", threshold, EVALUATION)
    keep_recall = check("keep_recall", keep_recall, EVALUATION)
    run = run if isinstance(run, Run) else open_run(run)
    if split not in SPLITS:
        raise PhotoqError(f"Unknown split {split!r}: use one of {', '.join(SPLITS)}")
    cache = run.open_cache(cache)
    frame = cache.split(split)
    if frame.empty:
        raise PhotoqError(f"The {split} split of {cache.path} is empty")
    labels = _is_positive(frame, cache)
    scorer = Scorer(run, checkpoint)
    scores, why = scorer.score_cached(cache, frame, reasons=True, progress=progress)
    if threshold is not None:
        threshold, rule = float(threshold), "given"
    elif split == "validation":
        threshold, rule = _threshold_from_validation(labels, scores, keep_recall)
    else:
        threshold, rule = _validation_threshold(scorer, keep_recall)
    metrics = binary_metrics(labels, scores, threshold)
    predictions = pd.DataFrame({
        "hash": frame["hash"],
        "original": frame["original"],
        "cached": [str(cache.image_path(c)) for c in frame["cached"]],
        "label": frame["label"],
        "score": scores,
        "predicted": np.where(scores >= threshold, cache.positive, cache.info["classes"]["negative"]),
    })
    predictions["correct"] = predictions["predicted"] == predictions["label"]
    taken = frame["taken"].fillna("").astype(str).to_numpy() if "taken" in frame else np.full(len(frame), "")
    # the verdict of the one decision policy (culling.decide), as score_photos gives it to the same
    # photos scored together: the lines, then bursts and sequences (found from the originals' EXIF)
    given = threshold if rule == "given" else None
    shots = pd.DataFrame({"path": frame["original"].astype(str).to_numpy(), "hash": frame["hash"].to_numpy(),
                          "taken": taken,
                          "look": frame["look"].fillna("").astype(str).to_numpy() if "look" in frame else "",
                          "score": scores})
    shots = shots.join(originals_exif(shots, shots["path"]))
    decided, lines = scorer.decide(shots, Culling(threshold=given, keep_recall=keep_recall))
    predictions["decision"] = decided["decision"].to_numpy()
    predictions["taken"] = taken
    predictions = add_facts(predictions, cached_facts(cache, frame["hash"], progress=progress), threshold,
                            cache.positive, cache.info["classes"]["negative"], run.info.get("keeper_facts"),
                            line=lines["keep"])
    if why is not None:  # the booster's words for what moved each score
        predictions["reason"] = [with_reasons(r, w) for r, w in zip(predictions["reason"], why)]
    predictions = predictions.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    both = 0 < labels.sum() < len(labels)
    return Evaluation(
        split=split,
        checkpoint=Path(run.checkpoint_path(checkpoint)).stem,
        threshold=threshold,
        threshold_rule=rule,
        n_photos=len(frame),
        positive=cache.positive,
        negative=cache.info["classes"]["negative"],
        roc=roc_table(labels, scores) if both else pd.DataFrame(columns=["fpr", "tpr", "threshold"]),
        predictions=predictions,
        cache_path=cache.path,
        run_path=run.path,
        **{k: metrics[k] for k in ("auc", "accuracy", "f1", "share_positive")},
    )


def run_scores(run: Run, cache: Cache, frame: pd.DataFrame, checkpoint="best") -> np.ndarray:
    """The run's scores of the cached photos of `frame` (scorer.Scorer.score_cached): its booster
    blended with the best checkpoint when it has one, else the checkpoint's network alone."""
    return Scorer(run, checkpoint).score_cached(cache, frame)[0]


def validation_auc(run: Run, cache: Cache) -> float:
    """The run's validation AUC as it scores now, with the labels the cache holds now: from the
    validation scores the run keeps (its booster's, or its best checkpoint's) while the validation
    split holds the same photos (scores do not depend on labels), else run_scores on it."""
    frame = cache.split("validation")
    labels = _is_positive(frame, cache)
    try:
        kept = Scorer(run, note=False).validation
    except PhotoqError:
        kept = None
    if kept is not None and len(kept) == len(frame) and set(kept["hash"]) == set(frame["hash"]):
        scores = kept.drop_duplicates("hash").set_index("hash")["score"].reindex(frame["hash"]).to_numpy(dtype=float)
    else:
        scores = run_scores(run, cache, frame)
    return float(binary_metrics(labels, scores)["auc"])


def validation_threshold(run: Run, checkpoint="best", keep_recall: float | None = None):
    """(threshold, rule) chosen on the validation scores stored with a run's checkpoint:
    max F1, or keeping `keep_recall` of the good photos. A run with a booster has the scores
    of the booster blended with its best checkpoint."""
    return _validation_threshold(Scorer(run, checkpoint), keep_recall)


def _validation_threshold(scorer: Scorer, keep_recall: float | None):
    scores = scorer.validation
    labels = (scores["label"] == scorer.run.info["classes"]["positive"]).to_numpy().astype(int)
    return _threshold_from_validation(labels, scores["score"].to_numpy(), keep_recall)


def _is_positive(frame: pd.DataFrame, cache: Cache) -> np.ndarray:
    return (frame["label"] == cache.positive).to_numpy().astype(int)


def _threshold_from_validation(labels, scores, keep_recall):
    if labels.sum() == 0 or labels.sum() == len(labels):
        raise PhotoqError("The validation split needs photos of both classes to choose a threshold")
    if keep_recall is not None:
        return recall_threshold(labels, scores, keep_recall), f"keeps {keep_recall:.0%} of good on validation"
    return best_f1_threshold(labels, scores), "max F1 on validation"


def evaluate_checkpoints(run, splits=SPLITS, cache=None, progress: bool | None = None) -> pd.DataFrame:
    """AUC and accuracy (at 0.5) of every checkpoint on each split: where does it overfit?"""
    run = run if isinstance(run, Run) else open_run(run)
    cache = run.open_cache(cache)
    frames = {split: cache.split(split) for split in splits}
    rows = []
    checkpoints = run.checkpoints
    for checkpoint in tqdm(
        checkpoints.itertuples(), total=len(checkpoints), desc="Checkpoints",
        disable=None if progress is None else not progress,
    ):
        model = run.load_model(checkpoint.batch)
        for split, frame in frames.items():
            metrics = binary_metrics(_is_positive(frame, cache), predict_scores(model, cache, frame))
            rows.append({"batch": checkpoint.batch, "split": split, "auc": metrics["auc"],
                         "accuracy": metrics["accuracy"], "f1": metrics["f1"]})
    return pd.DataFrame(rows, columns=["batch", "split", "auc", "accuracy", "f1"])
