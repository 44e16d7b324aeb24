"""What the recipes learn on realistic photographs: test AUC, per defect, time to quality.

The data set is made by realistic_photos.py from real photographs that Debian ships (see its
docstring): about 2,000 camera-size shots of 45 scenes, 30% good, 70% with capture defects or
dull. It is cached once with photoq's defaults (480 px wide, photos of one scene kept in one
split, so test scenes are never seen in training), then each recipe is trained on that same
cache with its own defaults, in its own child process (its own wall time and peak RSS):

  * for every recipe: test AUC, accuracy and F1 at the threshold chosen on validation (max F1),
    the validation AUC of the chosen checkpoint and its gap to test AUC, wall time of the whole
    run (validation and checkpoints included), peak RSS of training;
  * AUC per defect on the test split: good photos against the bad ones with that defect;
  * time to quality: every checkpoint is scored on the test split, and so is a recipe's booster
    alone (fitted before its network trains: pyphotoq.models.booster); the first of them at which the
    default reaches the original's final test AUC, in seconds since its run started, against
    the original's whole wall time (target <= 1/3);
  * a plot of validation and test AUC over wall time of every recipe, the boosters as stars
    (time_to_quality.png), and every figure in results.json;
  * the fresh-shoot variants (variants.py): the same run's test scenes scored from their files as
    the archive holds them and straight from the camera, together, alone and by label folder,
    with shallow-depth-of-field keepers apart: AUC, best shot of each scene, AUC per defect;
  * a yardstick on the same splits: the 41 image statistics of pyphotoq.models.statistics with
    scikit-learn's gradient boosting (the issue's own yardstick, 37 statistics, reached 0.906 on
    its set): it says how hard this set is.

Baseline: the recipe "original", measured in the same run on the same cache.

    python benchmarks/bench_quality.py --data DATA --keep --parallel   # 2,000 shots (about 35 min once made)
    python benchmarks/bench_quality.py --quick               # 300 shots, short runs (smoke test)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

BASELINE = "original"
#: Variants of photoq's recipes measured here only: (recipe, settings changed). "two-view-edit-copies"
#: is the default with the booster also learning from a randomly edited copy of every training photo.
BENCH_RECIPES = {"two-view-edit-copies": ("two-view", {"edit_copies": 1})}


def _register_bench_recipes() -> None:
    from pyphotoq.models import recipes

    for name, (base, changes) in BENCH_RECIPES.items():
        recipes.RECIPES[name] = {**recipes.RECIPES[base], **changes}
        recipes.FIXED[name] = recipes.FIXED[base]


def phase_cache(photos: str, cache: str, labels: str | None = None, fractions: list | None = None) -> dict:
    import pyphotoq

    started = time.perf_counter()
    handle = pyphotoq.build_cache(photos, cache, progress=False, labels=labels,
                                  split=pyphotoq.Splitting(fractions=tuple(fractions or (0.8, 0.1, 0.1))))
    counts = handle.manifest.groupby("split").size().to_dict()
    groups = handle.manifest.groupby("split")["group"].nunique().to_dict()
    files = __import__("pandas").read_csv(Path(cache) / "files.csv")
    return {"seconds": time.perf_counter() - started, "photos": len(handle.manifest),
            "split_photos": counts, "split_groups": groups,
            "bytes_per_photo": files.groupby("view")["size"].mean().to_dict()}


def phase_train(cache: str, run: str, recipe: str, batches: int | None, validate_every: int | None) -> dict:
    import pyphotoq

    _register_bench_recipes()
    started = time.time()
    handle = pyphotoq.train_model(cache, run, recipe=recipe, batches=batches,
                                  validate_every=validate_every, plot=False, progress=False)
    seconds = time.time() - started
    # wall time at every checkpoint: its file's modification time since the run started
    stamps = {int(row.batch): os.path.getmtime(row.path) - started for row in handle.checkpoints.itertuples()}
    boosted = Path(run) / "booster" / "boosted.csv"  # the booster's trees, fitted before the network trains
    booster_stamp = os.path.getmtime(boosted) - started if boosted.exists() else None
    return {"seconds": seconds, "stamps": stamps, "settings": handle.settings, "booster_stamp": booster_stamp}


def phase_evaluate(run: str, truth: str) -> dict:
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    import pyphotoq

    from pyphotoq.models.booster import load_booster
    from pyphotoq.models.prediction import predict_scores

    handle = pyphotoq.open_run(run)
    result = pyphotoq.evaluate_model(handle, split="test")
    booster = load_booster(handle)
    booster_alone, booster_validation, chosen_validation = None, None, float(handle.state["best_auc"])
    if booster is not None:  # the booster's trees alone (before any checkpoint) and the blend chosen
        cache = handle.open_cache()
        frame = cache.split("test")
        _, statistics = predict_scores(handle.load_model(), cache, frame, statistics=True)
        booster_alone = float(roc_auc_score(frame["label"] == "good", booster.boosted(statistics, frame)))
        chosen_validation = float(booster.info["validation_auc"][f"{booster.network_weight:g}"])
        booster_validation = float(booster.info["validation_auc"]["0"])
    per_checkpoint = pyphotoq.evaluate_checkpoints(handle, splits=("test",), progress=False)
    history = handle.history
    validation_auc = history[(history["set"] == "validation") & (history["metric"] == "auc")]
    truth_table = _truth_by_original(truth)
    predictions = result.predictions.merge(truth_table, on="original", how="left")
    per_defect = {}
    good = predictions["label"] == "good"
    for defect in sorted({d for ds in predictions["defects"].dropna() for d in ds.split("+")} - {"none"}):
        has = predictions["defects"].fillna("").str.split("+").map(lambda ds, d=defect: d in ds)
        rows = predictions[good | has]
        if (rows["label"] == "bad").sum() >= 3 and (rows["label"] == "good").sum() >= 3:
            per_defect[defect] = [float(roc_auc_score(rows["label"] == "good", rows["score"])),
                                  int((rows["label"] == "bad").sum())]
    return {
        "auc": result.auc, "accuracy": result.accuracy, "f1": result.f1, "threshold": result.threshold,
        "n_test": result.n_photos, "best_batch": int(handle.state["best_batch"]),
        "best_validation_auc": chosen_validation,
        "booster_test_auc": booster_alone,
        "booster_validation_auc": booster_validation,
        "network_weight": None if booster is None else booster.network_weight,
        "test_auc_by_batch": {int(b): float(a) for b, a in zip(per_checkpoint["batch"], per_checkpoint["auc"])},
        "validation_auc_by_batch": {int(b): float(v) for b, v in zip(validation_auc["batch"], validation_auc["value"])},
        "per_defect": per_defect,
        "share_good": float(np.mean(predictions["predicted"] == "good")),
    }


def _truth_by_original(truth: str):
    """original, defects of every shot, under each of its files (in photos/, fresh/ and
    confounded/: the same label folder and file name)."""
    import pandas as pd

    table = pd.read_csv(truth)
    paths = [table[["path", "defects"]].rename(columns={"path": "original"})]
    if "fresh" in table:
        paths.append(table[["fresh", "defects"]].rename(columns={"fresh": "original"}))
        confounded = table["fresh"].str.replace(r"/fresh/(good|bad)/", r"/confounded/\1/", regex=True)
        paths.append(table[["defects"]].assign(original=confounded))
    return pd.concat(paths, ignore_index=True)


def phase_variants(run: str, truth: str) -> dict:
    from variants import variant_figures

    return variant_figures(run, truth)


def phase_reference(cache: str, truth: str) -> dict:
    """A yardstick, not a recipe: pyphotoq's 41 image statistics of every cached overview with
    scikit-learn's gradient boosting, on the same splits (what the issue's 37 statistics reached
    0.906 with on its own set)."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    import pyphotoq
    from pyphotoq.models.statistics import statistics_of_files

    handle = pyphotoq.open_cache(cache)
    manifest = handle.manifest
    features = statistics_of_files([handle.image_path(c) for c in manifest["cached"]])
    good = (manifest["label"] == handle.positive).to_numpy()
    split = manifest["split"].to_numpy()
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    model.fit(features[split == "train"], good[split == "train"])
    scores = model.predict_proba(features)[:, 1]
    truth_table = _truth_by_original(truth)
    defects = manifest[["original"]].merge(truth_table, on="original", how="left")["defects"].fillna("")
    test = split == "test"
    per_defect = {}
    for defect in sorted({d for ds in defects for d in ds.split("+") if d} - {"none"}):
        rows = test & (good | defects.str.split("+").map(lambda ds, d=defect: d in ds).to_numpy())
        if (rows & ~good).sum() >= 3 and (rows & good).sum() >= 3:
            per_defect[defect] = [float(roc_auc_score(good[rows], scores[rows])), int((rows & ~good).sum())]
    return {"auc": float(roc_auc_score(good[test], scores[test])),
            "validation_auc": float(roc_auc_score(good[split == "validation"], scores[split == "validation"])),
            "per_defect": per_defect}


