"""Fitting the booster (pyphotoq.models.booster): which rows its trees learn from, its validation scores
and the network's weight in the blend.

The scene booster also learns from every training keeper a second time, compared with the
keepers of its scene only: a folder of keepers (a shoot sorted before scoring, or good/ scored
on its own) has no reject to stand out from, and a keeper must still look like one there.
Measured on the realistic benchmark's booster (mean of four seeds, README), it lifts keepers and
rejects scored in separate calls from 0.87 to 0.91 (0.84 to 0.97 on an edited archive) and the
scene scored together by about 0.01, for a loss of under 0.01 on shallow depth-of-field
keepers; the rejects compared among rejects as well cost those keepers 0.03.

A run whose labels are an edit (keepers edited, rejects not: confounds.learn_past_edits) learns
from edited copies only, and its validation photos are scored as VALIDATION_COPIES edited copies
each, both classes alike (drawn apart from the training copies; validation.csv and boosted.csv
then hold a row per copy): the culling lines are then not placed by the photographer's edit,
which a fresh shoot does not carry. Measured in the README: with the lines placed on the
validation photos as archived, a fresh shoot lost a quarter of its keepers to reject.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from .booster import (
    FOLDER, NETWORK_WEIGHTS, PARAMETERS, ROUNDS, SCENE_SECONDS, Booster, blend, booster_path, measure_statistics,
    model_columns, scene_features, small_text, statistic_names,
)
from .booster_files import FORMAT, MIN_SCENE, checked_model_text
from ..data.cache import Cache
from ..core.errors import PhotoqError
from ..core.files import write_atomic
from .metrics import auc_standard_error, binary_metrics
from ..core.outputs import own_folder

#: The edit seeds of a run: its training copies are seed * EDIT_SEEDS + copy, an edited
#: archive's validation copies seed * EDIT_SEEDS + EDIT_SEEDS - 1 - k.
EDIT_SEEDS = 16
#: Edited copies of each validation photo an edited archive's lines are placed on (one copy's
#: lines varied from run to run: its keep line from 0.30 to 0.91 over five draws).
VALIDATION_COPIES = 4


def _photos(cache: Cache) -> dict:
    """Which photos the trees learn from and are validated on (a changed split refits them)."""
    from .runs import validation_fingerprint

    return {split: validation_fingerprint(cache.split(split)) for split in ("train", "validation")}


def trees_fitted(run, cache: Cache) -> bool:
    """Whether the run's boosters are fitted on the cache's current training and validation
    photos (they do not depend on the network)."""
    folder = booster_path(run)
    if not all((folder / name).is_file() for name in ("booster.json", "scene.txt", "alone.txt", "boosted.csv")):
        return False

    try:
        info = json.loads(small_text(folder / "booster.json"))
        if not isinstance(info, dict) or info.get("photos") != _photos(cache):
            return False
        for name in ("scene", "alone"):  # a damaged model file is fitted again
            checked_model_text(folder / f"{name}.txt", model_columns(name, info))
        return True
    except (OSError, ValueError, RecursionError, PhotoqError):
        return False


def fit_trees(run, cache: Cache, views, progress: bool | None = None) -> None:
    """Fit the run's two boosters on the training photos and score the validation photos with
    them; writes booster/ (replacing an older one) without a network weight yet."""
    import lightgbm

    positive = cache.positive
    train, validation = cache.split("train"), cache.split("validation")
    if train["label"].nunique() < 2:
        raise PhotoqError(f"The training split of {cache.path} needs photos of both classes to fit the booster")
    train_statistics = measure_statistics(cache, train, views, progress=progress)
    own_labels = (train["label"] == positive).to_numpy().astype(int)
    seed = int(run.settings.get("seed", 0))
    copies = int(run.settings.get("edit_copies", 0))
    # an archive of edited keepers and unedited rejects: the trees learn from edited copies only
    only_copies = bool(run.settings.get("edited_archive")) and copies > 0
    blocks = [] if only_copies else [train_statistics]
    blocks += [measure_statistics(cache, train, views, progress=progress, edit_seed=seed * EDIT_SEEDS + copy)
               for copy in range(copies)]  # an edit alone must tell nothing
    labels = np.tile(own_labels, len(blocks))
    parameters = {**PARAMETERS, "seed": seed}
    models = {"alone": lightgbm.train(parameters, lightgbm.Dataset(np.vstack(blocks), labels), ROUNDS)}
    scene_rows, scene_labels, in_scenes, keeper_rows = scene_training_rows(train, blocks, own_labels)
    models["scene"] = lightgbm.train(parameters, lightgbm.Dataset(scene_rows, scene_labels), ROUNDS)
    info = {
        "format": FORMAT, "checkpoint": None, "views": list(views), "features": statistic_names(views),
        "min_scene": MIN_SCENE, "scene_seconds": SCENE_SECONDS, "rounds": ROUNDS, "parameters": parameters,
        "network_weight": None, "photos": _photos(cache), "training_photos": int(len(train)),
        "training_photos_in_scenes": in_scenes,
        "keeper_rows": keeper_rows,
        "edit_copies": copies, "edited_archive": only_copies, "training_rows": int(len(labels)),
        # the keepers' median of each statistic: what "darker than your keepers" compares with
        "keeper_medians": [float(v) for v in np.nanmedian(train_statistics[own_labels == 1], axis=0)],
    }
    fitted = Booster(None, info, models)
    info["validation_copies"] = VALIDATION_COPIES if only_copies else 0
    if only_copies:  # an edited archive's validation photos as edited copies (the module text)
        seeds = [seed * EDIT_SEEDS + EDIT_SEEDS - 1 - k for k in range(VALIDATION_COPIES)]
        boosted = np.concatenate([fitted.boosted(measure_statistics(cache, validation, views, progress=progress,
                                                                    edit_seed=s), validation) for s in seeds])
        validation = pd.concat([validation] * VALIDATION_COPIES, ignore_index=True)
    else:
        boosted = fitted.boosted(measure_statistics(cache, validation, views, progress=progress), validation)
    folder = own_folder(run.path, FOLDER)  # a link out of the run is refused before anything is written
    temporary = folder.with_name(FOLDER + ".tmp")
    _remove(temporary)
    temporary = own_folder(run.path, temporary.name)
    for name, booster in models.items():
        booster.save_model(str(temporary / f"{name}.txt"))
    table = validation[["hash", "label"]].assign(boosted=boosted)
    write_atomic(temporary / "boosted.csv", table.to_csv(index=False, lineterminator="\n"))
    write_atomic(temporary / "booster.json", json.dumps(info, indent=2) + "\n")
    old = folder.with_name(FOLDER + ".old")
    _remove(old)
    os.replace(folder, old)
    os.replace(temporary, folder)
    _remove(old)


def scene_training_rows(train: pd.DataFrame, blocks: list, labels: np.ndarray):
    """(rows, labels, training photos in a scene, rows of keepers compared among keepers): what
    the scene booster learns from. Each block of statistics (the training photos', or an edited
    copy's) compared with the scene (scene_features), the photos in a scene; then the keepers
    (labels 1) once more, each compared with the keepers of its scene only (the module text).
    Without enough photos in scenes of both classes: every row, comparisons NaN where none."""
    train = train.reset_index(drop=True)
    compared = [scene_features(train, block) for block in blocks]
    features, in_scene = np.vstack([f for f, _ in compared]), np.concatenate([i for _, i in compared])
    tiled, in_scenes = np.tile(labels, len(blocks)), int(compared[0][1].sum())
    if in_scene.sum() < 2 * MIN_SCENE or len(set(tiled[in_scene])) < 2:
        return features, tiled, in_scenes, 0
    keepers = labels == 1
    among = [scene_features(train[keepers], block[keepers]) for block in blocks]
    more = np.vstack([f[i] for f, i in among])
    rows, row_labels = np.vstack([features[in_scene], more]), np.concatenate([tiled[in_scene], np.ones(len(more), int)])
    return rows, row_labels, in_scenes, len(more)


def _remove(path: Path) -> None:
    """Remove a folder of photoq's, or a link or file left in its place (never what a link names)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def network_weight(aucs: dict, positives: int, negatives: int) -> tuple[float, float]:
    """(the network's weight in the blend, the standard error it allowed): of `aucs` (weight ->
    validation AUC on so many positive and negative photos), the smallest weight whose AUC is
    within one standard error of the best AUC; the smallest weight when none was measured."""
    found = [a for a in aucs.values() if not math.isnan(a)]
    if not found:
        return min(aucs), math.nan
    best = max(found)
    error = auc_standard_error(best, positives, negatives)
    return min(w for w, a in aucs.items() if not math.isnan(a) and a >= best - error), error


def choose_weight(run) -> None:
    """Blend the boosters with the run's best checkpoint, written with the blended validation
    scores: the smallest network weight whose validation AUC is within one standard error of
    the best weight's (metrics.auc_standard_error; the one-standard-error rule). The network
    validates noisily and learns an archive's edits more than the booster does: on the realistic
    benchmark's mixed archive (87 validation photos of 2 scenes) the weight that validated best
    (0.5 or 0.75) scored the test scenes 0.01 to 0.03 below the booster alone."""
    folder = own_folder(run.path, FOLDER)
    info = json.loads((folder / "booster.json").read_text(encoding="utf-8"))
    boosted = pd.read_csv(folder / "boosted.csv", dtype={"hash": str, "label": str})
    network = run.validation_scores("best").set_index("hash")["score"]
    if set(network.index) != set(boosted["hash"]):
        raise PhotoqError(f"The booster in {folder} scored other validation photos than the best checkpoint")
    network = network.reindex(boosted["hash"]).to_numpy()
    labels = (boosted["label"] == run.info["classes"]["positive"]).to_numpy().astype(int)
    # an edited archive's network learnt from the photos as edited: it gets no weight (fit_trees)
    weights = (0.0,) if info.get("edited_archive") else NETWORK_WEIGHTS
    aucs = {w: binary_metrics(labels, blend(network, boosted["boosted"].to_numpy(), w))["auc"] for w in weights}
    weight, error = network_weight(aucs, int(labels.sum()), int(len(labels) - labels.sum()))
    info.update(
        checkpoint=run.state["best"], network_weight=weight,
        validation_auc={f"{w:g}": a for w, a in aucs.items()}, validation_auc_error=error,
        network_validation_auc=binary_metrics(labels, network)["auc"],
    )
    scores = boosted[["hash", "label"]].assign(score=blend(network, boosted["boosted"].to_numpy(), weight))
    write_atomic(folder / "validation.csv", scores.to_csv(index=False, lineterminator="\n"), root=run.path)
    write_atomic(folder / "booster.json", json.dumps(info, indent=2, default=float) + "\n", root=run.path)
