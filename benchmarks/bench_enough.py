"""How many sorted photos are enough: test AUC of the default against the number of photos sorted.

The data set is made by realistic_photos.py (see its docstring): about 2,000 camera-size shots of
46 scenes, 30% good; keepers mostly edited in the archive, as photographers' archives are. Six
scenes (picked by the seed) are held out as the next shoot. From the other scenes, N photos are
drawn at random (each scene's good and bad in their share) and sorted into good/ and bad/ as a
photographer would have them; photoq builds its cache of them with its defaults (480 px, split by
scene 80/10/10) and trains the default recipe with its defaults. The run then scores the held-out
shoot from its files, as the archive holds them and straight from the camera (fresh/), and the
AUC against the truth is reported with the run's validation AUC and the photos behind it.

Baseline: the largest N (every photo of the training scenes), measured in the same run.

    python benchmarks/bench_enough.py --data DATA [--sizes 100 250 500 1000 0]   # 0: all; ~45 min
    python benchmarks/bench_enough.py --quick
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

TEST_SCENES = 6


def phase_one(truth: str, work: str, size: int, seed: int, batches: int | None) -> dict:
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    import pyphotoq
    from pyphotoq.workflow.learning import validation_auc

    table = pd.read_csv(truth)
    scenes = sorted(table["scene"].unique())
    held = set(np.random.default_rng(seed).choice(scenes, TEST_SCENES, replace=False))
    train = table[~table["scene"].isin(held)]
    if size and size < len(train):
        train = pd.concat([part.sample(n=max(1, round(size * len(part) / len(train))), random_state=seed)
                           for _, part in train.groupby("label")])
    folder = Path(work) / f"sorted-{len(train)}"
    for label in ("good", "bad"):
        (folder / label).mkdir(parents=True, exist_ok=True)
    for row in train.itertuples():
        shutil.copy(row.path, folder / row.label / Path(row.path).name)
    started = time.perf_counter()
    cache = pyphotoq.build_cache(folder, Path(work) / f"cache-{len(train)}", progress=False)
    run = pyphotoq.train_model(cache, Path(work) / f"run-{len(train)}", progress=False,
                               **({"batches": batches} if batches else {}))
    seconds = time.perf_counter() - started
    test = table[table["scene"].isin(held)]
    result = {"sorted": len(train), "good": int((train["label"] == "good").sum()), "minutes": seconds / 60,
              "validation_auc": float(validation_auc(run, cache)),
              "validation_photos": int((cache.manifest["split"] == "validation").sum()),
              "test_photos": len(test)}
    for name, column in (("archive", "path"), ("fresh", "fresh")):
        shoot = Path(work) / f"shoot-{name}"
        if not shoot.exists():
            shoot.mkdir()
            for row in test.itertuples():
                shutil.copy(getattr(row, column), shoot / f"{row.label}-{Path(getattr(row, column)).name}")
        scores = pyphotoq.score_photos(run, shoot, progress=False)
        good = scores["path"].map(lambda p: Path(p).name.startswith("good-"))
        result[f"test_auc_{name}"] = float(roc_auc_score(good, scores["score"]))
    return result


def main() -> int:
    parser = common.parser(__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder of a realistic set (made there if it has no truth.csv)")
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 250, 500, 1000, 0],
                        help="photos sorted (0: every photo of the training scenes)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    common.header("How many sorted photos are enough", args)
    import realistic_photos

    with common.work_folder(args, "enough") as work:
        data = Path(args.data).expanduser() if args.data else work / "realistic"
        if not (data / "truth.csv").exists():
            realistic_photos.make_realistic_set(data, 300 if args.quick else 2000, progress=False)
        rows = []
        for size in ([60, 0] if args.quick else args.sizes):
            rows.append(common.run_child(__file__, "one", truth=str(data / "truth.csv"), work=str(work), size=size,
                                         seed=args.seed, batches=20 if args.quick else None))
            row = rows[-1]
            print(f"{row['sorted']:>5} sorted ({row['good']} good): test AUC {row['test_auc_archive']:.3f} as the "
                  f"archive holds them, {row['test_auc_fresh']:.3f} straight from the camera; validation AUC "
                  f"{row['validation_auc']:.3f} on {row['validation_photos']} photos; {row['minutes']:.1f} min "
                  f"(cache and training)", flush=True)
        base = rows[-1]
        print(f"\nBaseline: every photo of the training scenes ({base['sorted']} sorted); "
              f"{base['test_photos']} test photos of {TEST_SCENES} unseen scenes")
        print("| photos sorted | test AUC (archive) | test AUC (fresh shoot) | ratio to the baseline (fresh) | minutes |")
        print("| --- | --- | --- | --- | --- |")
        for row in rows:
            print(f"| {row['sorted']} | {row['test_auc_archive']:.3f} | {row['test_auc_fresh']:.3f} | "
                  f"{row['test_auc_fresh'] / base['test_auc_fresh']:.2f} | {row['minutes']:.1f} |")
    return 0


if __name__ == "__main__":
    if not common.child_main({"one": phase_one}):
        raise SystemExit(main())
