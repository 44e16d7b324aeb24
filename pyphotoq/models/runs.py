"""The run folder: everything a training run leaves, self-describing and resumable.

    run.json                settings, the cache it learned from (path and id), versions
    state.json              batches done, latest and best checkpoint (the commit point)
    history.csv             batch, set, metric, value (training per batch, validation per interval)
    checkpoints/batch-NNNNNN.keras   one model every validation interval
    checkpoints/batch-NNNNNN.validation.csv   its validation scores (thresholds need no cache)
    history.png             the training plot, redrawn at every checkpoint

state.json is written last at every checkpoint, so a run killed at any instant resumes from the
checkpoint it names.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import inspect
import json
import math
import os
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import __version__
from ..data.cache import Cache, open_cache
from ..data.cache_format import write_atomic
from ..core.errors import PhotoqError, RunBusy
from ..core.files import fsync_folder, inside
from ..core.outputs import own_folder


def _fsync_file(path: Path) -> None:
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)

FORMAT_NAME = "photoq-run"
FORMAT_VERSION = 1
HISTORY_COLUMNS = ["batch", "set", "metric", "value"]
_CHECKPOINT = re.compile(r"^checkpoints/batch-(\d{6})\.keras$")


@dataclass
class Run:
    """An opened run folder."""

    path: Path
    info: dict
    state: dict

    @property
    def settings(self) -> dict:
        return self.info["settings"]

    def write_info(self) -> None:
        """Write `info` to the run's run.json (atomically): the one place run.json is written."""
        write_atomic(self.path / "run.json", json.dumps(self.info, indent=2) + "\n")

    @property
    def batches_done(self) -> int:
        return int(self.state.get("batches_done", 0))

    @property
    def history(self) -> pd.DataFrame:
        """The history table: batch, set ('train' or 'validation'), metric, value."""
        return read_history(self.path)

    @property
    def checkpoints(self) -> pd.DataFrame:
        """Every checkpoint kept: batch and file path."""
        files = sorted((self.path / "checkpoints").glob("batch-*.keras"))
        files = [f for f in files if not f.name.endswith(".tmp.keras")]
        batches = [int(f.stem.split("-")[1]) for f in files]
        frame = pd.DataFrame({"batch": batches, "path": [str(f) for f in files]})
        return frame[frame["batch"] <= self.batches_done].reset_index(drop=True)

    def checkpoint_path(self, checkpoint="best") -> Path:
        """File of a checkpoint: 'best' (by validation AUC), 'latest', or a batch number.

        Only files inside the run folder's checkpoints/ are ever named (closed world)."""
        if self.batches_done == 0:
            raise PhotoqError(f"The run {self.path} has no checkpoint yet: train it first")
        if checkpoint in ("best", "latest"):
            path = inside(self.path, self.path / self.state[checkpoint], what="checkpoint")
        else:
            if isinstance(checkpoint, bool) or not isinstance(checkpoint, int) and not str(checkpoint).isdigit():
                raise PhotoqError(f"checkpoint must be 'best', 'latest' or a batch number, got {checkpoint!r}")
            path = inside(self.path, self.path / checkpoint_name(int(checkpoint)), what="checkpoint")
            if not path.exists():
                raise PhotoqError(f"The run {self.path} has no checkpoint at batch {checkpoint}")
        if not path.is_file():
            raise PhotoqError(f"The checkpoint {path} is missing (named by state.json as {checkpoint!r})")
        return path

    def validation_scores(self, checkpoint="best") -> pd.DataFrame:
        """hash, label, score of every validation photo, as scored at that checkpoint."""
        model_file = self.checkpoint_path(checkpoint)
        scores_file = model_file.with_name(model_file.name.replace(".keras", ".validation.csv"))
        try:
            scores = pd.read_csv(scores_file, dtype={"hash": str, "label": str})
        except (OSError, ValueError) as err:
            raise PhotoqError(f"The validation scores {scores_file} cannot be read: {err}") from None
        missing = [c for c in ("hash", "label", "score") if c not in scores.columns]
        if missing:
            raise PhotoqError(f"{scores_file} lacks the column(s) {', '.join(missing)}")
        return scores

    def load_model(self, checkpoint="best"):
        """The Keras model of a checkpoint (Keras safe mode); a damaged file is a PhotoqError."""
        return load_checkpoint(self.checkpoint_path(checkpoint))

    def open_cache(self, cache=None) -> Cache:
        """The cache the run learned from (or `cache`, if it was moved), checked by its id."""
        handle = cache if isinstance(cache, Cache) else open_cache(cache or self.info["cache"]["path"])
        if handle.id != self.info["cache"]["id"]:
            raise PhotoqError(
                f"The cache {handle.path} (id {handle.id}) is not the one the run {self.path} "
                f"learned from (id {self.info['cache']['id']})"
            )
        return handle

    @property
    def booster_info(self) -> dict | None:
        """booster/booster.json of a run whose recipe has a booster (pyphotoq.models.booster), or None."""
        file = self.path / "booster" / "booster.json"
        if not file.is_file():
            return None
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise PhotoqError(f"The booster file {file} cannot be read: {err}") from None

    def booster_text(self) -> str:
        """' · booster (network weight w, validation AUC a)' once blended, else ''."""
        info = self.booster_info
        if not info or info.get("network_weight") is None:
            return ""
        weight = info["network_weight"]
        auc = info.get("validation_auc", {}).get(f"{weight:g}")
        return f" · booster (network weight {weight:g}, validation AUC {auc:.3f})" if auc is not None else ""

    def __repr__(self) -> str:
        best = self.state.get("best_auc")
        best_text = f", best validation AUC {best:.3f}" if best is not None else ""
        return (
            f"<photoq run {self.path} · recipe {self.settings.get('recipe', 'original')} · "
            f"{self.batches_done}/{self.settings['batches']} batches{best_text}{self.booster_text()}>"
        )


