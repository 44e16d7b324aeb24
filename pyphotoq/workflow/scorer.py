"""One scorer: a run's checkpoint ready to score photos and to decide them.

A photo's score is the run's booster (its statistics, compared with its scene among the photos
scored together) blended with the checkpoint's network (pyphotoq.models.booster), or the network
alone for a run or a checkpoint without a booster. Every path that scores goes through a
`Scorer`, whatever the photos come from:

* cached photos (`score_cached`: evaluate_model, and so the report and the metrics);
* new files measured by scoring.measure_photo (`network_scores` for each batch, then
  `combine`: score_photos, locally or on Dask workers);
* photo by photo with the network's gradients (explain_photos: `model` gives the maps, then
  `combine`).

Its `decide` is the one decision policy: culling.decide with the keep and reject lines chosen
on the run's validation scores, then the burst and sequence rules. So one photo scored with the
same others gets one score and one verdict everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.cache import Cache
from ..models.booster import keep_statistics, kept_statistics, load_booster, measure_statistics, run_validation_scores
from ..models.model import views_of
from ..models.prediction import fed_inputs, fed_network, fed_scorer, predict_scores, scorer
from ..models.runs import Run, open_run
from .culling import Culling, decide
from .reasons import booster_reasons


class Scorer:
    """A run's checkpoint ready to score (see the module).

    `booster` is the run's booster (None without one); the network is loaded on first use, and
    only scoring that needs it loads it (`uses_network`: a booster that gives the network no
    weight scores without it).
    """

    def __init__(self, run, checkpoint="best", note: bool = True):
        self.run: Run = run if isinstance(run, Run) else open_run(run)
        self.checkpoint = checkpoint
        self.booster = load_booster(self.run, checkpoint, note=note)
        self._model = None
        self._validation = None

    @property
    def uses_network(self) -> bool:
        """Whether the network has a part in the score (no booster, or one that gives it weight)."""
        return self.booster is None or self.booster.needs_network

    @property
    def model(self):
        """The checkpoint's whole network (it measures its statistics from pixels), loaded once."""
        if self._model is None:
            self._model = self.run.load_model(self.checkpoint)
        return self._model

    @property
    def views(self) -> tuple[str, ...]:
        """The views a photo is made into to be scored: the network's inputs, else the booster's."""
        return views_of(self.model) if self.uses_network else tuple(self.booster.info["views"])

    @property
    def measures_statistics(self) -> bool:
        """Whether each photo's statistics are measured: for the booster, or to feed the network
        (prediction.fed_network) instead of letting it measure them again."""
        return self.booster is not None or (self.uses_network and fed_network(self.model) is not None)

    @property
    def validation(self) -> pd.DataFrame:
        """The run's validation scores as this scorer scores (booster_files.run_validation_scores)."""
        if self._validation is None:
            self._validation = run_validation_scores(self.run, self.booster, self.checkpoint)
        return self._validation

    # ---- the network's part ------------------------------------------------------------------

    def network_scores(self, images, statistics: np.ndarray | None = None) -> np.ndarray:
        """The network's scores of one batch (`images`: one view's array, or {input: array}),
        given the photos' statistics when the network reads them (prediction.fed_scorer), else
        measuring them itself; NaN when the network has no part in the score."""
        count = len(next(iter(images.values())) if isinstance(images, dict) else images)
        if not self.uses_network:
            return np.full(count, np.nan)
        fed = fed_scorer(self.model)
        if fed is not None and statistics is not None:
            return fed(fed_inputs(self.model, images, statistics)).numpy().astype(float)
        return scorer(self.model)(images).numpy().astype(float)

    def cached_parts(self, cache: Cache, frame: pd.DataFrame, progress: bool | None = None):
        """(network scores, statistics or None) of the cached photos of `frame`: the statistics
        kept with the cache (measured once, and kept when measured here); the network only when
        it has a part, given the statistics where it reads them."""
        if self.booster is None:
            return predict_scores(self.model, cache, frame), None
        views = tuple(self.booster.info["views"])
        if not self.booster.needs_network:
            return np.full(len(frame), np.nan), measure_statistics(cache, frame, views, progress=progress)
        statistics, kept = kept_statistics(cache, frame, views)
        if kept.all():  # the network is given them (fed_network)
            return predict_scores(self.model, cache, frame, given=statistics), statistics
        # one decode gives both; the statistics are kept for next time
        network, statistics = predict_scores(self.model, cache, frame, statistics=True, views=views)
        keep_statistics(cache, frame, views, statistics)
        return network, statistics

    # ---- the score, its words and its verdict ------------------------------------------------

    def combine(self, network: np.ndarray, statistics: np.ndarray | None, shots: pd.DataFrame) -> np.ndarray:
        """The run's scores of photos scored together (`shots`: hash, taken, look, one row each)
        from their network scores and statistics: the booster's blend, or the network alone."""
        network = np.asarray(network, dtype=float)
        if self.booster is None:
            return network
        return self.booster.score(network, statistics, shots)

    def reasons(self, statistics: np.ndarray | None, shots: pd.DataFrame) -> list[str] | None:
        """The booster's words for what moved each score most (pyphotoq.workflow.reasons), or None
        without a booster."""
        if self.booster is None:
            return None
        return booster_reasons(self.booster, statistics, shots.reset_index(drop=True))

    def score_cached(self, cache: Cache, frame: pd.DataFrame, reasons: bool = False,
                     progress: bool | None = None) -> tuple[np.ndarray, list[str] | None]:
        """(scores of the cached photos of `frame`, scored together; with `reasons` the booster's
        words for each, else None). `progress`: the bar of statistics still to measure."""
        network, statistics = self.cached_parts(cache, frame, progress)
        scores = self.combine(network, statistics, frame)
        return scores, self.reasons(statistics, frame) if reasons else None

    def lines(self, culling: Culling | dict | None = None) -> dict:
        """`culling`'s keep and reject lines (Culling.lines) on this scorer's validation scores."""
        return Culling.of(culling).lines(self.validation, self.run.info["classes"]["positive"])

    def decide(self, shots: pd.DataFrame, culling: Culling | dict | None = None) -> tuple[pd.DataFrame, dict]:
        """Keep / review / reject for photos scored together (culling.decide): the keep and
        reject lines chosen on this scorer's validation scores (or `culling`'s cut), then the
        burst and sequence rules."""
        return decide(shots, self.validation, self.run.info["classes"]["positive"], culling)
