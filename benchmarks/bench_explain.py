"""Peak memory of explain_photos against the number of photos explained.

explain_photos scores the photos together (a run's booster compares each with its scene), so it
must keep something of every photo until the last is scored. It keeps each photo as a JPEG in
memory and its map at the feature map's size (a few hundred numbers), not their pixels: the peak
RSS should hardly grow with the number of photos. Each size runs in a fresh child process (its
own peak RSS) on the first N photos of a folder, with the same run.

Baseline: the smallest size, measured in the same run; with `--before`, an older checkout's
explain_photos too (what the change saved).

    python benchmarks/bench_explain.py --run RUN --photos FOLDER [--sizes 200 2000] [--before OLD_CHECKOUT]
    python benchmarks/bench_explain.py --quick
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def phase_explain(run: str, photos: str, n: int, out: str) -> dict:
    import pyphotoq
    from pyphotoq.photos.sources import walk_images

    paths = walk_images(Path(photos))[:n]
    table = pyphotoq.explain_photos(run, paths, out=out, progress=False)
    return {"photos": len(table), "explained": int((table["overlay"] != "").sum())}


def main() -> int:
    parser = common.parser(__doc__.split("\n\n")[0])
    parser.add_argument("--run", help="a trained run (default with --quick: a small demo run made here)")
    parser.add_argument("--photos", help="a folder of photos to explain")
    parser.add_argument("--sizes", nargs="+", type=int, default=[200, 2000])
    parser.add_argument("--before", help="an older checkout of photoq, measured the same way (its pyphotoq/ "
                                         "imported instead)")
    args = parser.parse_args()
    common.header("explain_photos: peak memory against photos explained", args)
    with common.work_folder(args, "explain") as work:
        run, photos, sizes = args.run, args.photos, args.sizes
        if args.quick:
            import pyphotoq

            photos = str(pyphotoq.make_demo_photos(work / "photos", n_photos=60, size=(128, 96)))
            cache = pyphotoq.build_cache(photos, work / "cache", width=96, progress=False)
            run = str(pyphotoq.train_model(cache, work / "run", batches=20, validate_every=10, progress=False).path)
            sizes = [10, 60]
        sides = [("this checkout", None)] + ([("before", str(Path(args.before).resolve()))] if args.before else [])
        for name, source in sides:
            rows = []
            for n in sizes:
                out = tempfile.mkdtemp(prefix=f"overlays-{n}-", dir=work)
                if source:
                    os.environ["PYTHONPATH"] = source
                try:
                    rows.append(common.run_child(__file__, "explain", run=run, photos=photos, n=n, out=out))
                finally:
                    os.environ.pop("PYTHONPATH", None)
            base = rows[0]
            for row in rows:
                print(f"{name}: {row['photos']:>5} photos explained: peak RSS {row['peak_rss_mb']:.0f} MiB "
                      f"(ratio to {base['photos']} photos: {row['peak_rss_mb'] / base['peak_rss_mb']:.2f}), "
                      f"{row['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    if not common.child_main({"explain": phase_explain}):
        raise SystemExit(main())