def checkpoint_name(batch: int) -> str:
    return f"checkpoints/batch-{batch:06d}.keras"


def validation_scores_name(batch: int) -> str:
    return f"checkpoints/batch-{batch:06d}.validation.csv"


def run_folder(run) -> Path:
    """The resolved folder of an existing run; the one-line error when it holds no run.json
    (also what the command line checks before it imports TensorFlow)."""
    folder = Path(run).expanduser().resolve()
    if not (folder / "run.json").exists():
        if folder.is_file():
            raise PhotoqError(f"Expected a run folder, got a file: {folder}")
        raise PhotoqError(f"No photoq run at {folder}: run.json not found (train one with train_model)")
    return folder


def open_run(run) -> Run:
    """Open an existing run folder, checking run.json and state.json."""
    folder = run_folder(run)
    info_file = folder / "run.json"
    info = _read_json(info_file)
    if info.get("format") != FORMAT_NAME or not isinstance(info.get("version"), int):
        raise PhotoqError(f"{info_file} is not a photoq run (format {info.get('format')!r})")
    if info["version"] > FORMAT_VERSION:
        raise PhotoqError(f"{info_file} is a run of format version {info['version']}: upgrade pyphotoq")
    problem = _run_info_problem(info)
    if problem:
        raise PhotoqError(f"{info_file}: {problem}")
    state_file = folder / "state.json"
    state = _read_json(state_file) if state_file.exists() else {"batches_done": 0}
    problem = _state_problem(state)
    if problem:
        raise PhotoqError(f"{state_file}: {problem}")
    return Run(folder, info, state)


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError) as err:
        raise PhotoqError(f"{path} cannot be read as JSON: {err}") from None
    if not isinstance(value, dict):
        raise PhotoqError(f"{path} must hold a JSON object, got {type(value).__name__}")
    return value


def _run_info_problem(info: dict) -> str | None:
    cache = info.get("cache")
    if not isinstance(cache, dict) or not isinstance(cache.get("path"), str) or not isinstance(cache.get("id"), str):
        return f"cache must give the cache's path and id, got {cache!r}"
    if not isinstance(cache.get("width"), int) or not 64 <= cache["width"] <= 16384:
        return f"cache.width must be a whole number from 64 to 16384, got {cache.get('width')!r}"
    settings = info.get("settings")
    if not isinstance(settings, dict):
        return f"settings must be an object, got {settings!r}"
    for key in ("batches", "batch_size", "validate_every"):
        value = settings.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            return f"settings.{key} must be a whole number >= 1, got {value!r}"
    classes = info.get("classes")
    if not isinstance(classes, dict) or not isinstance(classes.get("positive"), str):
        return f"classes must name the positive and negative class, got {classes!r}"
    return None


