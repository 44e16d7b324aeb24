"""Score a folder of new photos straight from the source files, streamed."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow as tf
from tqdm.auto import tqdm

from .batches import IMAGE_SPEC, without_autotuning
from .errors import PhotoqError
from .evaluation import validation_threshold
from .images import UnusablePhoto, open_photo
from .prediction import predict_images
from .runs import Run, open_run
from .sources import walk_images

SCORE_COLUMNS = ["path", "score", "decision", "reason"]
_CHUNK = 64


def score_photos(
    run,
    photos,
    threshold: float | None = None,
    keep_recall: float | None = None,
    checkpoint="best",
    batch_size: int = 16,
    workers: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Score every photo below the folder `photos` (no labels needed).

    Returns a table of path, score, decision ('keep', 'reject', or 'skipped' with the reason),
    best first. The threshold is `threshold`, else the one keeping `keep_recall` of the good
    photos on validation, else the F1-maximising one chosen on validation (from the validation
    scores stored in the run folder: the cache is not needed).
    """
    run = run if isinstance(run, Run) else open_run(run)
    paths = walk_images(photos)
    if not paths:
        raise PhotoqError(f"No photos to score in {Path(photos).expanduser()}")
    model = run.load_model(checkpoint)
    if threshold is None:
        threshold, _ = validation_threshold(run, checkpoint, keep_recall)
    width = int(run.info["cache"]["width"])
    batched_paths: list[str] = []
    skipped: list[tuple[str, str]] = []
    bar = tqdm(total=len(paths), desc="Scoring", unit="photo", disable=None if progress is None else not progress)

    def batches():
        with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
            for start in range(0, len(paths), _CHUNK):
                chunk = paths[start : start + _CHUNK]
                by_shape: dict[tuple, list] = {}
                for path, opened in zip(chunk, pool.map(lambda p: _open(p, width), chunk)):
                    if isinstance(opened, str):
                        skipped.append((path, opened))
                    else:
                        by_shape.setdefault(opened.shape, []).append((path, opened))
                for group in by_shape.values():
                    for i in range(0, len(group), batch_size):
                        part = group[i : i + batch_size]
                        batched_paths.extend(p for p, _ in part)
                        yield np.stack([a for _, a in part])
                bar.update(len(chunk))

    dataset = without_autotuning(
        tf.data.Dataset.from_generator(batches, output_signature=IMAGE_SPEC).prefetch(2)
    )
    scores = predict_images(model, dataset)
    bar.close()
    scored = pd.DataFrame({"path": batched_paths, "score": scores})
    scored["decision"] = np.where(scored["score"] >= threshold, "keep", "reject")
    scored["reason"] = ""
    scored = scored.sort_values("score", ascending=False, kind="stable")
    rejected = pd.DataFrame(skipped, columns=["path", "reason"]).assign(score=np.nan, decision="skipped")
    table = pd.concat([scored, rejected[SCORE_COLUMNS]], ignore_index=True)[SCORE_COLUMNS]
    table.attrs["threshold"] = float(threshold)
    return table


def _open(path: str, width: int):
    """The photo as a uint8 array, or the reason it cannot be used."""
    try:
        return np.asarray(open_photo(path, width).image)
    except UnusablePhoto as err:
        return str(err)


def copy_keepers(table: pd.DataFrame, folder, link: bool = False) -> int:
    """Copy (or hard-link, where possible) the photos decided 'keep' into `folder`.

    Originals are never moved or changed. Returns how many files were placed.
    """
    target = Path(folder).expanduser()
    target.mkdir(parents=True, exist_ok=True)
    placed = 0
    for path in table.loc[table["decision"] == "keep", "path"]:
        destination = _free_name(target / Path(path).name)
        if link:
            try:
                os.link(path, destination)
            except OSError:
                os.symlink(os.path.abspath(path), destination)
        else:
            shutil.copy2(path, destination)
        placed += 1
    return placed


def _free_name(path: Path) -> Path:
    candidate, number = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}_{number}{path.suffix}")
        number += 1
    return candidate
