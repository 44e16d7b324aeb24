"""The booster: gradient-boosted trees over each photo's image statistics, compared with its scene.

A photographer culls a burst by comparing its shots: the one that is softer, darker, noisier or
more tilted than its neighbours goes. The booster does the same with numbers. For every photo it
takes the global statistics of `pyphotoq.models.statistics` (the layer the networks use, so one
definition) of the overview and of every detail patch (pooled over the patches by mean, max and
min), and the same numbers minus their median over the photo's scene: the photos taken within
30 s of each other or looking alike (`splits.scene_groups`), among the photos scored together
(a split of the cache, or a folder being scored). Gradient-boosted trees (LightGBM) learn the
photographer's taste from these on the training photos. A photo whose scene has fewer than
MIN_SCENE photos is scored by a second booster that sees its own statistics only.

The run's score is the booster's blended with the network's best checkpoint, on the logit scale,
with the network's weight chosen on the validation photos from NETWORK_WEIGHTS (from the
boosters alone to the network alone). Measured on the realistic benchmark (README), comparing a
photo with its scene lifts test AUC from about 0.91 to about 0.95, and the booster trains in
seconds.

Files, in the run folder's booster/ (LightGBM's own text model format: readable, and loading it
runs no code):

    booster.json            what was fitted: features, scene rule, network weight, checkpoint
    scene.txt, alone.txt    the two boosters
    validation.csv          hash, label, score of every validation photo (for the threshold)

How they are fitted (which rows the trees learn from, the validation scores, the network's
weight): pyphotoq.models.booster_fit.
"""

from __future__ import annotations

import hashlib

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from ..core.quiet import tf  # TensorFlow imported quietly (pyphotoq.core.quiet)

from ..data.cache import Cache
from ..core.errors import PhotoqError
from ..core.files import inside
from ..photos.splits import DEFAULT_SECONDS, scene_groups
from .statistics import NAMES, image_statistics
from .booster_files import MIN_SCENE, check_info, checked_model_text
from ..data.views import OVERVIEW, VIEWS, input_views, view_kind

FOLDER = "booster"
SCENE_SECONDS = DEFAULT_SECONDS["scene"]
#: The network's weights tried on validation (0: the boosters alone; 1: the network alone).
NETWORK_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: LightGBM's settings, chosen on the realistic benchmark's validation photos; one thread and
#: deterministic mode so a run is reproducible.
PARAMETERS = {
    "objective": "binary", "learning_rate": 0.03, "num_leaves": 15, "min_data_in_leaf": 20,
    "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.5, "lambda_l2": 1.0,
    "deterministic": True, "force_row_wise": True, "num_threads": 1, "verbose": -1,
}
ROUNDS = 400
_NOTED: set = set()


#: What the booster's statistics measure (pyphotoq.models.statistics and batch_statistics): raise it
#: when either changes what it measures, so that statistics kept with caches are measured again.
STATISTICS_VERSION = 1
#: Before the views' names in statistics.csv: the rows of edited copies (statistics_store).
EDITED = "edited:"


def statistic_names(views) -> list[str]:
    """The booster's own columns for a model reading `views`: each view's, as its declaration
    names them (pyphotoq.photos.view_kinds)."""
    return [name for view in views for name in view_kind(view).statistic_names(NAMES)]


@tf.function(reduce_retracing=True)
def _whole_statistics(images):
    return image_statistics(images)


_REDUCE = {"mean": tf.reduce_mean, "max": tf.reduce_max, "min": tf.reduce_min}
_POOLED: dict = {}


def _pooled_statistics(pools: tuple):
    """A traced function from a (1, parts, height, width, 3) batch to the statistics of every
    part pooled by each of `pools` (the detail view: mean, max, min of its patches)."""
    if pools not in _POOLED:
        @tf.function(reduce_retracing=True)
        def pooled(parts):
            shape = tf.shape(parts)
            each = image_statistics(tf.reshape(parts, [-1, shape[2], shape[3], 3]))
            each = tf.reshape(each, [shape[0], shape[1], len(NAMES)])
            return tf.concat([_REDUCE[pool](each, 1) for pool in pools], 1)

        _POOLED[pools] = pooled
    return _POOLED[pools]


