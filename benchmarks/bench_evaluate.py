"""evaluate_model with the booster's statistics and the facts kept in the cache, against measuring them.

A run's evaluation needs the booster's statistics and the facts of every photo of the split. The
first training measures them once and keeps them in the cache (statistics.csv and facts.csv,
pyphotoq.data.statistics_store), and the network is neither loaded nor run when validation gave it no
weight. Each side runs in a
fresh child process (TensorFlow imported and the run opened in it: what a user's call costs), best
of `--rounds`, alternating:

  * kept: this checkout, the cache's statistics.csv and facts.csv present (measured beforehand
    when the run's cache has none: as the run's first training or evaluation would);
  * measured (the baseline): the same evaluation with every statistic measured again: with
    `--before SOURCE` an older checkout of photoq (its pyphotoq/ imported instead: today's code
    before this change), else this checkout with statistics.csv moved away for the call.

The cache and run are copied first (the copy is what is timed and changed), so nothing of yours
is written.

    python benchmarks/bench_evaluate.py --run RUN [--before OLD_CHECKOUT] [--split test]
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def phase_evaluate(run: str, split: str, hide: bool) -> dict:
    cache_folder = json.loads((Path(run) / "run.json").read_text())["cache"]["path"]
    kept, away = Path(cache_folder) / "statistics.csv", Path(cache_folder) / "statistics.away"
    if hide and kept.exists():
        kept.rename(away)
    try:
        import pyphotoq

        result = pyphotoq.evaluate_model(run, split=split, progress=False)
    finally:
        if hide and away.exists():
            if kept.exists():
                kept.unlink()
            away.rename(kept)
    return {"auc": result.auc, "photos": result.n_photos, "source": os.path.dirname(pyphotoq.__file__)}


def main() -> int:
    parser = common.parser(__doc__.split("\n\n")[0])
    parser.add_argument("--run", required=True, help="a trained run")
    parser.add_argument("--before", help="an older checkout of photoq to time as the baseline")
    parser.add_argument("--split", default="test")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    common.header("evaluate_model: statistics kept against measured", args)
    with common.work_folder(args, "evaluate") as work:
        info = json.loads((Path(args.run) / "run.json").read_text())
        cache = work / "cache"
        shutil.copytree(info["cache"]["path"], cache)
        run = work / "run"
        shutil.copytree(args.run, run, ignore=shutil.ignore_patterns("report", "explain", "review"))
        info["cache"]["path"] = str(cache)
        (run / "run.json").write_text(json.dumps(info, indent=2) + "\n")
        import pyphotoq

        # an older cache: measured once here, as the first training or evaluation would
        from pyphotoq.models.booster import load_booster, measure_statistics
        from pyphotoq.workflow.facts import cached_facts

        handle = pyphotoq.open_cache(cache)
        measure_statistics(handle, handle.manifest, load_booster(pyphotoq.open_run(run)).info["views"], progress=False)
        cached_facts(handle, handle.manifest["hash"], progress=False)
        times = {"kept": [], "measured": []}
        results = {}
        for _ in range(args.rounds):
            for side in ("measured", "kept"):
                before = side == "measured" and args.before
                if before:
                    os.environ["PYTHONPATH"] = str(Path(args.before).resolve())
                try:
                    row = common.run_child(__file__, "evaluate", run=str(run), split=args.split,
                                           hide=side == "measured" and not args.before)
                finally:
                    os.environ.pop("PYTHONPATH", None)
                times[side].append(row["seconds"])
                results[side] = row
        best = {side: min(values) for side, values in times.items()}
        for side in ("measured", "kept"):
            row = results[side]
            print(f"{side:>8}: {best[side]:.1f} s (best of {args.rounds}), test AUC {row['auc']:.4f} on "
                  f"{row['photos']} photos, peak RSS {row['peak_rss_mb']:.0f} MiB, pyphotoq from {row['source']}")
        print(f"speed-up of kept statistics over the baseline: {best['measured'] / best['kept']:.2f}x")
    return 0


if __name__ == "__main__":
    if not common.child_main({"evaluate": phase_evaluate}):
        raise SystemExit(main())
