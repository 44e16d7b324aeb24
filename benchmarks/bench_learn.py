"""Learning from corrections on realistic photographs: validation AUC before and after.

The data set is made by realistic_photos.py from real photographs that Debian ships (see its
docstring): camera-size shots of 46 scenes, 30% good, taken scene after scene. It is cut by
scene, in the order the scenes were shot, into three trips:

  * trip 1 (the first 60% of the scenes): sorted into good/ and bad/ by the photographer,
    cached with photoq's defaults (split 70/20/10 by scene, so that validation has several
    scenes) and trained with the default recipe: the run as it stands (BASELINE);
  * trip 2 (the next 20%): the new shoot. It is scored by the run, and sorted into good/ and
    bad/ by the run's threshold (max F1 on validation) as photoq would cull it. The user then
    labels the photos `ask_photos` proposes, in its order, until 20 of them were sorted wrong:
    those 20 move to the other folder (the corrections);
  * trip 3 (the last 20%): never learned from; scored before and after, against the truth.

From one trained run, four runs are compared on the same validation photos (trip 1's
validation split), on trip 1's test split and on trip 3:

  (a) before: the run as trained on trip 1 (the baseline);
  (b) learn_corrections(run, trip 2 with the 20 corrections): the sorted shoot is added to the
      training photos and the run trains on from its best checkpoint (the default: two
      validation intervals), fitting its booster again;
  (c) the same without the corrections (trip 2 as the run sorted it): what learning the shoot
      gives by itself, so that (b) against (c) is what the 20 corrections add;
  (d) the 20 corrected photos alone, without the rest of their shoot: few shots per scene, so
      the booster learns them without comparing them with their scene.

    python benchmarks/realistic_photos.py DATA --shots 2000          # once, about 20 minutes
    python benchmarks/bench_learn.py --data DATA --keep             # about 25 minutes on 2 cores
    python benchmarks/bench_learn.py --data DATA --trained KEPT     # again, on the run trained then
    python benchmarks/bench_learn.py --quick                        # 300 shots, short runs (smoke test)
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

CORRECTIONS = 20


def trip_folder(folder: Path, rows, labels) -> Path:
    """`folder` with good/ and bad/ holding links to the photos of `rows` under `labels`."""
    for label in ("good", "bad"):
        (folder / label).mkdir(parents=True, exist_ok=True)
    for path, label in zip(rows["path"], labels):
        target = folder / label / Path(path).name
        if target.is_symlink():
            target.unlink()
        target.symlink_to(path)
    return folder


def flat_folder(folder: Path, rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in rows["path"]:
        (folder / Path(path).name).symlink_to(path)
    return folder


def copy_run(cache: Path, run: Path, into: Path) -> tuple[Path, Path]:
    """A copy of the cache and the run that may be changed (the run points at the copy)."""
    shutil.copytree(cache, into / "cache", symlinks=True)
    shutil.copytree(run, into / "run", symlinks=True)
    info = json.loads((into / "run" / "run.json").read_text())
    info["cache"]["path"] = str(into / "cache")
    (into / "run" / "run.json").write_text(json.dumps(info, indent=2) + "\n")
    return into / "cache", into / "run"


def measure(run: Path, trip3: Path, truth) -> dict:
    """Validation and test AUC of the run's scores, and its AUC on trip 3 against the truth."""
    from sklearn.metrics import roc_auc_score

    import pyphotoq
    from pyphotoq.workflow.evaluation import validation_auc

    handle = pyphotoq.open_run(run)
    cache = handle.open_cache()
    scored = pyphotoq.score_photos(run, trip3, progress=False)
    scored = scored[scored["decision"] != "skipped"]
    names = scored["path"].map(lambda p: Path(p).name)
    labels = names.map(truth.set_index("name")["label"]) == "good"
    return {
        "validation_auc": validation_auc(handle, cache),
        "test_auc": (pyphotoq.evaluate_model(run, "test", progress=False).auc
                     if len(cache.split("test")) else float("nan")),
        "trip3_auc": float(roc_auc_score(labels, scored["score"])),
        "best_batch": int(handle.state["best_batch"]),
        "network_weight": (handle.booster_info or {}).get("network_weight"),
    }