def _view_statistics(view: str, pixels) -> np.ndarray:
    """(1, columns) statistics of one photo's pixels of `view`, a batch of one."""
    pools = view_kind(view).pools
    return (_pooled_statistics(pools)(pixels) if pools else _whole_statistics(pixels)).numpy()


def overview_statistics(pixels) -> np.ndarray:
    """(len(NAMES),) statistics of one photo's overview, an (height, width, 3) uint8 array: the
    numbers photo_statistics and batch_statistics give its overview."""
    return _view_statistics(OVERVIEW, np.asarray(pixels, dtype=np.uint8)[None])[0]


def overview_part(statistics: np.ndarray, views) -> np.ndarray | None:
    """The overview's columns (NAMES, in order) of booster statistics measured of `views` (rows,
    or one row), or None when the overview is not among them."""
    names = statistic_names(views)
    wanted = view_kind(OVERVIEW).statistic_names(NAMES)
    if not set(wanted) <= set(names):
        return None
    return np.asarray(statistics)[..., [names.index(name) for name in wanted]]


def photo_statistics(pixels, views) -> np.ndarray:
    """(features,) statistics of one photo given as its views' pixels (a list in the order of
    `views`, e.g. [overview] for ("overview",), or [overview, patches] for ("overview",
    "detail")), the same numbers batch_statistics gives it in any batch."""
    views = tuple(views)
    if len(views) != len(pixels):
        raise ValueError(f"photo_statistics: {len(pixels)} pictures for the views {', '.join(views)}")
    return np.concatenate([_view_statistics(v, p[None]) for v, p in zip(views, pixels)], 1)[0]


def batch_statistics(images) -> np.ndarray:
    """(batch, features) statistics of a batch as the networks get it: a uint8 tensor of
    overviews, or a dict of each view's model input ("pixels" and "patches"). Measured one photo
    at a time: TensorFlow's reductions round differently for other batch sizes, and the trees
    must see the same numbers in training, evaluation, scoring and explanations whatever the
    batches."""
    given = images if isinstance(images, dict) else {view_kind(OVERVIEW).input: images}
    views = input_views(given)
    inputs = [given[view_kind(v).input] for v in views]
    rows = [np.concatenate([_view_statistics(v, x[i : i + 1]) for v, x in zip(views, inputs)], 1)
            for i in range(int(inputs[0].shape[0]))]
    return np.concatenate(rows) if rows else np.zeros((0, len(statistic_names(views))), np.float32)


