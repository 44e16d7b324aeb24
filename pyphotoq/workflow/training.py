"""Train the model from the batch stream, with validation, checkpoints and resumption.

One Keras `fit` call trains the whole run: each "epoch" is one validation interval, so the
step function is traced once. After every interval the validation split is scored, a
checkpoint saved, the history written and the plot redrawn; state.json is written last. A run
killed at any instant resumes from its last checkpoint with the same random batch stream.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

from ..core.quiet import tf  # noqa: I001  TensorFlow imported quietly, before Keras (pyphotoq.core.quiet)
import keras
import numpy as np
import pandas as pd
from ..core.progress import tqdm

from ..models.batches import ordered_batches, training_batches
from ..models.booster import booster_is_current, measure_statistics
from ..models.booster_fit import choose_weight, fit_trees, trees_fitted
from ..data.cache import Cache, open_cache
from .confounds import learn_past_edits, note_confounds
from ..core.errors import PhotoqError
from ..core.files import write_atomic
from ..models.metrics import auc_standard_error, binary_metrics
from ..models.model import views_of
from ..models.recipes import network_for
from ..core.outputs import own_folder
from .history_plot import plot_history
from ..models.prediction import fed_network, fed_views, predict_scores, statistics_columns
from ..models.recipes import DEFAULT, OVERVIEW_DEFAULT, Recipe, resolve
from ..models.runs import (  # check_validation_set, resume_model, with_run_lock: hardening
    HISTORY_COLUMNS, Run, check_validation_set, checkpoint_name, commit_checkpoint, create_run,
    open_run, resume_model, with_run_lock,
    validation_scores_name,
)

MOVING_AVERAGE = 50


@with_run_lock  # the run folder is locked while it trains
def train_model(
    cache,
    run,
    recipe: str | Recipe | dict | None = None,
    batches: int | None = None,
    batch_size: int | None = None,
    validate_every: int | None = None,
    seed: int = 0,
    plot: bool = True,
    progress: bool | None = None,
    deterministic: bool = True,
    continue_on_new_data: bool = False,
) -> Run:
    """Train on `cache` into the run folder `run` until `batches` batches are done.

    `recipe` names the network, optimiser, schedule and run length (None: the default recipe,
    "two-view", or "two-branch" on a cache without the detail view, said once; "original"
    reproduces the original workflow exactly), or is a pyphotoq.Recipe of it with the settings it
    lets change: learning_rate, model_options (options of the recipe's network) and booster.
    `batches`, `batch_size` and `validate_every` override the recipe's run length where it allows
    it. None means the recipe's value, or, when resuming, the run's. The booster (on in the
    default recipes; Recipe(booster=False) turns it off) fits gradient-boosted trees over the
    image statistics, each compared with the photo's scene, before the network trains, and blends
    them with the best checkpoint when the batches are done; the run's scores are the blend (`pyphotoq.models.booster`). With a recipe's `edit_copies`
    (0 in the default recipes; 1 by default when the cache was labelled from ratings,
    build_cache(labels=), whose unedited originals never show an edit) the trees also learn
    from copies of the training photos given a random global edit (`pyphotoq.models.edits`). A new run whose labels go with an
    editor's traces, one camera or one hour (`pyphotoq.workflow.confounds`) says so in one line on
    stderr, with the counts, and run.json keeps the line (`confounds`; the report shows it);
    where the trace is an edit (keepers edited, rejects not) and the recipe fits the booster
    without edited copies, the run learns edit-invariant (settings' `edited_archive`: the trees
    learn from an edited copy of each training photo instead of the photos as edited, and the
    network gets no weight in the blend).
    Calling it again on the same run folder resumes from the last checkpoint (and can extend a
    finished run by asking for more batches).
    `deterministic` turns on TensorFlow's op determinism (for the rest of the process), so a
    run is reproducible on one machine and a resumed run matches an uninterrupted one.
    A run resumed on a cache whose validation split changed stops, unless
    `continue_on_new_data`: then it goes on, validating on the new split, and its best
    checkpoint is chosen again from then on.
    """
    cache = cache if isinstance(cache, Cache) else open_cache(cache)
    folder = Path(run).expanduser().resolve()
    chosen = Recipe.of(recipe)
    recipe = chosen.name
    asked = {"batches": batches, "batch_size": batch_size, "validate_every": validate_every, **chosen.overrides()}
    validation = cache.split("validation")
    if validation.empty or validation["label"].nunique() < 2:
        raise PhotoqError(
            f"The validation split of {cache.path} needs photos of both classes "
            f"(it has {len(validation)}): add photos or change the split fractions"
        )
    if (folder / "run.json").exists():
        run_handle, settings = _resume(folder, cache, recipe, seed, asked, bool(continue_on_new_data))
    else:
        settings = resolve(default_recipe(cache) if recipe is None else recipe, seed=seed, **asked)
        if recipe is None and settings.get("edit_copies") == 0 and (cache.path / "labels.csv").is_file():
            # a cache labelled from ratings holds unedited originals: the default booster also
            # learns from an edited copy of each (measured better on the fresh shoot; README)
            settings["edit_copies"] = RATED_EDIT_COPIES
        missing = [v for v in views_of(settings) if v not in cache.views]
        if missing:
            raise PhotoqError(
                f"The recipe {settings['recipe']!r} needs the cache's {missing[0]} view, which "
                f"{cache.path} does not have: build the cache again with build_cache(..., "
                f"{missing[0]}=True) (the overviews are kept), or use recipe {OVERVIEW_DEFAULT!r}"
            )
        found = learn_past_edits(cache, settings, progress)  # reads every photo: after the checks
        run_handle = create_run(folder, cache, settings)
        note_confounds(run_handle, found, settings)
    batches = int(settings["batches"])
    done = run_handle.batches_done
    if done >= batches:
        return _with_booster(run_handle, cache, settings, progress)
    model = resume_model(run_handle) if done else None  # newest checkpoint that loads
    done = run_handle.batches_done
    if model is None:
        _clear_checkpoints(run_handle)
        model = network_for(settings, settings["seed"])
        adapt_statistics(model, cache, settings["seed"])
    _train(run_handle, cache, settings, model, done, plot, progress, deterministic)
    run_handle = _with_booster(run_handle, cache, settings, progress)
    _record_keeper_facts(run_handle, cache, int(settings["seed"]), progress)
    note = few_photos_note(run_handle, validation, cache.positive)
    if note:
        print(note, file=sys.stderr)
    return run_handle


def auc_interval(auc: float, positives: int, negatives: int) -> tuple[float, float]:
    """An approximate 95% interval of an AUC measured on so many positive and negative photos
    (metrics.auc_standard_error), clipped to 0..1."""
    half = 1.96 * auc_standard_error(auc, positives, negatives)
    return max(0.0, float(auc) - half), min(1.0, float(auc) + half)


def few_photos_note(run_handle: Run, validation, positive: str) -> str:
    """A warning when the validation AUC rests on few photos (fewer than cache.SMALL_SPLIT of a
    class), with its interval; "" otherwise."""
    from ..photos.splits import SMALL_SPLIT

    best = run_handle.state.get("best_auc")
    blended = run_handle.booster_info or {}
    if blended.get("network_weight") is not None:  # the run's score is the blend: its validation AUC
        best = blended.get("validation_auc", {}).get(f"{blended['network_weight']:g}", best)
    positives = int((validation["label"] == positive).sum())
    negatives = len(validation) - positives
    if best is None or min(positives, negatives) >= SMALL_SPLIT:
        return ""
    low, high = auc_interval(best, positives, negatives)
    return (f"warning: the validation AUC {best:.3f} rests on {positives} {positive} and {negatives} other photos: "
            f"its 95% interval is about {low:.2f} to {high:.2f}, and the keep and reject lines are as uncertain; "
            "sort more photos (about 30 of each class in validation or more)")


#: Edited copies the default recipe's booster learns from when the cache was labelled from ratings.
RATED_EDIT_COPIES = 1

#: How many training keepers the keeper facts are measured on (a sample, seeded by the run).
KEEPER_FACTS_SAMPLE = 400


def _record_keeper_facts(run_handle: Run, cache: Cache, seed: int, progress) -> None:
    """Record in run.json the range of the facts of the training keepers (facts.keeper_ranges),
    which the reason text compares each photo with; once per run."""
    from .facts import cached_facts, keeper_ranges

    if "keeper_facts" in run_handle.info:
        return
    train = cache.split("train")
    keepers = train[train["label"] == cache.positive]
    if keepers.empty:
        return
    if len(keepers) > KEEPER_FACTS_SAMPLE:
        keepers = keepers.sample(KEEPER_FACTS_SAMPLE, random_state=seed)
    run_handle.info["keeper_facts"] = keeper_ranges(
        cached_facts(cache, keepers["hash"], progress=False if progress is False else None))
    run_handle.write_info()


def continue_training(cache, run, batches: int, plot: bool = True, progress: bool | None = None,
                      deterministic: bool = True) -> Run:
    """Train `batches` more batches from the run's best checkpoint, on `cache` as it is now.

    The caller holds the run's lock (runs.lock_run), as learn_corrections does around all it does.

    For learning from corrections: the training split may have grown or changed labels since
    the run trained. The new checkpoints are numbered on from the run's last one, and every
    checkpoint is kept: the best is the one with the highest validation AUC over all of them
    (so a continuation that does not help leaves the best as it was). A validation split that
    changed is adopted, as with train_model(..., continue_on_new_data=True). The booster is
    fitted again on the training photos as they are now.
    """
    from ..core.parameters import check

    batches = check("batches", batches)
    cache = cache if isinstance(cache, Cache) else open_cache(cache)
    run_handle = open_run(run.path if isinstance(run, Run) else run)
    run_handle.open_cache(cache)  # checks the cache id
    check_validation_set(run_handle, cache, continue_on_new_data=True)
    settings = run_settings(run_handle)
    model = run_handle.load_model("best")
    done = run_handle.batches_done
    settings["batches"] = done + batches
    run_handle.info["settings"]["batches"] = settings["batches"]
    run_handle.write_info()
    _train(run_handle, cache, settings, model, done, plot, progress, deterministic)
    return _with_booster(run_handle, cache, settings, progress)


def _train(run_handle: Run, cache: Cache, settings: dict, model, done: int, plot, progress, deterministic) -> None:
    """Train `model` from batch `done` to the run's last batch, validating and checkpointing."""
    batches = int(settings["batches"])
    validate_every = int(settings["validate_every"])
    validation = cache.split("validation")
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    if settings.get("booster") and not trees_fitted(run_handle, cache):
        fit_trees(run_handle, cache, views_of(settings), progress)
    # a network that measures the booster's statistics itself is given them instead, each
    # training and validation photo's measured once (kept with the cache) rather than at every batch
    fed = fed_network(model)
    given = None if fed is None else measure_statistics(cache, validation, views_of(model), progress=progress)
    recorder = _Recorder(run_handle, model, cache, validation, plot, progress, given)
    if fed is not None:
        statistics = measure_statistics(cache, cache.split("train"), views_of(model), progress=progress)
        fed.compile(optimizer=model.optimizer, loss=model.loss, metrics=["binary_accuracy"])
        trained, views = fed, fed_views(model)
    else:
        statistics, trained, views = None, model, views_of(settings)
    # fit() runs whole intervals; a last, shorter interval gets a second fit() call.
    full_intervals, remainder = divmod(batches - done, validate_every)
    for start, steps, intervals in (
        (done, validate_every, full_intervals),
        (done + full_intervals * validate_every, remainder, 1 if remainder else 0),
    ):
        if intervals:
            recorder.begin_segment(start, steps)
            data = training_batches(
                cache, "train", settings["batch_size"], settings["seed"], start, start + steps * intervals,
                views=views, statistics=statistics,
            )
            trained.fit(
                data, steps_per_epoch=steps, epochs=intervals, shuffle=False, verbose=0,
                callbacks=[recorder],
            )
    recorder.close()


def _with_booster(run: Run, cache: Cache, settings: dict, progress) -> Run:
    """Blend the run's booster with its best checkpoint once the batches are done, if the
    recipe has one (fitting its trees first if a killed run left none)."""
    if settings.get("booster"):
        fitted = trees_fitted(run, cache)  # on the cache's current photos
        if not fitted:
            fit_trees(run, cache, views_of(settings), progress)
        if not fitted or not booster_is_current(run):
            choose_weight(run)
    return run


def _resume(folder: Path, cache: Cache, recipe, seed, asked: dict, continue_on_new_data: bool = False):
    """The run and its settings; what is asked must agree with what the run was started with
    (only `batches` may change, to extend a run)."""
    run = open_run(folder)
    run.open_cache(cache)  # checks the cache id
    check_validation_set(run, cache, continue_on_new_data)  # stops when the validation split changed
    recorded = run_settings(run)
    wanted = {"recipe": recipe, "seed": seed, **asked}
    changed = [
        k for k, v in wanted.items()
        if v is not None and k != "batches" and _differs(recorded.get(k), v)
    ]
    if changed:
        raise PhotoqError(
            f"The run {folder} was started with other settings ("
            + ", ".join(f"{k}={recorded.get(k)!r}, not {wanted[k]!r}" for k in changed)
            + "): use a new run folder"
        )
    if asked["batches"] is not None and int(asked["batches"]) != int(recorded["batches"]):
        recorded["batches"] = resolve(recorded["recipe"], batches=asked["batches"])["batches"]
        run.info["settings"]["batches"] = recorded["batches"]
        run.write_info()
    return run, recorded


def _differs(recorded, asked) -> bool:
    if isinstance(recorded, float) or isinstance(asked, float):
        try:
            return not math.isclose(float(recorded), float(asked), rel_tol=1e-9)
        except (TypeError, ValueError):
            return True
    if isinstance(asked, dict):
        return dict(recorded or {}) != dict(asked)
    return recorded != asked


def run_settings(run: Run) -> dict:
    """The resolved settings of a run; a run from before recipes existed is the original's."""
    settings = dict(run.settings)
    if "recipe" not in settings:
        base = resolve("original")
        base.update({k: v for k, v in settings.items() if k in base})
        settings = base
    return settings


#: Training photos whose statistics set the mean and variance of a statistics branch.
ADAPT_PHOTOS = 512


_NOTED: set = set()


def default_recipe(cache: Cache) -> str:
    """The default recipe for `cache`: DEFAULT, or the overview-only default on a cache without
    the detail view (said once per cache and process)."""
    from ..models.model import NETWORK_VIEWS
    from ..models.recipes import RECIPES

    needs = NETWORK_VIEWS[RECIPES[DEFAULT]["network"]]
    missing = [v for v in needs if v not in cache.views]
    if not missing:
        return DEFAULT
    if str(cache.path) not in _NOTED:
        _NOTED.add(str(cache.path))
        print(f"The cache {cache.path} has no {missing[0]} view: training the overview-only default "
              f"recipe {OVERVIEW_DEFAULT!r} (build_cache(..., {missing[0]}=True) adds the view for "
              f"the default {DEFAULT!r})", file=sys.stderr)
    return OVERVIEW_DEFAULT


def adapt_statistics(model, cache: Cache, seed: int = 0) -> None:
    """Standardise a network's image statistics on the training photos.

    Every Normalization layer of the network ("statistics_norm" over the overview's statistics,
    "detail_statistics_norm" over the patches') gets the mean and variance of its inputs on up
    to ADAPT_PHOTOS training photos (a sample fixed by the seed); they are saved with every
    checkpoint. A network without such a layer is left alone.
    """
    from ..models.statistics import PiecewiseLinear

    norms = [layer for layer in model.layers if isinstance(layer, (keras.layers.Normalization, PiecewiseLinear))]
    if not norms:
        return
    frame = cache.split("train")
    rng = np.random.default_rng(int(seed))
    rows = np.sort(rng.permutation(len(frame))[:ADAPT_PHOTOS])
    given = _given_statistics(model, norms)
    if given is not None:  # the statistics kept with the cache (measured once), not measured again
        views = views_of(model)
        measured = measure_statistics(cache, frame.iloc[rows].reset_index(drop=True), views)
        for layer, (start, stop) in zip(norms, given):
            layer.adapt(measured[:, start:stop])
        return
    inputs = model.input if isinstance(model.input, dict) else model.inputs
    probe = keras.Model(inputs, [layer.input for layer in norms])
    dataset, _ = ordered_batches(cache, frame.iloc[rows].reset_index(drop=True), 16, views_of(model))
    parts = [[] for _ in norms]
    for images, _ in dataset:
        values = probe(images, training=False)
        values = values if isinstance(values, (list, tuple)) else [values]
        for part, value in zip(parts, values):
            part.append(np.asarray(value))
    for layer, part in zip(norms, parts):
        layer.adapt(np.concatenate(part))


def _given_statistics(model, norms) -> list[tuple[int, int]] | None:
    """The columns of the booster's statistics that each of `norms` reads, when each reads one
    view's statistics as they are (prediction.statistics_columns); else None."""
    columns = statistics_columns(model)
    if columns is None:
        return None
    by_output = {id(layer.output): span for layer, span in columns.items()}
    found = [by_output.get(id(layer.input)) for layer in norms]
    return None if any(c is None for c in found) else found


def _clear_checkpoints(run: Run) -> None:
    for stale in (run.path / "checkpoints").glob("batch-*"):
        stale.unlink()


class _Recorder(keras.callbacks.Callback):
    """Records per-batch training metrics and, after every interval, validates and checkpoints."""

    def __init__(self, run: Run, model, cache: Cache, validation: pd.DataFrame, plot: bool, progress,
                 given: np.ndarray | None = None):
        super().__init__()
        self.run = run
        self.network = model  # what is checkpointed (fit() may train it through fed_network)
        self.cache = cache
        self.validation = validation
        self.given = given  # the validation photos' statistics, for a network given them
        self.validation_labels = (validation["label"] == cache.positive).to_numpy().astype(int)
        self.plot = plot
        # Dropout's and RandomFlip's random streams (Keras names them differently).
        self.seed_generators = [
            generator for layer in model.layers
            for generator in (getattr(layer, "seed_generator", None), getattr(layer, "generator", None))
            if generator is not None and hasattr(generator, "state")
        ]
        history = run.history
        self.history_rows = history[history["batch"] <= run.batches_done].values.tolist()
        total = int(run.settings["batches"])
        self.bar = tqdm(
            total=total, initial=run.batches_done, desc="Training", unit="batch",
            disable=None if progress is None else not progress,
        )
        _remove_uncommitted_checkpoints(run)

    def begin_segment(self, start: int, steps: int) -> None:
        self.segment_start, self.steps = start, steps

    def on_epoch_begin(self, epoch, logs=None):
        self.interval_start = self.segment_start + epoch * self.steps
        self.previous = {"loss": 0.0, "binary_accuracy": 0.0}
        # Dropout draws depend on the batch number only, so a resumed run repeats them.
        for generator in self.seed_generators:
            seed = int(generator.state.numpy()[0])
            generator.state.assign(np.array([seed, self.interval_start], dtype=generator.state.dtype))

    def on_train_batch_end(self, batch, logs=None):
        # Keras reports means since the interval began; recover this batch's own values.
        number = self.interval_start + batch + 1
        for metric, name in (("loss", "loss"), ("binary_accuracy", "accuracy")):
            mean = float(logs[metric])
            value = (batch + 1) * mean - batch * self.previous[metric]
            self.previous[metric] = mean
            self.history_rows.append([number, "train", name, value])
        self.bar.update()

    def on_epoch_end(self, epoch, logs=None):
        batch = self.interval_start + self.steps
        scores = predict_scores(self.network, self.cache, self.validation, given=self.given)
        metrics = binary_metrics(self.validation_labels, scores)
        metrics["loss"] = float(keras.losses.binary_crossentropy(
            self.validation_labels.astype("float32"), scores.astype("float32")
        ))
        for name in ("auc", "accuracy", "f1", "loss"):
            self.history_rows.append([batch, "validation", name, metrics[name]])
        self._checkpoint(batch, metrics["auc"], scores)
        self.bar.set_postfix(val_auc=f"{metrics['auc']:.3f}")

    def _checkpoint(self, batch: int, auc: float, validation_scores: np.ndarray) -> None:
        name = checkpoint_name(batch)
        scores = self.validation[["hash", "label"]].assign(score=validation_scores)
        own_folder(self.run.path, "checkpoints")  # a real folder inside the run, never a link out of it
        write_atomic(self.run.path / validation_scores_name(batch), scores.to_csv(index=False, lineterminator="\n"),
                     root=self.run.path)
        temporary = self.run.path / name.replace(".keras", ".tmp.keras")
        self.network.save(temporary)
        os.replace(temporary, self.run.path / name)
        state = dict(self.run.state)
        best = state.get("best_auc")
        if best is None or (not math.isnan(auc) and auc > best) or "best" not in state:
            state.update(best=name, best_auc=None if math.isnan(auc) else auc, best_batch=batch)
        state.update(batches_done=batch, latest=name)
        commit_checkpoint(self.run, with_moving_averages(self.history_rows), state)
        if self.plot:
            plot_history(self.run, self.run.path / "history.png")

    def close(self) -> None:
        self.bar.close()


def _remove_uncommitted_checkpoints(run: Run) -> None:
    """Checkpoints written after the last committed state (a kill between the two writes)."""
    for path in (run.path / "checkpoints").glob("batch-*"):
        if ".tmp" in path.name or int(path.name[6:12]) > run.batches_done:
            path.unlink()


def with_moving_averages(rows: list) -> pd.DataFrame:
    """The history table, with training loss/accuracy moving averages added."""
    history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    history = history[~history["metric"].str.endswith("_avg")]
    train = history[history["set"] == "train"]
    averaged = []
    for metric in ("loss", "accuracy"):
        series = train[train["metric"] == metric].sort_values("batch")
        smooth = series["value"].rolling(MOVING_AVERAGE, min_periods=1).mean()
        averaged.append(pd.DataFrame({
            "batch": series["batch"], "set": "train", "metric": f"{metric}_avg", "value": smooth,
        }))
    history = pd.concat([history, *averaged], ignore_index=True)
    return history.sort_values(["batch", "set", "metric"], kind="stable").reset_index(drop=True)
