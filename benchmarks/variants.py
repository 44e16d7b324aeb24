"""The fresh-shoot variants of the realistic benchmark: does a run cull the next shoot?

A run is trained on the archive (`photos/`: most keepers edited, half the rejects). Its cache's
test photos (scenes never seen in training) are then scored from their files, as score_photos
scores them, in several ways:

* edited, scored together: the archive's copies, one shoot (scene comparisons as usual);
* edited, each alone: every photo in a call of its own (no scene to compare with);
* edited, by label folder: the keepers in one call and the rejects in another (every scene all
  keepers or all rejects);
* fresh, scored together / each alone: the same shots straight from the camera (`fresh/`,
  nothing edited): the next shoot as photoq meets it;
* shallow depth of field: the keepers of the scenes shot with a strongly blurred background
  against every reject, edited and fresh.

For each: test AUC with the range it moves over when the test scenes are redrawn (a dozen test
scenes leave an AUC a few hundredths of room), the share of scenes (holding a keeper) whose
best-scored shot is a keeper, and AUC per defect (the keepers against the rejects with that defect).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def _measure(handle, paths: list[str]) -> tuple:
    """(a table of every path's network score and scene fields, their booster statistics or None,
    the run's Scorer), as score_photos gets them."""
    from pyphotoq.models.runs import view_specs
    from pyphotoq.workflow.scorer import Scorer
    from pyphotoq.workflow.scoring import _opened_chunks, score_chunk

    scoring = Scorer(handle)
    views = scoring.views
    measured, skipped = [], []
    for chunk in _opened_chunks(paths, view_specs(handle), views, scoring.measures_statistics,
                                scoring.uses_network, None):
        measured += score_chunk(scoring, chunk, views, 16, skipped)
    if skipped:
        raise RuntimeError(f"{len(skipped)} photos could not be scored (first: {skipped[0]})")
    by_path = {m["path"]: m for m in measured}
    ordered = [by_path[path] for path in paths]
    frame = pd.DataFrame([{"path": m["path"], "network": m["network"], "taken": m["scene"]["taken"],
                           "look": m["scene"]["look"]} for m in ordered])
    statistics = np.stack([m["statistics"] for m in ordered]) if scoring.booster is not None else None
    return frame, statistics, scoring


def _scores(measured: tuple, calls: list[np.ndarray]) -> np.ndarray:
    """The run's score of every row of _measure's (frame, statistics, scorer), each call (row
    positions) scored together."""
    frame, kept, scoring = measured
    scores = np.full(len(frame), np.nan)
    for rows in calls:
        shots = frame.iloc[rows].rename(columns={"path": "hash"})[["hash", "taken", "look"]].reset_index(drop=True)
        statistics = kept[rows] if kept is not None else None
        scores[rows] = scoring.combine(frame["network"].to_numpy()[rows], statistics, shots)
    return scores


def scene_interval(good: np.ndarray, scores: np.ndarray, scenes: np.ndarray, draws: int = 1000,
                   seed: int = 0) -> tuple[float, float]:
    """The 5th and 95th percentiles of the AUC over test sets drawn from the test scenes with
    replacement (a scene's shots stay together): how far a figure on a dozen scenes can move.
    Not metrics.auc_standard_error: that treats photos as independent, and shots of one scene
    are not."""
    rng = np.random.default_rng(seed)
    names = np.unique(scenes)
    rows = {name: np.flatnonzero(scenes == name) for name in names}
    aucs = []
    for _ in range(draws):
        picked = np.concatenate([rows[name] for name in rng.choice(names, len(names))])
        if 0 < good[picked].sum() < len(picked):
            aucs.append(roc_auc_score(good[picked], scores[picked]))
    return float(np.percentile(aucs, 5)), float(np.percentile(aucs, 95))


def _figures(truth: pd.DataFrame, scores: np.ndarray) -> dict:
    good = (truth["label"] == "good").to_numpy()
    best = pd.DataFrame({"scene": truth["scene"].to_numpy(), "good": good, "score": scores})
    held = best.groupby("scene").filter(lambda g: g["good"].any())
    tops = held.loc[held.groupby("scene")["score"].idxmax()]
    per_defect = {}
    for defect in sorted({d for ds in truth["defects"] for d in ds.split("+")} - {"none"}):
        rows = good | truth["defects"].str.split("+").map(lambda ds, d=defect: d in ds).to_numpy()
        if (rows & ~good).sum() >= 3 and (rows & good).sum() >= 3:
            per_defect[defect] = float(roc_auc_score(good[rows], scores[rows]))
    return {"auc": float(roc_auc_score(good, scores)),
            "auc_interval": scene_interval(good, scores, truth["scene"].to_numpy()),
            "best_is_keeper": int(tops["good"].sum()),
            "scenes_with_keeper": int(len(tops)), "per_defect": per_defect}


def variant_figures(run: str, truth_file: str) -> dict:
    """{variant: figures} for the run's cache's test photos (see the module's text)."""
    import pyphotoq

    handle = pyphotoq.open_run(run)
    test = handle.open_cache().split("test")
    truth = pd.read_csv(truth_file)
    # the archive trained on (photos/, confounded/, or fresh/: a photographer who sorts before
    # editing): a shot is named alike in each, label folder and file name
    def shot(path):
        return "/".join(str(path).replace("\\", "/").split("/")[-2:])

    truth = truth.set_index(truth["fresh"].map(shot)).loc[[shot(p) for p in test["original"]]].reset_index(drop=True)
    truth["archive"] = list(test["original"])
    good = (truth["label"] == "good").to_numpy()
    everything = [np.arange(len(truth))]
    alone = [np.array([i]) for i in range(len(truth))]
    by_label = [np.flatnonzero(good), np.flatnonzero(~good)]
    results = {}
    for rendition, column in (("edited", "archive"), ("fresh", "fresh")):
        measured = _measure(handle, list(truth[column]))
        calls = {"scored together": everything, "each alone": alone}
        if rendition == "edited":
            calls["by label folder"] = by_label
        for name, call in calls.items():
            scores = _scores(measured, call)
            results[f"{rendition}, {name}"] = _figures(truth, scores)
            if name == "scored together" and truth["shallow"].any():
                rows = ~good | truth["shallow"].to_numpy()
                if (rows & good).sum() >= 3:
                    results[f"{rendition}, shallow-DOF keepers"] = {
                        "auc": float(roc_auc_score(good[rows], scores[rows])),
                        "keepers": int((rows & good).sum())}
    return results


def print_variants(name: str, figures: dict, standard_auc: float, print_table) -> None:
    figures = {k: v for k, v in figures.items() if isinstance(v, dict)}  # less the child's seconds and RSS
    rows = [["standard test split (cache)", standard_auc, None, None]]
    for variant, f in figures.items():
        best = f"{f['best_is_keeper']} / {f['scenes_with_keeper']}" if "best_is_keeper" in f else \
            f"({f['keepers']} keepers)"
        interval = "{:.2f}-{:.2f}".format(*f["auc_interval"]) if "auc_interval" in f else None
        rows.append([variant, f["auc"], interval, best])
    print_table(["test photos scored", "AUC", "scenes redrawn (90%)", "best shot of a scene is a keeper"], rows,
                title=f"{name}: the archive's run on its test scenes, as an archive and as a fresh shoot:")
    defects = sorted({d for f in figures.values() for d in f.get("per_defect", {})})
    shown = [v for v in figures if "per_defect" in figures[v] and "alone" not in v]
    print_table(["defect", *shown], [[d, *[figures[v]["per_defect"].get(d, float("nan")) for v in shown]]
                                     for d in defects], title=f"{name}: AUC per defect (keepers against rejects with it):")