def scene_features(frame: pd.DataFrame, statistics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(features, in_scene): each photo's statistics, then the same minus their median over its
    scene among the rows of `frame` (columns hash, taken, look); in_scene is False for photos
    whose scene has fewer than MIN_SCENE rows (their comparisons are NaN)."""
    frame = frame.reset_index(drop=True)
    columns = [c for c in ("hash", "taken", "look") if c in frame.columns]
    groups = scene_groups(frame[columns], SCENE_SECONDS).to_numpy()
    table = pd.DataFrame(statistics)
    median = table.groupby(groups).transform("median").to_numpy()
    size = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy()
    in_scene = size >= MIN_SCENE
    compared = np.where(in_scene[:, None], statistics - median, np.nan)
    return np.hstack([statistics, compared]).astype(np.float64), in_scene


def logit(p):
    """log(p / (1 - p)), p clipped to [1e-6, 1 - 1e-6]."""
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def blend(network, boosted, weight):
    if weight == 0:  # the boosters alone (the network's scores are not even computed)
        return np.asarray(boosted, dtype=float)
    if weight == 1:  # the network alone
        return np.asarray(network, dtype=float)
    z = weight * logit(network) + (1 - weight) * logit(boosted)
    return 1 / (1 + np.exp(-z))


class Booster:
    """A run's fitted booster (see the module's text)."""

    def __init__(self, folder: Path, info: dict, models: dict):
        self.folder, self.info, self.models = folder, info, models

    @property
    def network_weight(self) -> float:
        return float(self.info["network_weight"])

    def boosted(self, statistics: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        """The boosters' scores alone, for rows of `frame` with their `statistics`."""
        if len(frame) == 0:
            return np.array([], dtype=float)
        features, in_scene = scene_features(frame, statistics)
        own = features[:, : statistics.shape[1]]
        scores = self.models["alone"].predict(own)
        if in_scene.any():
            scores[in_scene] = self.models["scene"].predict(features[in_scene])
        return np.asarray(scores, dtype=float)

    @property
    def needs_network(self) -> bool:
        """Whether the blend uses the network's scores (validation may give it no weight)."""
        return self.network_weight > 0

    def score(self, network_scores: np.ndarray, statistics: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
        """The run's scores: the boosters' blended with the network's (not read at weight 0)."""
        return blend(network_scores, self.boosted(statistics, frame), self.network_weight)

    def validation_scores(self) -> pd.DataFrame:
        """hash, label, score of the validation photos (the lines are drawn from them); PhotoqError
        naming the file when it is damaged."""
        path = self.folder / "validation.csv"
        try:
            table = pd.read_csv(path, dtype={"hash": str, "label": str})
            scores = pd.to_numeric(table["score"], errors="coerce")
        except (OSError, ValueError, KeyError) as err:
            raise PhotoqError(f"The booster file {path} is damaged ({str(err).strip()[:80]}): run train_model on the "
                              "run again to refit it") from None
        if scores.isna().any() or not scores.between(0, 1).all() or table["hash"].isna().any():
            raise PhotoqError(f"The booster file {path} is damaged (scores must be numbers from 0 to 1): run "
                              "train_model on the run again to refit it")
        return table.assign(score=scores)


def booster_path(run) -> Path:
    return Path(run.path) / FOLDER


def load_booster(run, checkpoint="best", note: bool = True) -> Booster | None:
    """The run's booster if it has one and `checkpoint` is the best, which it is blended with;
    None otherwise (other checkpoints, and a run still training, score with the network alone;
    the latter is said once on stderr)."""
    import lightgbm

    folder = booster_path(run)
    if not (folder / "booster.json").is_file() or run.batches_done == 0:
        return None
    if Path(run.checkpoint_path(checkpoint)).name != Path(run.checkpoint_path("best")).name:
        return None
    try:
        inside(run.path, folder, what="booster folder")  # only files inside the run folder are read
        info = check_info(json.loads(small_text(folder / "booster.json")), folder / "booster.json", tuple(VIEWS),
                          statistic_names)
        # LightGBM's native parser sees only text photoq's own parser checked (booster_files)
        models = {name: lightgbm.Booster(model_str=checked_model_text(
                      inside(run.path, folder / f"{name}.txt", what="booster file"), model_columns(name, info)))
                  for name in ("scene", "alone")}
    except (OSError, ValueError, KeyError, RecursionError, lightgbm.basic.LightGBMError) as err:
        raise PhotoqError(f"The booster in {folder} cannot be read ({err}): run train_model again to refit it") from None
    if info.get("checkpoint") != run.state.get("best"):
        if note and str(folder) not in _NOTED:
            _NOTED.add(str(folder))
            print(f"The booster in {folder} is blended with the best checkpoint when training ends "
                  f"(train_model on the run does it): scoring with the network alone", file=sys.stderr)
        return None
    if info["network_weight"] is None:
        raise PhotoqError(f"The booster in {folder} has no network weight yet: run train_model on the run again "
                          "to finish it")
    return Booster(folder, info, models)


def model_columns(name: str, info: dict) -> int:
    """How many columns a booster reads: its statistics, and for the scene booster the same
    compared with the scene (scene_features)."""
    features = info.get("features")
    count = len(features) if isinstance(features, list) else 0
    return 2 * count if name == "scene" else count


def small_text(path: Path, limit: int = 16 * 1024 * 1024) -> str:
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path.name} is over {limit} bytes")
    return data.decode("utf-8")


def run_validation_scores(run, booster, checkpoint="best") -> pd.DataFrame:
    """hash, label, score of the validation photos as the run scores them: blended by its booster
    (load_booster's answer), or by the checkpoint's network alone when `booster` is None."""
    return run.validation_scores(checkpoint) if booster is None else booster.validation_scores()


def booster_is_current(run) -> bool:
    try:
        booster = load_booster(run, note=False)
        return booster is not None and len(booster.validation_scores()) > 0
    except PhotoqError:
        return False


