"""Past one machine: cache building, scoring and recipe sweeps on a Dask cluster (optional).

`build_cache(..., client=)`, `score_photos(..., client=)` and `sweep_runs(..., client=)` take a
`distributed.Client`, a scheduler address ("tcp://host:8786") or "local:N" (a LocalCluster of
N worker processes on this machine, loopback only). Without one nothing changes and Dask is not
imported. Install it with `pip install "pyphotoq[dask]"`.

What runs where:

* a cache build sends chunks of photos to the workers, which hash, decode, make every declared
  view and write the view files into the cache folder (which every worker must see at the same
  path); only the client writes the tables, with the local build's rules (atomic, resumable,
  locked), so the manifest is the one a local build makes. A worker killed mid-chunk has its
  chunk done again elsewhere (view files are written whole under a temporary name, and the same
  photo always gives the same bytes); a killed client resumes like a killed local build.
* scoring sends the same chunks of photos a local run batches together; each worker loads the
  model once (not per chunk) and returns the network's scores, the facts and the booster's
  statistics; the client compares each photo with its scene and writes nothing else. The table
  is the one local scoring gives.
* a sweep trains one run per (recipe, seed) on the workers, each in its own run folder, then
  evaluates it on the test split.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pandas as pd

from .data.cache_builder import BUILD_CHUNK, build_chunk  # noqa: F401  (where a build's chunks run)
from .core.dask_plumbing import (  # noqa: F401  (the plumbing, under the names users and tests know)
    CONNECT_SECONDS, chunk_size, close_local_clusters, dask_client, in_order, local_client, quiet_worker,
    scheduler_address,
)
from .core.errors import PhotoqError
from .workflow.scoring import score_chunk_task  # noqa: F401  (where scoring's chunks run)


# ---- sweeps ---------------------------------------------------------------------------------

SWEEP_COLUMNS = ["recipe", "seed", "run", "batches", "validation_auc", "test_auc", "seconds", "error"]


def sweep_runs(cache, runs, recipes=("two-view",), seeds=(1,), client=None, progress: bool | None = None,
          **train_args) -> pd.DataFrame:
    """Train one run per (recipe, seed), each in its own folder `runs/<recipe>-seed<seed>`, and
    compare them: a table of recipe, seed, run, batches, validation_auc (the best checkpoint's),
    test_auc (evaluate_model on the test split), seconds (training and evaluation) and error
    (empty, or why that run failed: the others still finish). With `client` (see
    `dask_client`) the runs train side by side on the workers, one per worker; without, one
    after the other here. `train_args` go to every train_model (batches, batch_size, ...), and a
    recipe's settings among them (learning_rate, model_options, booster) into its Recipe.
    Runs that exist are resumed, as train_model does."""
    from .core.progress import tqdm

    from .data.cache import Cache, open_cache
    from .core.parameters import check
    from .models.recipes import RECIPES

    recipes = [recipes] if isinstance(recipes, str) else list(recipes)
    seeds = [seeds] if isinstance(seeds, (int, float)) else list(seeds)
    if not recipes or not seeds:
        raise PhotoqError("A sweep needs at least one recipe and one seed")
    for recipe in recipes:
        if recipe not in RECIPES:
            raise PhotoqError(f"Unknown recipe {recipe!r}: choose from {', '.join(RECIPES)}")
    seeds = [check("seed", seed) for seed in seeds]
    cache_handle = cache if isinstance(cache, Cache) else open_cache(cache)
    for key in ("progress", "plot", "recipe", "seed"):
        train_args.pop(key, None)
    folder = Path(runs).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(recipe, seed, str(folder / f"{recipe}-seed{seed}")) for recipe in recipes for seed in seeds]
    bar = tqdm(total=len(jobs), desc="Sweep", unit="run", disable=None if progress is None else not progress)
    dask = dask_client(client)
    if dask is None:
        rows = []
        for job in jobs:
            rows.append(sweep_one(str(cache_handle.path), *job, train_args))
            bar.update()
    else:
        futures = [dask.submit(sweep_one, str(cache_handle.path), *job, train_args, pure=False) for job in jobs]
        rows = in_order(dask, futures, lambda _: bar.update())
    bar.close()
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS)


def sweep_one(cache: str, recipe: str, seed: int, run: str, train_args: dict) -> dict:
    """One run of a sweep: train, evaluate on the test split, time it (on a worker or here)."""
    from .workflow.evaluation import evaluate_model
    from .models.recipes import Recipe
    from .workflow.training import train_model

    quiet_worker()
    started = time.monotonic()
    row = {"recipe": recipe, "seed": seed, "run": run, "batches": 0, "validation_auc": float("nan"),
           "test_auc": float("nan"), "seconds": float("nan"), "error": ""}
    try:
        # a recipe's own settings given to the sweep (learning_rate, ...) go into each run's Recipe
        fields = {field.name for field in dataclasses.fields(Recipe)} - {"name"}
        mine = {k: v for k, v in train_args.items() if k in fields}
        rest = {k: v for k, v in train_args.items() if k not in fields}
        trained = train_model(cache, run, recipe=Recipe(recipe, **mine), seed=seed, progress=False, plot=False,
                              **rest)
        evaluation = evaluate_model(trained, "test", cache=cache, progress=False)
        row.update(batches=int(trained.batches_done), test_auc=float(evaluation.auc),
                   validation_auc=_validation_auc(trained))
    except Exception as err:  # noqa: BLE001 (one failed run must not stop the others)
        row["error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
    row["seconds"] = time.monotonic() - started
    return row


def _validation_auc(run) -> float:
    """The run's validation AUC as its scores are used: the booster blend's when it has one,
    else the best checkpoint's."""
    booster = run.booster_info
    if booster and booster.get("validation_auc") and booster.get("network_weight") is not None:
        return float(booster["validation_auc"][f"{booster['network_weight']:g}"])
    history = run.history
    auc = history[(history["set"] == "validation") & (history["metric"] == "auc")]["value"]
    return float(auc.max()) if len(auc) else float("nan")
