"""Scores against labels: AUC, accuracy, F1, ROC table and threshold choices."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_recall_curve, roc_auc_score, roc_curve


def binary_metrics(labels, scores, threshold: float = 0.5) -> dict:
    """AUC, accuracy, F1 and share predicted positive; AUC is NaN when one class is missing."""
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    predicted = scores >= threshold
    both_classes = 0 < labels.sum() < len(labels)
    return {
        "auc": float(roc_auc_score(labels, scores)) if both_classes else math.nan,
        "accuracy": float(np.mean(predicted == labels)) if len(labels) else math.nan,
        "f1": float(f1_score(labels, predicted, zero_division=0.0)),
        "share_positive": float(np.mean(predicted)) if len(labels) else math.nan,
    }


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
    """Hanley & McNeil's standard error of an AUC measured on so many positive and negative
    photos. At a perfect (or hopeless) AUC the formula's error is 0; it is taken as if half a
    pair of the smaller class were out of order, so that 1.000 on 13 photos is not certain."""
    edge = 0.5 / max(min(positives, negatives), 1)
    shape = min(max(float(auc), edge), 1 - edge)
    q1, q2 = shape / (2 - shape), 2 * shape * shape / (1 + shape)
    variance = (shape * (1 - shape) + (positives - 1) * (q1 - shape * shape)
                + (negatives - 1) * (q2 - shape * shape)) / max(positives * negatives, 1)
    return max(variance, 0.0) ** 0.5


def best_f1_threshold(labels, scores) -> float:
    """The score threshold that maximises F1 (predict positive when score >= threshold)."""
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    return float(thresholds[int(np.argmax(f1[:-1]))])


def recall_threshold(labels, scores, recall: float) -> float:
    """The highest threshold that keeps at least `recall` of the positives."""
    if not 0 < recall <= 1:
        raise ValueError(f"recall must be in (0, 1], got {recall}")
    positive_scores = np.sort(np.asarray(scores, dtype=float)[np.asarray(labels) == 1])[::-1]
    if positive_scores.size == 0:
        raise ValueError("no positive photos to keep a share of")
    keep = math.ceil(recall * positive_scores.size - 1e-9)
    return float(positive_scores[keep - 1])


def roc_table(labels, scores) -> pd.DataFrame:
    """False and true positive rates at every distinct threshold (highest threshold first)."""
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thresholds})
