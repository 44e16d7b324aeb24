"""Training, evaluation and scoring speed on the same cached photos.

What it measures, in one run, each in its own child process (so each has its own peak RSS):

  (a) ``pyphotoq.train_model`` on the cache: B batches of 4 (default 200), validation every 100
      (plot=False, progress=False). Reported three ways: the whole call (wall time, validation,
      checkpoints and set-up included); without the validation intervals (the time spent in
      validation + checkpoint + history writes is timed separately and taken out); and the
      steady training rate (between the first and the last batch, validation intervals out);
  (b) COMPUTE-ONLY, the limit and the baseline for (a): the same architecture
      (``pyphotoq.build_model("two-branch")``, the overview-only default) trained by one ``model.fit`` call on batches already in
      memory (prebuilt uint8 arrays of real cached pixels, one per image shape, following the
      same sampler's shape sequence), fed through a tf.data generator with the same
      variable-shape spec and pipeline options (autotuning off) as the package's stream;
  (b') information: (b) with ``tf.config.experimental.enable_op_determinism()``, which
      train_model switches on for reproducible runs (shows what determinism itself costs);
  (c) a REPLICA OF THE ORIGINAL LOOP, the baseline for the wall time of a whole run: per batch,
      the sampled cached JPEGs decoded with Pillow, stacked, ``model.train_on_batch``; every 100
      batches the validation split predicted ONE IMAGE AT A TIME with ``model.predict``, AUC
      computed, a checkpoint saved and a log written, as the original did;
  and, on the run trained in (a): ``pyphotoq.evaluate_model`` (images/s; the validation split is
  scored too, for the threshold) and ``pyphotoq.score_photos`` on the folder of source photos
  (images/s, decoding and resizing of the originals included).

Photos: ``pyphotoq.make_demo_photos(n_photos=200, size=(640, 480))`` cached at width 480,
so the batches are 480x360 (landscape) or 480x640 (portrait), as a 480-wide cache holds them.

(b), (b'), (a) and (c) run --rounds times, alternating, and each phase's shortest round is
reported (the least disturbed by other work on this noisy machine); every round is printed too.

Targets: steady train_model images/s at least 0.95 of compute-only ((a)/(b) >= 0.95);
the wall time of a whole run, validation included, below the replica's ((a)/(c) < 1).

    python benchmarks/bench_training.py            # 200 batches, 2 rounds (about 5 minutes)
    python benchmarks/bench_training.py --quick    # tiny photos, a few batches (smoke test)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common

BATCH_SIZE = 4
#: The recipe measured: the overview-only default (the two-view stream's delivery against its
#: compute is measured by bench_batches.py).
RECIPE = "two-branch"


def _settings(quick: bool) -> dict:
    if quick:
        return {"n_photos": 60, "size": (128, 96), "width": 96, "fractions": (0.6, 0.2, 0.2),
                "batches": 20, "validate_every": 10, "compute_batches": 10, "rounds": 1}
    return {"n_photos": 200, "size": (640, 480), "width": 480, "fractions": (0.8, 0.1, 0.1),
            "batches": 200, "validate_every": 100, "compute_batches": 100, "rounds": 2}


def _steady_rate(stamps: list[float], pauses: float = 0.0) -> float:
    """Images/s between the first and the last batch end, `pauses` seconds taken out."""
    if len(stamps) < 2:
        return float("nan")
    return (len(stamps) - 1) * BATCH_SIZE / (stamps[-1] - stamps[0] - pauses)


# --------------------------------------------------------------------------- child phases


def phase_train(cache: str, run: str, batches: int, validate_every: int) -> dict:
    """(a) train_model, with its validation intervals and batch ends timed."""
    import pyphotoq
    from pyphotoq.workflow import training

    stamps: list[float] = []
    pauses: list[tuple[float, float]] = []  # (start, end) of every on_epoch_end
    validation = [0.0]
    recorder = training._Recorder
    on_batch_end, on_epoch_end, predict_scores = (
        recorder.on_train_batch_end, recorder.on_epoch_end, training.predict_scores
    )

    def timed_batch_end(self, batch, logs=None):
        on_batch_end(self, batch, logs)
        stamps.append(time.perf_counter())

    def timed_epoch_end(self, epoch, logs=None):
        started = time.perf_counter()
        on_epoch_end(self, epoch, logs)
        pauses.append((started, time.perf_counter()))

    def timed_predict(*args, **kwargs):
        started = time.perf_counter()
        result = predict_scores(*args, **kwargs)
        validation[0] += time.perf_counter() - started
        return result

    recorder.on_train_batch_end, recorder.on_epoch_end = timed_batch_end, timed_epoch_end
    training.predict_scores = timed_predict
    handle = pyphotoq.open_cache(cache)
    started = time.perf_counter()
    pyphotoq.train_model(handle, run, recipe=RECIPE, batches=batches, batch_size=BATCH_SIZE,
                         validate_every=validate_every, plot=False, progress=False)
    wall = time.perf_counter() - started
    interval_seconds = sum(end - start for start, end in pauses)
    inside = sum(end - start for start, end in pauses if stamps and stamps[0] < start < stamps[-1])
    return {
        "wall": wall, "images": batches * BATCH_SIZE, "intervals": interval_seconds,
        "validation": validation[0], "first_batch": stamps[0] - started if stamps else None,
        "steady_rate": _steady_rate(stamps, inside),
        "validated_images": len(handle.split("validation")) * len(pauses),
    }


def _in_memory_plan(handle, batches: int):
    """(arrays by shape, [(pixels, labels)] for each batch) following the training sampler."""
    import numpy as np

    from pyphotoq.models.batches import TrainingSampler, one_hot
    from pyphotoq.photos.images import load_rgb_array

    frame = handle.split("train")
    sampler = TrainingSampler(frame, handle.positive, BATCH_SIZE, seed=0)
    targets = one_hot(frame["label"], handle.positive)
    arrays = {}
    for shape, group in frame.groupby(["height", "width"]):
        paths = [handle.image_path(c) for c in group["cached"].iloc[:BATCH_SIZE]]
        paths += [paths[0]] * (BATCH_SIZE - len(paths))
        arrays[shape] = np.stack([load_rgb_array(p) for p in paths])
    heights, widths = frame["height"].to_numpy(), frame["width"].to_numpy()
    plan = []
    for number in range(batches):
        rows = sampler.rows(number)
        plan.append((arrays[(int(heights[rows[0]]), int(widths[rows[0]]))], targets[rows]))
    return arrays, plan


def phase_compute(cache: str, batches: int, deterministic: bool = False) -> dict:
    """(b) the same model, one fit() call, batches already in memory: the limit."""
    import keras
    import tensorflow as tf

    if deterministic:  # as train_model does, for reproducible runs
        tf.config.experimental.enable_op_determinism()
    import pyphotoq
    from pyphotoq.models.batches import IMAGE_SPEC, LABEL_SPEC, without_autotuning

    handle = pyphotoq.open_cache(cache)
    _, plan = _in_memory_plan(handle, batches)
    dataset = without_autotuning(tf.data.Dataset.from_generator(
        lambda: iter(plan), output_signature=(IMAGE_SPEC, LABEL_SPEC)
    ).prefetch(2))
    stamps: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            stamps.append(time.perf_counter())

    started = time.perf_counter()
    model = pyphotoq.build_model(RECIPE)
    model.fit(dataset, steps_per_epoch=batches, epochs=1, verbose=0, callbacks=[Clock()])
    wall = time.perf_counter() - started
    return {"wall": wall, "images": batches * BATCH_SIZE, "steady_rate": _steady_rate(stamps),
            "first_batch": stamps[0] - started if stamps else None}


def phase_replica(cache: str, folder: str, batches: int, validate_every: int) -> dict:
    """(c) the original loop: Pillow decode per batch, train_on_batch, one-by-one validation."""
    import numpy as np
    from PIL import Image

    import pyphotoq
    from pyphotoq.models.batches import TrainingSampler, one_hot
    from pyphotoq.models.metrics import binary_metrics

    def read(path):
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    handle = pyphotoq.open_cache(cache)
    frame, validation = handle.split("train"), handle.split("validation")
    paths = [handle.image_path(c) for c in frame["cached"]]
    targets = one_hot(frame["label"], handle.positive)
    validation_paths = [handle.image_path(c) for c in validation["cached"]]
    validation_labels = (validation["label"] == handle.positive).to_numpy().astype(int)
    sampler = TrainingSampler(frame, handle.positive, BATCH_SIZE, seed=0)
    log = []
    training_seconds, validation_seconds, interval_seconds, first_batch = 0.0, 0.0, 0.0, None
    started = time.perf_counter()
    model = pyphotoq.build_model(RECIPE)
    for number in range(1, batches + 1):
        batch_started = time.perf_counter()
        rows = sampler.rows(number - 1)
        pixels = np.stack([read(paths[r]) for r in rows])
        loss, accuracy = model.train_on_batch(pixels, targets[rows])
        log.append(f"{number},train,loss,{loss}\n{number},train,accuracy,{accuracy}\n")
        if first_batch is None:
            first_batch = time.perf_counter() - started
        else:
            training_seconds += time.perf_counter() - batch_started
        if number % validate_every == 0:
            validation_started = time.perf_counter()
            scores = np.array([
                float(model.predict(read(p)[None], verbose=0)[0, 1]) for p in validation_paths
            ])
            metrics = binary_metrics(validation_labels, scores)
            validation_seconds += time.perf_counter() - validation_started
            log.append(f"{number},validation,auc,{metrics['auc']}\n")
            model.save(out / f"checkpoint-{number:06d}.keras")
            (out / "log.csv").write_text("batch,set,metric,value\n" + "".join(log))
            interval_seconds += time.perf_counter() - validation_started
    wall = time.perf_counter() - started
    return {
        "wall": wall, "images": batches * BATCH_SIZE, "first_batch": first_batch,
        "steady_rate": (batches - 1) * BATCH_SIZE / training_seconds if batches > 1 else None,
        "validation": validation_seconds, "intervals": interval_seconds,
        "validated_images": len(validation) * (batches // validate_every),
    }


def phase_evaluate(run: str) -> dict:
    """evaluate_model on the test split and on the training split (validation scored too)."""
    import pyphotoq

    results = {}
    for split in ("test", "train"):
        started = time.perf_counter()
        evaluation = pyphotoq.evaluate_model(run, split=split)
        seconds = time.perf_counter() - started
        cache = pyphotoq.open_run(run).open_cache()
        images = evaluation.n_photos + len(cache.split("validation"))
        results[split] = {"seconds": seconds, "images": images, "auc": evaluation.auc}
    return results


def phase_score(run: str, photos: str) -> dict:
    """score_photos on the source photos (decoding and resizing included)."""
    import pyphotoq

    started = time.perf_counter()
    table = pyphotoq.score_photos(run, photos, progress=False)
    seconds = time.perf_counter() - started
    validation = len(pyphotoq.open_run(run).open_cache().split("validation"))
    return {"seconds": seconds, "images": len(table), "validation": validation,
            "skipped": int((table["decision"] == "skipped").sum())}


PHASES = {
    "train_model": phase_train, "compute_only": phase_compute, "replica": phase_replica,
    "evaluate": phase_evaluate, "score": phase_score,
}


# --------------------------------------------------------------------------- main


def main() -> None:
    args_parser = common.parser(__doc__)
    args_parser.add_argument("--batches", type=int, help="training batches for (a) and (c) (default 200)")
    args_parser.add_argument("--rounds", type=int, help="rounds of (b), (b'), (a), (c) (default 2; quick 1)")
    args = args_parser.parse_args()
    settings = _settings(args.quick)
    batches = args.batches or settings["batches"]
    every = min(settings["validate_every"], batches)
    compute_batches = min(settings["compute_batches"], batches)

    common.header("training: train_model vs compute-only vs a replica of the original loop", args, devices=True)
    import pyphotoq

    with common.work_folder(args, "bench-training") as work:
        print("making demo photos and the cache ...", file=sys.stderr, flush=True)
        photos = pyphotoq.make_demo_photos(work / "photos", n_photos=settings["n_photos"],
                                           size=settings["size"])
        cache = pyphotoq.build_cache(photos, work / "cache", width=settings["width"],
                                     split=pyphotoq.Splitting(fractions=settings["fractions"]), progress=False)
        counts = cache.manifest.groupby("split").size().to_dict()
        shapes = cache.manifest.groupby(["width", "height"]).size().to_dict()
        print(f"{len(cache.manifest)} photos cached ({', '.join(f'{k} {v}' for k, v in counts.items())}); "
              f"shapes (width, height): {shapes}")
        print(f"(a) and (c): {batches} batches of {BATCH_SIZE}, validation every {every}; "
              f"(b): {compute_batches} batches")
        print()
        cache_path = str(cache.path)
        rounds = {"compute": [], "compute_det": [], "train": [], "replica": []}
        for number in range(args.rounds or settings["rounds"]):
            print(f"round {number + 1} ...", file=sys.stderr, flush=True)
            rounds["compute"].append(common.run_child(
                __file__, "compute_only", cache=cache_path, batches=compute_batches))
            rounds["compute_det"].append(common.run_child(
                __file__, "compute_only", cache=cache_path, batches=compute_batches, deterministic=True))
            rounds["train"].append(common.run_child(
                __file__, "train_model", cache=cache_path, run=str(work / f"run-{number}"),
                batches=batches, validate_every=every))
            rounds["replica"].append(common.run_child(
                __file__, "replica", cache=cache_path, folder=str(work / f"replica-{number}"),
                batches=batches, validate_every=every))
        # the least disturbed round of each phase: the one with the shortest wall time
        compute, compute_det, train, replica = (
            min(results, key=lambda result: result["wall"]) for results in rounds.values()
        )
        evaluation = common.run_child(__file__, "evaluate", run=str(work / "run-0"))
        scoring = common.run_child(__file__, "score", run=str(work / "run-0"), photos=str(photos))

    ex_validation = train["images"] / (train["wall"] - train["intervals"])
    replica_ex_validation = replica["images"] / (replica["wall"] - replica["intervals"])
    rows = [
        ["(b) compute-only, in memory (baseline)", compute["images"], compute["wall"],
         compute["images"] / compute["wall"], compute["steady_rate"], "1.00x", compute["peak_rss_mb"]],
        ["(b') compute-only with op determinism (info)", compute_det["images"], compute_det["wall"],
         compute_det["images"] / compute_det["wall"], compute_det["steady_rate"],
         common.times(common.ratio(compute_det["steady_rate"], compute["steady_rate"])),
         compute_det["peak_rss_mb"]],
        ["(a) train_model, whole run", train["images"], train["wall"], train["images"] / train["wall"],
         train["steady_rate"], common.times(common.ratio(train["steady_rate"], compute["steady_rate"])),
         train["peak_rss_mb"]],
        ["(a) train_model, validation intervals out", train["images"], train["wall"] - train["intervals"],
         ex_validation, None, None, None],
        ["(c) replica of the original loop, whole run", replica["images"], replica["wall"],
         replica["images"] / replica["wall"], replica["steady_rate"],
         common.times(common.ratio(replica["steady_rate"], compute["steady_rate"])), replica["peak_rss_mb"]],
        ["(c) replica, validation intervals out", replica["images"], replica["wall"] - replica["intervals"],
         replica_ex_validation, None, None, None],
    ]
    common.print_table(
        ["training", "images", "seconds", "images/s", "steady images/s", "steady vs (b)", "peak RSS MiB"],
        rows, title="training (steady: between first and last batch, validation intervals out)",
    )
    if len(rounds["train"]) > 1:
        common.print_table(
            ["phase", *[f"round {i + 1} s (steady img/s)" for i in range(len(rounds["train"]))]],
            [[name, *[f"{r['wall']:.1f} ({r['steady_rate']:.1f})" for r in results]]
             for name, results in zip(("(b)", "(b')", "(a)", "(c)"), rounds.values())],
            title="every round (the table above uses each phase's shortest round)",
        )
    common.print_table(
        ["validation + checkpoints", "images scored", "seconds", "images/s"],
        [["(a) train_model: validation (predict_scores)", train["validated_images"], train["validation"],
          common.ratio(train["validated_images"], train["validation"])],
         ["(a) train_model: whole intervals (+ checkpoint, history)", train["validated_images"],
          train["intervals"], None],
         ["(c) replica: validation, one image at a time (predict)", replica["validated_images"],
          replica["validation"], common.ratio(replica["validated_images"], replica["validation"])],
         ["(c) replica: whole intervals (+ checkpoint, log)", replica["validated_images"],
          replica["intervals"], None]],
    )
    rows = []
    for split, note in (("test", ", 1st call"), ("train", "")):
        result = evaluation[split]
        rows.append([f"evaluate_model(split='{split}'{note}), validation included", result["images"],
                     result["seconds"], result["images"] / result["seconds"], evaluation["peak_rss_mb"]])
    rows.append(["score_photos on the source photos (decode + resize included)", scoring["images"],
                 scoring["seconds"], scoring["images"] / scoring["seconds"], scoring["peak_rss_mb"]])
    common.print_table(["evaluation and scoring (whole calls, model loading included)", "images", "seconds",
                        "images/s", "peak RSS MiB"], rows)
    print(f"score_photos also scores the {scoring['validation']} validation photos to choose its threshold "
          f"(not counted above); {scoring['skipped']} files skipped")
    print(f"first batch after: (a) {train['first_batch']:.1f} s, (b) {compute['first_batch']:.1f} s, "
          f"(c) {replica['first_batch']:.1f} s (model building, tracing, pipeline start)")
    print()
    steady = common.ratio(train["steady_rate"], compute["steady_rate"])
    whole = common.ratio(train["images"] / train["wall"], compute["images"] / compute["wall"])
    print(f"(a)/(b) steady images/s: {common.times(steady)} (target >= 0.95x: {common.verdict(steady, 0.95)}); "
          f"whole calls: {common.times(whole)}")
    wall = common.ratio(train["wall"], replica["wall"])
    print(f"whole-run wall time (a)/(c): {common.times(wall)} = {train['wall']:.1f} s vs {replica['wall']:.1f} s "
          f"(target < 1.00x: {'meets target' if wall < 1 else 'misses target'})")
    common.footer()


if __name__ == "__main__":
    if not common.child_main(PHASES):
        main()