def _state_problem(state: dict) -> str | None:
    done = state.get("batches_done", 0)
    if not isinstance(done, int) or isinstance(done, bool) or done < 0:
        return f"batches_done must be a whole number >= 0, got {done!r}"
    if done == 0:
        return None
    for key in ("latest", "best"):
        name = state.get(key)
        match = _CHECKPOINT.match(name) if isinstance(name, str) else None
        if match is None:
            return f"{key} must name a checkpoint as checkpoints/batch-NNNNNN.keras, got {name!r}"
        if int(match.group(1)) > done:
            return f"{key} names {name}, after the {done} batches done"
    auc = state.get("best_auc")
    if auc is not None and (not isinstance(auc, (int, float)) or not math.isfinite(auc)):
        return f"best_auc must be a number or null, got {auc!r}"
    return None


def load_checkpoint(path: Path):
    """A checkpoint's Keras model, loaded in Keras safe mode; PhotoqError naming the file when
    it is missing or damaged."""
    from ..core.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras

    from . import statistics  # noqa: F401  (registers the ImageStatistics layer the default network uses)

    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as err:  # noqa: BLE001 (any failure to load means an unusable file)
        reason = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        raise PhotoqError(f"The checkpoint {path} cannot be loaded (damaged or not a model): {reason}") from None


def resume_model(run: Run, log=None):
    """The model to resume `run` from: the newest checkpoint that loads, or None (start again).

    Checkpoints that do not load (missing, truncated, damaged) are skipped, saying which; when
    the one resumed from is not the latest, state.json is rolled back to it (with the best
    checkpoint chosen again among those left), so the run continues from there.
    """
    log = log or (lambda text: print(text, file=sys.stderr))
    done = run.batches_done
    batches = sorted(
        (int(p.name[6:12]) for p in (run.path / "checkpoints").glob("batch-*.keras")
         if re.match(r"^batch-\d{6}\.keras$", p.name) and int(p.name[6:12]) <= done),
        reverse=True,
    )
    latest = _CHECKPOINT.match(run.state.get("latest", "") or "")
    if latest and int(latest.group(1)) not in batches:
        batches = sorted(set(batches) | {int(latest.group(1))}, reverse=True)
    skipped = []
    for batch in batches:
        path = run.path / checkpoint_name(batch)
        try:
            if not path.is_file():
                raise PhotoqError(f"The checkpoint {path} is missing")
            model = load_checkpoint(path)
        except PhotoqError as err:
            skipped.append(str(err))
            continue
        if skipped:
            log("; ".join(skipped) + f". Resuming {run.path} from batch {batch}.")
        if batch != done:
            _roll_back(run, batch)
        return model
    if done:
        log((("; ".join(skipped) + ". ") if skipped else "")
            + f"No checkpoint of {run.path} loads: training starts again from batch 0.")
        _roll_back(run, 0)
    return None


def _roll_back(run: Run, batch: int) -> None:
    """state.json and history.csv as they were when checkpoint `batch` was committed."""
    history = read_history(run.path)
    history = history[history["batch"] <= batch]
    if batch == 0:
        state = {"batches_done": 0}
    else:
        state = {k: v for k, v in run.state.items() if k not in ("best", "best_auc", "best_batch")}
        state.update(batches_done=batch, latest=checkpoint_name(batch))
        auc = history[(history["set"] == "validation") & (history["metric"] == "auc")]
        auc = auc[[(run.path / checkpoint_name(int(b))).is_file() for b in auc["batch"]]]
        auc = auc.dropna(subset=["value"])
        if len(auc):
            best = auc.loc[auc["value"].idxmax()]
            state.update(best=checkpoint_name(int(best["batch"])), best_auc=float(best["value"]),
                         best_batch=int(best["batch"]))
        else:
            state.update(best=checkpoint_name(batch), best_auc=None, best_batch=batch)
    commit_checkpoint(run, history, state)


# ---- the run's lock and its validation set -------------------------------------------------