def main() -> None:
    args_parser = common.parser(__doc__.split("\n\n")[0])
    args_parser.add_argument("--data", help="a folder made by realistic_photos.py (default: make one)")
    args_parser.add_argument("--batches", type=int, default=None, help="training batches of the run (default: the recipe's)")
    args_parser.add_argument("--trained", help="a folder kept (--keep) by an earlier run of this benchmark on the "
                                               "same data: its trip 1 cache and run are used instead of training again")
    args = args_parser.parse_args()
    common.header("Learning from 20 corrections (realistic photographs)", args, devices=True)
    import numpy as np
    import pandas as pd

    import pyphotoq
    from pyphotoq.workflow.culling import ask_photos
    from pyphotoq.workflow.evaluation import validation_threshold

    with common.work_folder(args, "learn") as work:
        data = Path(args.data) if args.data else None
        if data is None:
            import subprocess

            data = work / "data"
            shots = "300" if args.quick else "2000"
            subprocess.run([sys.executable, str(Path(__file__).with_name("realistic_photos.py")), str(data),
                            "--shots", shots], check=True)
        truth = pd.read_csv(data / "truth.csv")
        truth["name"] = truth["path"].map(lambda p: Path(p).name)
        scenes = list(dict.fromkeys(truth["scene"]))  # in the order they were shot
        first, second = round(0.6 * len(scenes)), round(0.8 * len(scenes))
        trips = [truth[truth["scene"].isin(scenes[a:b])].reset_index(drop=True)
                 for a, b in ((0, first), (first, second), (second, len(scenes)))]
        print(f"data: {data} · {len(truth)} shots of {len(scenes)} scenes · trips of "
              + ", ".join(f"{len(t)} shots ({t['scene'].nunique()} scenes, {(t['label'] == 'good').mean():.0%} good)"
                          for t in trips))

        started = time.perf_counter()
        trip1 = trip_folder(work / "trip1", trips[0], trips[0]["label"])
        if args.trained:
            copy_run(Path(args.trained) / "cache", Path(args.trained) / "run", work)
        cache = pyphotoq.build_cache(trip1, work / "cache",
                                     split=pyphotoq.Splitting(fractions=(0.7, 0.2, 0.1)), progress=False)
        counts = cache.manifest.groupby("split").agg(photos=("hash", "size"), scenes=("group", "nunique"))
        print("trip 1 cache: " + ", ".join(f"{s} {r.photos} photos of {r.scenes} scenes" for s, r in counts.iterrows()))
        batches = args.batches or (60 if args.quick else None)
        run = pyphotoq.train_model(cache, work / "run", batches=batches,
                                   validate_every=20 if args.quick else None, plot=False, progress=False)
        print(f"trained: {run} in {time.perf_counter() - started:.0f} s")

        # The new shoot, culled by the run at its threshold; the user's 20 corrections.
        trip2 = flat_folder(work / "trip2-unsorted", trips[1])
        threshold, _ = validation_threshold(run)
        scored = pyphotoq.score_photos(run, trip2, {"threshold": threshold}, progress=False)
        scored = scored[scored["decision"] != "skipped"]
        scored["name"] = scored["path"].map(lambda p: Path(p).name)
        truth2 = trips[1].set_index("name")
        sorted_by_run = pd.Series(np.where(scored["score"] >= threshold, "good", "bad"), index=scored["name"])
        true_labels = truth2.loc[sorted_by_run.index, "label"]
        wrong = sorted_by_run != true_labels
        asked = ask_photos(run, trip2, n=len(scored), progress=False)
        asked_names = asked["path"].map(lambda p: Path(p).name)
        corrected = [name for name in asked_names if wrong[name]][:CORRECTIONS]
        labelled = list(asked_names[: list(asked_names).index(corrected[-1]) + 1]) if corrected else []
        user = sorted_by_run.copy()
        user[corrected] = true_labels[corrected]
        print(f"trip 2: {len(scored)} photos scored, {int(wrong.sum())} sorted wrong by the run at its threshold "
              f"{threshold:.3f}; the user labelled the first {len(labelled)} photos ask_photos proposed, "
              f"{len(corrected)} of them sorted wrong (moved: {sum(true_labels[corrected] == 'good')} to good, "
              f"{sum(true_labels[corrected] == 'bad')} to bad)")
        rows = trips[1].set_index("name").loc[user.index].reset_index()

        trip3 = flat_folder(work / "trip3", trips[2])
        results = {"before": measure(run.path, trip3, trips[2])}
        learned = {}
        alone = rows[rows["name"].isin(corrected)]
        for name, labels, shown in (("with the 20 corrections", user, rows), ("without them", sorted_by_run, rows),
                                    ("the 20 corrections alone", user, alone)):
            into = work / name.replace(" ", "-")
            into.mkdir()
            cache_copy, run_copy = copy_run(cache.path, run.path, into)
            shoot = trip_folder(into / "trip2", shown, list(labels[shown["name"]]))
            began = time.perf_counter()
            table = pyphotoq.learn_corrections(run_copy, shoot, batches=40 if args.quick else None,
                                               progress=False, verbose=False)
            seconds = time.perf_counter() - began
            learned[name] = dict(table.iloc[0], seconds=seconds)
            print(table.attrs["summary"])
            results[name] = measure(run_copy, trip3, trips[2])
            results[name]["reported_before"] = float(table.iloc[0]["validation_auc_before"])
            results[name]["reported_after"] = float(table.iloc[0]["validation_auc_after"])

        base = results["before"]
        common.print_table(
            ["run", "validation AUC", "vs before", "test AUC (trip 1)", "trip 3 AUC", "vs before", "best batch",
             "network weight", "learning s"],
            [[name, f"{r['validation_auc']:.3f}", f"{r['validation_auc'] - base['validation_auc']:+.3f}",
              f"{r['test_auc']:.3f}", f"{r['trip3_auc']:.3f}", f"{r['trip3_auc'] - base['trip3_auc']:+.3f}",
              r["best_batch"], r["network_weight"], learned.get(name, {}).get("seconds", float("nan"))]
             for name, r in results.items()],
            title="\nBaseline: before (the run trained on trip 1), measured in the same run",
        )
        common.footer()
        (work / "results.json").write_text(json.dumps({"results": results, "learned": learned}, indent=2, default=float))


if __name__ == "__main__":
    main()
