"""Cache building and scoring on a Dask LocalCluster against this machine alone.

What it measures, in one run on the same generated 12 MP camera JPEGs (``bench_cache.make_photos``):

  BUILD: ``build_cache(photos, cache)`` (both views, the default) into a fresh cache folder
    (a) here, with its default pool of threads (one per core): the BASELINE;
    (b) on a LocalCluster of 1 worker process (one thread), ``client=``;
    (c) on a LocalCluster of 2 worker processes (one thread each).
  SCORE: ``score_photos(run, photos)`` with a tiny two-view run (the default recipe, trained on
    a demo cache; its quality does not matter here), the same three ways.

Each cluster is started before the timings, and warmed by a build and a scoring of two other
photos (the workers' first TensorFlow import and model load are start-up, not throughput);
the start-up is printed apart. Every path runs --rounds times, alternating, and the best round
counts. Printed: photos/s, the ratio to (a), and per-photo costs (core-seconds per photo from
the 1-worker cluster, bytes read and written per photo), then the plan for 1,000,000 photos:
workers needed to build or score them in 24 h, 8 h and 1 h, and the shared storage's read
rate each needs (where the storage, not the workers, becomes the limit).

On one 2-core machine a cluster cannot beat the local pool (the same cores, plus the cost of
processes and messages): the figures say what a worker does and what Dask costs, which is what
the plan needs. All sources are hot in the page cache.

    python benchmarks/bench_cluster.py            # 32 photos, 2 rounds (~4 minutes)
    python benchmarks/bench_cluster.py --quick    # 8 photos, 1 round (smoke test)
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_cache
import common

CAMERA_SIZE = (4000, 3000)
MILLION = 1_000_000
HOURS = (24, 8, 1)


def build(photos: Path, cache: Path, client) -> float:
    import pyphotoq

    shutil.rmtree(cache, ignore_errors=True)
    started = time.perf_counter()
    pyphotoq.build_cache(photos, cache, progress=False, client=client)
    return time.perf_counter() - started


def score(run: Path, photos: Path, client) -> float:
    import pyphotoq

    started = time.perf_counter()
    table = pyphotoq.score_photos(run, photos, progress=False, client=client)
    if (table["decision"] == "skipped").any():
        raise RuntimeError("a benchmark photo was skipped")
    return time.perf_counter() - started


def main() -> None:
    args_parser = common.parser(__doc__)
    args_parser.add_argument("--photos", type=int, help="12 MP photos (default 32; quick 8)")
    args_parser.add_argument("--rounds", type=int, help="rounds (default 2; quick 1)")
    args = args_parser.parse_args()
    count = args.photos or (8 if args.quick else 32)
    rounds = args.rounds or (1 if args.quick else 2)
    common.header("Dask LocalCluster against this machine alone: cache building and scoring", args)
    import logging

    import distributed
    import tensorflow  # noqa: F401  (imported before any timing)

    logging.getLogger("distributed").setLevel(logging.ERROR)  # no lines as workers start and stop

    import pyphotoq

    with common.work_folder(args, "bench-cluster") as work:
        print(f"generating {count + 2} JPEGs of {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} ...", file=sys.stderr, flush=True)
        paths = bench_cache.make_photos(work / "all", count + 2, CAMERA_SIZE)
        photos, warm = work / "photos", work / "warm"
        for number, path in enumerate(paths):
            target = (warm if number < 2 else photos) / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
        source_bytes = sum(p.stat().st_size for p in photos.rglob("*.jpg"))

        print("a tiny two-view run on a demo cache ...", file=sys.stderr, flush=True)
        demo = pyphotoq.make_demo_photos(work / "demo", n_photos=40, size=(320, 240), progress=False)
        demo_cache = pyphotoq.build_cache(demo, work / "demo-cache", progress=False)
        run = work / "run"
        pyphotoq.train_model(demo_cache, run, batches=4, validate_every=4, progress=False, plot=False)

        clients, startup = {"here (baseline)": None}, {}
        for workers in (1, 2):
            started = time.perf_counter()
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address=None, silence_logs=50)
            client = distributed.Client(cluster)
            build(warm, work / "warm-cache", client)
            score(run, warm, client)
            startup[workers] = time.perf_counter() - started
            clients[f"LocalCluster, {workers} worker{'s' if workers > 1 else ''}"] = client
        build(warm, work / "warm-cache", None)
        score(run, warm, None)

        timings = {name: {"build": [], "score": []} for name in clients}
        for number in range(rounds):
            print(f"round {number + 1}/{rounds} ...", file=sys.stderr, flush=True)
            for name, client in clients.items():
                timings[name]["build"].append(build(photos, work / "cache", client))
                timings[name]["score"].append(score(run, photos, client))
        written = sum(p.stat().st_size for p in (work / "cache" / "views").rglob("*.jpg"))
        for client in clients.values():
            if client is not None:
                cluster = client.cluster
                client.close()
                cluster.close()

    best = {name: {task: min(values) for task, values in result.items()} for name, result in timings.items()}
    base = best["here (baseline)"]
    rows = []
    for name, result in best.items():
        rows.append([name, count / result["build"], common.times(common.ratio(base["build"], result["build"])),
                     count / result["score"], common.times(common.ratio(base["score"], result["score"]))])
    common.print_table(
        ["where", "build photos/s", "build vs here", "score photos/s", "score vs here"], rows,
        title=f"{count} photos of 12 MP, both views, best of {rounds} round(s); clusters warmed first",
    )
    common.print_table(["cluster", "start-up s (start, first TensorFlow import, model load)"],
                       [[f"{w} worker{'s' if w > 1 else ''}", s] for w, s in startup.items()])
    one = best["LocalCluster, 1 worker"]
    build_cost, score_cost = one["build"] / count, one["score"] / count  # worker-seconds per photo
    read_mb, written_kb = source_bytes / count / 1e6, written / count / 1e3
    two = best["LocalCluster, 2 workers"]
    print(f"per photo, one worker (one core): building {build_cost * 1000:.0f} ms, scoring {score_cost * 1000:.0f} ms; "
          f"read {read_mb:.1f} MB (the source), written {written_kb:.0f} kB (both views)")
    print(f"2 workers against 1: building {one['build'] / two['build']:.2f}x, scoring {one['score'] / two['score']:.2f}x "
          f"(2 cores: 2x at best)\n")
    plan = []
    for hours in HOURS:
        seconds = hours * 3600
        plan.append([f"{hours} h", math.ceil(MILLION * build_cost / seconds), math.ceil(MILLION * score_cost / seconds),
                     MILLION * read_mb / seconds, MILLION * written_kb / 1e3 / seconds])
    common.print_table(
        ["1,000,000 photos in", "workers to build", "workers to score", "storage read MB/s (each)",
         "storage write MB/s (build)"], plan,
        title="the plan, from the per-photo costs above (one worker = one core; scaling assumed linear "
              "until the storage's rates are reached)",
    )
    common.footer()


if __name__ == "__main__":
    main()
