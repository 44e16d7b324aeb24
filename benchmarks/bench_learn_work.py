"""A learning run's work beside the training batches, kept statistics against measured.

`learn_corrections` adds a sorted shoot to a run's cache and trains on. Besides the training
batches themselves it measures: the validation AUC before and after, each validation interval's
scores, and the booster's refit (the statistics of every training and validation photo, and of
their edited copies when the recipe learns from them). With the statistics kept in the cache
(statistics.csv, pyphotoq.data.statistics_store) only the photos new to the cache are measured.

What is timed: `learn_corrections(run, CORRECTIONS)` on a copy of a trained run and its cache
(copied again for every call, so each starts from the same state), in a fresh child process
(TensorFlow imported first: not part of the time). The time inside the training batches is
summed by a Keras callback (from each batch's start to its end); "beside the batches" is the
call's wall time minus that sum. The corrections are `--corrections` photos of the realistic set
as they come out of the camera (`fresh/`, photos whose archived copy was edited: new to the
cache), half good and half bad, sorted into good/ and bad/ by their truth.

  * kept: this checkout, on a cache whose statistics are kept (measured once beforehand, as the
    run's first training or an upgrade does);
  * measured (the BASELINE): an older checkout of photoq (`--before SOURCE`, its pyphotoq/
    imported instead): today's code before this change, which measures every statistic again.

Printed: wall time, time in batches, time beside them, for each side (best of --rounds,
alternating), and the ratio of the time beside the batches (target: kept <= 1/4 of measured).

    python benchmarks/bench_learn_work.py --run RUN --data DATA --before OLD_CHECKOUT
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def phase_learn(run: str, photos: str) -> dict:
    import tensorflow  # noqa: F401  (its import is not learning time)
    import keras

    in_batches = [0.0]

    class BatchTimer(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            in_batches[0] += time.perf_counter() - self.started

    fit = keras.Model.fit

    def timed_fit(self, *args, callbacks=None, **kwargs):
        return fit(self, *args, callbacks=[*(callbacks or []), BatchTimer()], **kwargs)

    keras.Model.fit = timed_fit
    import pyphotoq

    started = time.perf_counter()
    table = pyphotoq.learn_corrections(run, photos, progress=False, verbose=False)
    seconds = time.perf_counter() - started
    row = table.iloc[0]
    return {"seconds": seconds, "batches_seconds": in_batches[0], "beside": seconds - in_batches[0],
            "batches": int(row["to_batch"] - row["from_batch"]), "added": int(row["added"]),
            "auc_before": float(row["validation_auc_before"]), "auc_after": float(row["validation_auc_after"]),
            "source": os.path.dirname(pyphotoq.__file__)}


def phase_keep(run: str) -> dict:
    """Measure once what the run's first training under this checkout keeps in its cache."""
    import pyphotoq
    from pyphotoq.models.booster import measure_statistics
    from pyphotoq.workflow.facts import cached_facts

    handle = pyphotoq.open_run(run)
    cache = handle.open_cache()
    views = tuple(json.loads((Path(run) / "booster" / "booster.json").read_text())["views"])
    frame = cache.manifest
    measure_statistics(cache, frame, views, progress=False)
    train = cache.split("train")
    seed = int(handle.settings.get("seed", 0))
    for copy in range(int(handle.settings.get("edit_copies", 0))):
        measure_statistics(cache, train, views, progress=False, edit_seed=seed * 16 + copy)
    cached_facts(cache, frame["hash"], progress=False)
    return {"photos": len(frame)}


def corrections(data: Path, folder: Path, count: int) -> Path:
    import pandas as pd

    truth = pd.read_csv(data / "truth.csv")
    new = truth[truth["edited"].astype(bool)]
    chosen = pd.concat([new[new["label"] == label].sample(count // 2, random_state=7) for label in ("good", "bad")])
    for row in chosen.itertuples():
        (folder / row.label).mkdir(parents=True, exist_ok=True)
        (folder / row.label / Path(row.fresh).name).symlink_to(row.fresh)
    return folder


def copy_run(run: Path, cache: Path, into: Path) -> Path:
    """A copy of `run` and `cache` in `into`, the run pointing at its copy of the cache."""
    if into.exists():
        shutil.rmtree(into)
    shutil.copytree(cache, into / "cache")
    shutil.copytree(run, into / "run", ignore=shutil.ignore_patterns("report", "explain", "review"))
    info = json.loads((into / "run" / "run.json").read_text())
    info["cache"]["path"] = str(into / "cache")
    (into / "run" / "run.json").write_text(json.dumps(info, indent=2) + "\n")
    return into / "run"


def main() -> int:
    parser = common.parser(__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a trained run (of the realistic set)")
    parser.add_argument("--data", required=True, help="the realistic set (realistic_photos.py): truth.csv, fresh/")
    parser.add_argument("--before", required=True, help="an older checkout of photoq to time as the baseline")
    parser.add_argument("--corrections", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    common.header("learn_corrections: the work beside the training batches", args)
    with common.work_folder(args, "learn-work") as work:
        info = json.loads((Path(args.run) / "run.json").read_text())
        source_cache = Path(info["cache"]["path"])
        photos = corrections(Path(args.data), work / "corrections", args.corrections)
        # this checkout's cache as its first training leaves it: the statistics kept
        kept_cache = work / "kept-cache"
        kept_run = copy_run(Path(args.run), source_cache, work / "kept-source")
        common.run_child(__file__, "keep", run=str(kept_run))
        shutil.move(str(work / "kept-source" / "cache"), kept_cache)
        rows = {"measured": [], "kept": []}
        for _ in range(args.rounds):
            for side in ("measured", "kept"):
                run = copy_run(Path(args.run), kept_cache if side == "kept" else source_cache, work / side)
                if side == "measured":
                    os.environ["PYTHONPATH"] = str(Path(args.before).resolve())
                try:
                    rows[side].append(common.run_child(__file__, "learn", run=str(run), photos=str(photos)))
                finally:
                    os.environ.pop("PYTHONPATH", None)
                shutil.rmtree(work / side)
        table = []
        best = {}
        for side in ("measured", "kept"):
            row = min(rows[side], key=lambda r: r["beside"])
            best[side] = row
            table.append([side, row["seconds"], row["batches_seconds"], row["beside"], row["batches"], row["added"],
                          row["auc_before"], row["auc_after"], row["peak_rss_mb"]])
        common.print_table(["side", "wall s", "in batches s", "beside s", "batches", "photos added",
                            "validation AUC before", "after", "peak RSS MiB"], table,
                           title=f"best of {args.rounds} (by the time beside the batches); baseline: {best['measured']['source']}")
        share = best["kept"]["beside"] / best["measured"]["beside"]
        print(f"work beside the training batches: {best['kept']['beside']:.1f} s against {best['measured']['beside']:.1f} s "
              f"({share:.2f} of the baseline; target <= 0.25: {common.verdict(share, 0.25, higher_is_better=False)})")
    return 0


if __name__ == "__main__":
    if not common.child_main({"learn": phase_learn, "keep": phase_keep}):
        raise SystemExit(main())