def lock_run(folder) -> object:
    """Hold the run folder's lock (run/.lock) until the returned handle is closed (or the process
    ends); RunBusy when another training holds it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock_file = folder / ".lock"
    if lock_file.is_symlink():
        raise PhotoqError(f"Refused {lock_file}: a link (the run's lock must be a plain file)")
    handle = open(lock_file, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RunBusy(
            f"Another training is writing to the run {folder}; wait for it to finish, or use "
            "another run folder"
        ) from None
    return handle


def with_run_lock(function):
    """Decorator for train_model(cache, run, ...): the run folder is locked while it trains."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def locked(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        run = bound.arguments["run"]
        folder = run.path if isinstance(run, Run) else Path(run).expanduser().resolve()
        handle = lock_run(folder)
        try:
            return function(*args, **kwargs)
        finally:
            handle.close()

    return locked


def validation_fingerprint(frame: pd.DataFrame) -> dict:
    """How many validation photos, and a SHA-256 over their sorted `hash,label` lines."""
    lines = sorted(f"{h},{lab}" for h, lab in zip(frame["hash"], frame["label"]))
    return {"photos": len(lines), "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest()}


def check_validation_set(run: Run, cache: Cache, continue_on_new_data: bool = False) -> None:
    """Stop a resumed run whose cache's validation split is not the one it started on.

    With `continue_on_new_data`, the run adopts the new validation set instead, and its best
    checkpoint is chosen again from then on (AUCs over different sets are not compared).
    """
    current = validation_fingerprint(cache.split("validation"))
    recorded = run.info.get("validation")
    if recorded == current:
        return
    if recorded is not None and not continue_on_new_data:
        raise PhotoqError(
            f"The cache {cache.path} changed since the run {run.path} started: its validation split "
            f"now holds {current['photos']} photos (the run started on {recorded['photos']}), so AUCs "
            "would compare different sets. Train on the new data in a new run folder, or pass "
            "continue_on_new_data=True to go on validating on the new split"
        )
    run.info["validation"] = current
    run.write_info()
    if recorded is not None and run.state.get("batches_done"):
        state = dict(run.state, best_auc=None)  # any later checkpoint becomes the best
        write_atomic(run.path / "state.json", json.dumps(state, indent=2) + "\n")
        run.state = state


def view_specs(run: Run) -> dict:
    """How the views a run's network reads are made (name -> cache.json declaration); runs from
    before views were recorded read the overview only, as build_cache made it."""
    recorded = run.info["cache"].get("views")
    if recorded:
        return recorded
    return {"overview": {"make": "resize", "width": int(run.info["cache"]["width"]), "encoding": "jpeg",
                         "quality": 95}}


def create_run(folder: Path, cache: Cache, settings: dict) -> Run:
    """Write run.json for a new run and return it."""
    from ..core.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras
    from ..core.quiet import tf

    from .model import NETWORK_VIEWS

    folder.mkdir(parents=True, exist_ok=True)
    own_folder(folder, "checkpoints")
    info = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "cache": {"path": str(cache.path), "id": cache.id, "width": cache.width,
                  # how the views the network reads are made: scoring makes them from new photos
                  "views": {v: cache.info["views"][v] for v in NETWORK_VIEWS[settings["network"]]}},
        "classes": cache.info["classes"],
        "validation": validation_fingerprint(cache.split("validation")),
        "settings": settings,
        "versions": {
            "pyphotoq": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": platform.python_version(),
        },
    }
    run = Run(folder, info, {"batches_done": 0})
    run.write_info()
    return run


def read_history(folder: Path) -> pd.DataFrame:
    path = Path(folder) / "history.csv"
    if not path.exists():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    try:
        history = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise PhotoqError(f"{path} cannot be read as a table: {str(err).strip()}") from None
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise PhotoqError(f"{path} lacks the column(s) {', '.join(missing)}")
    if not pd.api.types.is_numeric_dtype(history["batch"]) or not pd.api.types.is_numeric_dtype(history["value"]):
        raise PhotoqError(f"{path}: columns batch and value must hold numbers")
    return history


def commit_checkpoint(run: Run, history: pd.DataFrame, state: dict) -> None:
    """Write the history, then the state that makes the new checkpoint current.

    The checkpoint named as latest is fsynced (with its folder) first, so after a power loss
    state.json never names a file that is not on disk whole."""
    latest = state.get("latest")
    if latest:
        _fsync_file(run.path / latest)
        fsync_folder(run.path / "checkpoints")
    write_atomic(run.path / "history.csv", history.to_csv(index=False, lineterminator="\n"))
    write_atomic(run.path / "state.json", json.dumps(state, indent=2) + "\n")
    run.state = state