def measure_statistics(cache: Cache, frame: pd.DataFrame, views, batch_size: int = 16,
                       progress: bool | None = None, edit_seed: int | None = None) -> np.ndarray:
    """The booster's statistics of every row of `frame`, in row order, from the cached views
    decoded as the batch stream decodes them; with `edit_seed`, of copies given a random global
    edit each (edits.py), the same edit on every view of a photo.

    Photos (and edited copies) measured before are read from the cache's statistics.csv
    (pyphotoq.data.statistics_store); the others are measured, a chunk at a time, and kept there."""
    from ..data import statistics_store
    from .edits import edit_parameters

    views = tuple(views)
    frame = frame.reset_index(drop=True)
    edits = None if edit_seed is None else edit_parameters(frame["hash"], edit_seed)
    # an edited copy is kept under the hash of its photo's hash and its edit
    keys = frame if edits is None else frame.assign(hash=[
        hashlib.sha256(f"{digest}:".encode() + edit.tobytes()).hexdigest() for digest, edit in zip(frame["hash"], edits)])
    tag = "" if edits is None else EDITED
    values, kept = kept_statistics(cache, keys, views, tag)
    missing = np.flatnonzero(~kept)
    if len(missing) == 0:
        return values
    from ..core.progress import tqdm

    with tqdm(total=len(missing), desc="Booster statistics" if edits is None else "Booster statistics, edited copies",
              unit="photo", disable=None if progress is None else not progress) as bar:  # one bar over every chunk
        for start in range(0, len(missing), statistics_store.CHUNK):
            rows = missing[start : start + statistics_store.CHUNK]
            values[rows] = _measure(cache, frame.iloc[rows], views, batch_size, progress,
                                    None if edits is None else edits[rows], bar=bar)
            keep_statistics(cache, keys.iloc[rows], views, values[rows], tag)
    return values


def kept_statistics(cache: Cache, frame: pd.DataFrame, views, tag: str = "") -> tuple[np.ndarray, np.ndarray]:
    """(the statistics kept in the cache for the rows of `frame`, NaN where none; a mask of those
    kept); `tag` EDITED: of edited copies, `frame`'s hash being the copy's."""
    from ..data import statistics_store

    views = tuple(views)
    return statistics_store.stored(cache, frame, views, statistic_names(views), STATISTICS_VERSION, tag=tag)


def keep_statistics(cache: Cache, frame: pd.DataFrame, views, values: np.ndarray, tag: str = "") -> None:
    """Keep the measured statistics of the rows of `frame` in the cache (statistics_store)."""
    from ..data import statistics_store

    views = tuple(views)
    first = ~frame["hash"].duplicated().to_numpy()
    statistics_store.keep(cache, frame["hash"].to_numpy()[first], np.asarray(values)[first], views,
                          statistic_names(views), STATISTICS_VERSION, tag=tag)


def _measure(cache: Cache, frame: pd.DataFrame, views, batch_size: int, progress, edits,
             bar=None) -> np.ndarray:
    """The statistics of the rows of `frame`, measured; with `edits` (a row of edits.edit_parameters
    for each row), of edited copies."""
    import contextlib

    from ..core.progress import tqdm

    from .batches import ordered_batches
    from .edits import apply_edit

    dataset, order = ordered_batches(cache, frame, batch_size, views)
    parts, done = [], 0
    with (contextlib.nullcontext(bar) if bar is not None else
          tqdm(total=len(frame), desc="Booster statistics" if edits is None else "Booster statistics, edited copies",
               unit="photo", disable=None if progress is None else not progress)) as bar:
        for images, _ in dataset:
            if edits is not None:
                count = int((images[view_kind(OVERVIEW).input] if isinstance(images, dict) else images).shape[0])
                chosen = edits[order[done : done + count]]
                images = ({name: apply_edit(value, chosen) for name, value in images.items()}
                          if isinstance(images, dict) else apply_edit(images, chosen))
            parts.append(batch_statistics(images))
            done += len(parts[-1])
            bar.update(len(parts[-1]))
    found = np.concatenate(parts) if parts else np.zeros((0, len(statistic_names(views))), np.float32)
    measured = np.empty_like(found)
    measured[order] = found
    return measured