def _plot(results: dict, file: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for name, r in results.items():
        stamps = r["train"]["stamps"]
        batches = sorted(int(b) for b in stamps)
        minutes = [stamps[str(b)] / 60 if str(b) in stamps else stamps[b] / 60 for b in batches]
        validation = [r["evaluate"]["validation_auc_by_batch"].get(str(b)) for b in batches]
        test = [r["evaluate"]["test_auc_by_batch"].get(str(b)) for b in batches]
        line, = ax.plot(minutes, validation, marker="o", ms=3, label=f"{name}: validation AUC")
        ax.plot(minutes, test, ls="--", color=line.get_color(), alpha=0.7, label=f"{name}: test AUC")
        if r["evaluate"].get("booster_test_auc") is not None:  # the booster alone, ready before the network trains
            at = r["train"]["booster_stamp"] / 60
            ax.plot([at], [r["evaluate"]["booster_validation_auc"]], marker="*", ms=12, ls="none",
                    color=line.get_color(), label=f"{name}: booster alone, validation AUC")
            ax.plot([at], [r["evaluate"]["booster_test_auc"]], marker="*", ms=12, ls="none", mfc="white",
                    color=line.get_color(), label=f"{name}: booster alone, test AUC")
    ax.set_xlabel("wall time since the run started (minutes)")
    ax.set_ylabel("AUC")
    ax.set_ylim(0.4, 1.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    ax.set_title("Time to quality on realistic photographs (same cache)")
    fig.tight_layout()
    fig.savefig(file)


def main() -> int:
    parser = common.parser(__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder of a realistic set (made there if it has no truth.csv)")
    parser.add_argument("--shots", type=int, default=2000, help="shots to make (default 2000)")
    parser.add_argument("--recipes", nargs="+", default=None,
                        help=f"recipes to compare (default: {BASELINE}, the overview-only default and the default)")
    parser.add_argument("--archive", choices=["photos", "confounded", "fresh", "rated"], default="photos",
                        help="what the runs learn from: the archive with edited keepers (photos, default), the "
                             "archive the original author describes (confounded: every keeper edited and "
                             "exported from an editor, no reject edited), the "
                             "same shots unedited (fresh: a photographer who sorts before editing), or the "
                             "unedited originals labelled by the ratings in their XMP sidecars (rated: a "
                             "photographer who rates in darktable, digiKam or Lightroom)")
    parser.add_argument("--fractions", nargs=3, type=float, default=None, metavar=("TRAIN", "VALIDATION", "TEST"),
                        help="the cache's split fractions (default photoq's 0.8 0.1 0.1; 0.6 0.2 0.2 gives the "
                             "45 scenes 12 test scenes and 5 validation scenes)")
    parser.add_argument("--parallel", action="store_true",
                        help="train the recipes at the same time (each gets a share of the cores)")
    args = parser.parse_args()
    common.header("Recipes on realistic photographs", args)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pyphotoq.models.recipes import DEFAULT, OVERVIEW_DEFAULT

    import realistic_photos

    recipes = args.recipes or [BASELINE, OVERVIEW_DEFAULT, DEFAULT]
    shots = 300 if args.quick else args.shots
    with common.work_folder(args, "quality") as work:
        data = Path(args.data).expanduser() if args.data else work / "realistic"
        if not (data / "truth.csv").exists():
            started = time.perf_counter()
            realistic_photos.make_realistic_set(data, shots, progress=False)
            print(f"made {shots} shots in {time.perf_counter() - started:.0f} s ({data})")
        cache = work / "cache"
        if args.archive == "rated":
            print(f"rated originals: {realistic_photos.rate_originals(data)} sidecars written beside fresh/")
            built = common.run_child(__file__, "cache", photos=str(data / "fresh"), cache=str(cache), labels="xmp",
                                     fractions=args.fractions)
        else:
            if args.archive == "confounded":
                print(f"confounded archive: {realistic_photos.confounded_archive(data)} photos written to confounded/")
            built = common.run_child(__file__, "cache", photos=str(data / args.archive), cache=str(cache),
                                     fractions=args.fractions)
        print(f"cache: {built['photos']} photos in {built['seconds']:.0f} s; photos per split "
              f"{built['split_photos']}, scenes per split {built['split_groups']}; bytes per photo "
              + ", ".join(f"{v} {b / 1024:,.0f} KiB" for v, b in built["bytes_per_photo"].items()) + "\n")
        quick = {"batches": 60, "validate_every": 20} if args.quick else {"batches": None, "validate_every": None}

        def train(name):
            return common.run_child(__file__, "train", cache=str(cache), run=str(work / f"run-{name}"),
                                    recipe=name, **quick)

        if args.parallel:  # side by side, one core each: the same conditions for every recipe
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(len(recipes)) as pool:
                trained = dict(zip(recipes, pool.map(train, recipes)))
        else:
            trained = {name: train(name) for name in recipes}
        results = {}
        for name in recipes:
            evaluate = common.run_child(__file__, "evaluate", run=str(work / f"run-{name}"),
                                        truth=str(data / "truth.csv"))
            results[name] = {"train": trained[name], "evaluate": evaluate}
            if "fresh" in __import__("pandas").read_csv(data / "truth.csv", nrows=1).columns:
                results[name]["variants"] = common.run_child(__file__, "variants", run=str(work / f"run-{name}"),
                                                             truth=str(data / "truth.csv"))

        reference = common.run_child(__file__, "reference", cache=str(cache), truth=str(data / "truth.csv"))
        rows = []
        for name, r in results.items():
            e, t = r["evaluate"], r["train"]
            rows.append([name, e["auc"], f"{e['accuracy']:.1%}", e["f1"], e["best_validation_auc"],
                         e["best_validation_auc"] - e["auc"], t["seconds"] / 60, t["peak_rss_mb"],
                         f"{t['settings']['batches']} x {t['settings']['batch_size']}"])
        common.print_table(
            ["recipe", "test AUC", "accuracy", "F1", "val AUC (chosen)", "val - test", "wall min",
             "peak RSS MiB", "batches"],
            rows + [["(statistics + gradient boosting)", reference["auc"], None, None,
                     reference["validation_auc"], reference["validation_auc"] - reference["auc"], None, None,
                     "yardstick"]],
            title=f"Test split ({results[recipes[0]]['evaluate']['n_test']} photos of unseen scenes), "
                  "threshold max F1 on validation:")
        from variants import print_variants

        for name, r in results.items():
            if "variants" in r:
                print_variants(name, r["variants"], r["evaluate"]["auc"], common.print_table)
        defects = sorted({d for r in results.values() for d in r["evaluate"]["per_defect"]})
        common.print_table(
            ["defect (bad photos in test)", *recipes, "statistics + boosting"],
            [[f"{d} ({next(r['evaluate']['per_defect'][d][1] for r in results.values() if d in r['evaluate']['per_defect'])})",
              *[results[n]["evaluate"]["per_defect"].get(d, [float("nan")])[0] for n in recipes],
              reference["per_defect"].get(d, [float("nan")])[0]] for d in defects],
            title="Test AUC per defect (good photos against the bad ones with that defect):")
        if DEFAULT in results and OVERVIEW_DEFAULT in results:
            both = [d for d in defects if d in results[DEFAULT]["evaluate"]["per_defect"]
                    and d in results[OVERVIEW_DEFAULT]["evaluate"]["per_defect"]]
            gains = sorted(((results[DEFAULT]["evaluate"]["per_defect"][d][0]
                             - results[OVERVIEW_DEFAULT]["evaluate"]["per_defect"][d][0], d) for d in both), reverse=True)
            print(f"largest per-defect gains of {DEFAULT} over {OVERVIEW_DEFAULT}: "
                  + ", ".join(f"{d} {g:+.2f}" for g, d in gains[:4]) + "\n")
        if BASELINE in results and len(results) > 1:
            base = results[BASELINE]
            target = base["evaluate"]["auc"]
            for name in recipes:
                if name == BASELINE:
                    continue
                r = results[name]
                reached = [
                    (r["train"]["stamps"][b], int(b)) for b, auc in r["evaluate"]["test_auc_by_batch"].items()
                    if auc >= target and b in r["train"]["stamps"]
                ]
                if r["train"].get("booster_stamp") is not None and (r["evaluate"].get("booster_test_auc") or 0) >= target:
                    reached.append((r["train"]["booster_stamp"], "booster"))
                first = min(reached) if reached else (float("nan"), None)
                if r["evaluate"].get("network_weight") is not None:
                    print(f"{name}: booster alone test AUC {r['evaluate']['booster_test_auc']:.3f}, ready "
                          f"{r['train']['booster_stamp']:.0f} s into the run; network weight chosen on "
                          f"validation {r['evaluate']['network_weight']}")
                share = common.ratio(first[0], base["train"]["seconds"])
                print(f"time to quality: {name} reached the original's final test AUC ({target:.3f}) at "
                      f"{'the booster' if first[1] == 'booster' else f'batch {first[1]}'}, {first[0]:.0f} s into its run = {common.times(share)} the original's "
                      f"whole run ({base['train']['seconds']:.0f} s): {common.verdict(share, 1 / 3, False)} (<= 0.33x)")
                whole = common.ratio(r["train"]["seconds"], base["train"]["seconds"])
                print(f"whole run: {name} {r['train']['seconds']:.0f} s = {common.times(whole)} the original's: "
                      f"{common.verdict(whole, 1.0, False)} (<= 1x); peak RSS "
                      f"{common.times(common.ratio(r['train']['peak_rss_mb'], base['train']['peak_rss_mb']))}")
        (work / "results.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
        plot_file = work / "time_to_quality.png"
        _plot(results, plot_file)
        print(f"\nplot: {plot_file}")
        common.footer()
    return 0


if __name__ == "__main__":
    if not common.child_main({"cache": phase_cache, "train": phase_train, "evaluate": phase_evaluate,
                              "variants": phase_variants, "reference": phase_reference}):
        raise SystemExit(main())
