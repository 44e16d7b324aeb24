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

import json
import platform
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .cache import Cache, open_cache, write_atomic
from .errors import PhotoqError

FORMAT_NAME = "photoq-run"
FORMAT_VERSION = 1
HISTORY_COLUMNS = ["batch", "set", "metric", "value"]


@dataclass
class Run:
    """An opened run folder."""

    path: Path
    info: dict
    state: dict

    @property
    def settings(self) -> dict:
        return self.info["settings"]

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
        """File of a checkpoint: 'best' (by validation AUC), 'latest', or a batch number."""
        if self.batches_done == 0:
            raise PhotoqError(f"The run {self.path} has no checkpoint yet: train it first")
        if checkpoint in ("best", "latest"):
            return self.path / self.state[checkpoint]
        path = self.path / checkpoint_name(int(checkpoint))
        if not path.exists():
            raise PhotoqError(f"The run {self.path} has no checkpoint at batch {checkpoint}")
        return path

    def validation_scores(self, checkpoint="best") -> pd.DataFrame:
        """hash, label, score of every validation photo, as scored at that checkpoint."""
        model_file = self.checkpoint_path(checkpoint)
        return pd.read_csv(model_file.with_name(model_file.name.replace(".keras", ".validation.csv")))

    def load_model(self, checkpoint="best"):
        """The Keras model of a checkpoint."""
        import keras

        return keras.models.load_model(self.checkpoint_path(checkpoint))

    def open_cache(self, cache=None) -> Cache:
        """The cache the run learned from (or `cache`, if it was moved), checked by its id."""
        handle = cache if isinstance(cache, Cache) else open_cache(cache or self.info["cache"]["path"])
        if handle.id != self.info["cache"]["id"]:
            raise PhotoqError(
                f"The cache {handle.path} (id {handle.id}) is not the one the run {self.path} "
                f"learned from (id {self.info['cache']['id']})"
            )
        return handle

    def __repr__(self) -> str:
        best = self.state.get("best_auc")
        best_text = f", best validation AUC {best:.3f}" if best is not None else ""
        return (
            f"<photoq run {self.path} · {self.batches_done}/{self.settings['batches']} batches"
            f"{best_text}>"
        )


def checkpoint_name(batch: int) -> str:
    return f"checkpoints/batch-{batch:06d}.keras"


def validation_scores_name(batch: int) -> str:
    return f"checkpoints/batch-{batch:06d}.validation.csv"


def open_run(run) -> Run:
    """Open an existing run folder."""
    folder = Path(run).expanduser().resolve()
    info_file = folder / "run.json"
    if not info_file.exists():
        raise PhotoqError(f"No photoq run at {folder}: run.json not found (train one with train_model)")
    info = json.loads(info_file.read_text())
    state_file = folder / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {"batches_done": 0}
    return Run(folder, info, state)


def create_run(folder: Path, cache: Cache, settings: dict) -> Run:
    """Write run.json for a new run and return it."""
    import keras
    import tensorflow as tf

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkpoints").mkdir(exist_ok=True)
    info = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "cache": {"path": str(cache.path), "id": cache.id, "width": cache.width},
        "classes": cache.info["classes"],
        "settings": settings,
        "versions": {
            "pyphotoq": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": platform.python_version(),
        },
    }
    write_atomic(folder / "run.json", json.dumps(info, indent=2) + "\n")
    return Run(folder, info, {"batches_done": 0})


def read_history(folder: Path) -> pd.DataFrame:
    path = Path(folder) / "history.csv"
    if not path.exists():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    return pd.read_csv(path)


def commit_checkpoint(run: Run, history: pd.DataFrame, state: dict) -> None:
    """Write the history, then the state that makes the new checkpoint current."""
    write_atomic(run.path / "history.csv", history.to_csv(index=False, lineterminator="\n"))
    write_atomic(run.path / "state.json", json.dumps(state, indent=2) + "\n")
    run.state = state
