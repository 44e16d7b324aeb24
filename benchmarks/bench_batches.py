"""The disk-streamed batch stream: delivery rate and peak memory.

What it measures, in one run, for two streams: the overview only
(``training_batches(cache, 'train', batch_size=4)``, what an overview-only recipe reads) and
both views (``views=("overview", "detail")``, what the default two-view recipe reads: each batch
a dict of the overviews and the detail view's patches, (4, 6, 192, 192, 3)):

  * delivery: one "epoch" of the stream (N/4 batches, every row of the cache in 'train') over a
    cache of N = 2,000 and of N = 20,000 cached photos, each stream and N in a fresh child
    process: images/s delivered (JPEG read and decode included, both files of a photo for the
    two-view stream; also the steady rate after the first batch, which the target uses) and the
    child's peak RSS (VmHWM), with its RSS after the imports beside it;
  * consumption (the baseline for delivery): a compute-only training loop in another child,
    per stream: the network of the recipe that reads it (overview only: "two-branch"; both
    views: "two-view", the default), ``pyphotoq.build_model(recipe)`` trained with
    ``train_on_batch`` on batches of 4 already in memory, following the same sequence of shapes
    as the stream (landscape 480x360 and portrait 480x640, as a 480-wide cache holds them).

The caches are made quickly: a handful of real photos go through ``pyphotoq.build_cache`` (both
views, so the cached JPEGs are the real thing), and a cache folder of N entries is filled with
hard links to their overview and detail files under hash-like names, with its cache.json (the
detail view's declaration copied from the real cache) and manifest.csv written in the
documented format. Both streams read the same caches. The files are hot in the page cache:
this measures decoding and the pipeline, not the disk.

Targets, for each stream: peak RSS at 20,000 photos within 10% of the peak at
2,000 (ratio <= 1.10); delivery at least 10x faster than the training step consumes images.

    python benchmarks/bench_batches.py            # N = 2,000 and 20,000, both streams (several minutes)
    python benchmarks/bench_batches.py --quick    # N = 200 and 2,000, a few steps
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common

BATCH_SIZE = 4
GOOD_SHARE = 0.4
OVERVIEW_ONLY = ["overview"]
TWO_VIEWS = ["overview", "detail"]
STREAMS = {"overview only": OVERVIEW_ONLY, "two views": TWO_VIEWS}


# --------------------------------------------------------------------------- the caches


def real_cached_images(work: Path) -> tuple[list[tuple[Path, Path]], list[tuple[Path, Path]], dict]:
    """(landscape, portrait) (overview, detail) file pairs made by pyphotoq.build_cache from demo
    photos, and the detail view's declaration in that cache's cache.json."""
    import json

    import pyphotoq

    photos = pyphotoq.make_demo_photos(work / "demo", n_photos=24, size=(640, 480), seed=3)
    cache = pyphotoq.build_cache(photos, work / "small-cache", width=480, progress=False)
    declared = json.loads((cache.path / "cache.json").read_text(encoding="utf-8"))["views"]
    if "detail" not in declared:
        raise RuntimeError("build_cache should declare the detail view by default")

    def pairs(query):
        return [(cache.view_path(h, "overview"), cache.view_path(h, "detail"))
                for h in cache.manifest.query(query)["hash"]]

    landscape, portrait = pairs("height < width"), pairs("height > width")
    if not landscape or not portrait:
        raise RuntimeError("the demo photos should give both landscape and portrait images")
    return landscape, portrait, declared["detail"]


def fill_cache(folder: Path, n: int, landscape: list[tuple[Path, Path]], portrait: list[tuple[Path, Path]],
               detail_spec: dict) -> None:
    """A cache of `n` photos (3 landscape : 1 portrait), all in 'train', both views declared,
    every overview and detail file a hard link to a real cached one."""
    import pandas as pd
    from PIL import Image

    from pyphotoq.data import cache_folder
    from pyphotoq.data import cache_format

    folder.mkdir(parents=True)
    info = cache_folder._load_or_create_info(folder, 480, "good", "bad", "hash", (0.8, 0.1, 0.1), 3.0, 95)
    info["views"]["detail"] = dict(detail_spec)  # as build_cache declares it
    cache_folder._write_info(folder, info)
    sizes = {}
    rows = []
    for i in range(n):
        overview, detail = portrait[i % len(portrait)] if i % 4 == 3 else landscape[i % len(landscape)]
        if overview not in sizes:
            with Image.open(overview) as img:
                sizes[overview] = img.size
        digest = hashlib.sha256(f"bench-{i}".encode()).hexdigest()
        for view, source in (("overview", overview), ("detail", detail)):
            target = folder / cache_format.view_file(digest, view, info)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(source, target)
        label = "good" if (i * 7919) % 100 < GOOD_SHARE * 100 else "bad"
        width, height = sizes[overview]
        rows.append({
            "hash": digest, "label": label, "split": "train", "group": digest,
            "original": f"/photos/{label}/IMG_{i:05d}.jpg",
            "width": width, "height": height, "source_width": width * 8 // 3,
            "source_height": height * 8 // 3, "taken": "",
        })
    manifest = pd.DataFrame(rows, columns=cache_format.MANIFEST_COLUMNS)
    cache_format._write_table(folder / "manifest.csv", manifest.sort_values("original"))


# --------------------------------------------------------------------------- child phases


def phase_stream(cache: str, views: list[str]) -> dict:
    """Stream one epoch (N / batch size batches) of training batches of `views`; images/s and RSS."""
    import tensorflow as tf  # noqa: F401

    import pyphotoq
    from pyphotoq.models.batches import training_batches

    rss_imports = common.current_rss_mb()
    started = time.perf_counter()
    handle = pyphotoq.open_cache(cache)
    open_seconds = time.perf_counter() - started
    n = len(handle.manifest)
    batches = n // BATCH_SIZE
    started = time.perf_counter()
    dataset = training_batches(handle, "train", batch_size=BATCH_SIZE, seed=0, start=0, stop=batches,
                               views=tuple(views))
    images, first, first_images = 0, None, 0
    shapes = set()
    for inputs, _ in dataset:
        pixels = inputs["pixels"] if isinstance(inputs, dict) else inputs
        if isinstance(inputs, dict):
            shapes.add(tuple(int(d) for d in inputs["patches"].shape[1:]))
        images += int(pixels.shape[0])
        if first is None:
            first, first_images = time.perf_counter() - started, images
    seconds = time.perf_counter() - started
    return {
        "n": n, "images": images, "open_seconds": open_seconds, "first_batch_seconds": first,
        "stream_seconds": seconds, "rate": images / seconds, "rss_imports_mb": rss_imports,
        "steady_rate": (images - first_images) / (seconds - first) if images > first_images else None,
        "patch_shapes": sorted(shapes),
    }


def phase_compute(cache: str, steps: int, views: list[str]) -> dict:
    """Compute-only training: train_on_batch on in-memory batches, the stream's shape sequence,
    with the network of the recipe that reads `views`."""
    import numpy as np

    import pyphotoq
    from pyphotoq.models.batches import TrainingSampler, one_hot
    from pyphotoq.photos.detail import split_patches
    from pyphotoq.photos.images import load_rgb_array
    from pyphotoq.models.recipes import DEFAULT, OVERVIEW_DEFAULT

    two_views = list(views) == TWO_VIEWS
    recipe = DEFAULT if two_views else OVERVIEW_DEFAULT
    handle = pyphotoq.open_cache(cache)
    spec = handle.info["views"]["detail"]
    frame = handle.split("train")
    sampler = TrainingSampler(frame, handle.positive, BATCH_SIZE, seed=0)
    targets = one_hot(frame["label"], handle.positive)
    in_memory = {}  # (height, width) -> a batch of real pixels (and patches) of that shape
    for shape, group in frame.groupby(["height", "width"]):
        hashes = list(group["hash"].iloc[:BATCH_SIZE])
        while len(hashes) < BATCH_SIZE:
            hashes.append(hashes[0])
        pixels = np.stack([load_rgb_array(handle.view_path(h, "overview")) for h in hashes])
        if two_views:
            patches = np.stack([split_patches(load_rgb_array(handle.view_path(h, "detail")), spec) for h in hashes])
            in_memory[shape] = {"pixels": pixels, "patches": patches}
        else:
            in_memory[shape] = pixels
    heights, widths = frame["height"].to_numpy(), frame["width"].to_numpy()
    model = pyphotoq.build_model(recipe)
    for inputs in in_memory.values():  # trace for each shape before timing
        model.train_on_batch(inputs, targets[:BATCH_SIZE])
    plan = []
    for number in range(steps):
        rows = sampler.rows(number)
        plan.append((in_memory[(int(heights[rows[0]]), int(widths[rows[0]]))], targets[rows]))
    started = time.perf_counter()
    for inputs, labels in plan:
        model.train_on_batch(inputs, labels)
    seconds = time.perf_counter() - started
    shapes = {f"{h}x{w}": int(sum(inputs is in_memory[(h, w)] for inputs, _ in plan)) for h, w in in_memory}
    return {"steps": steps, "images": steps * BATCH_SIZE, "compute_seconds": seconds, "recipe": recipe,
            "rate": steps * BATCH_SIZE / seconds, "shapes": shapes}


PHASES = {"stream": phase_stream, "compute": phase_compute}


# --------------------------------------------------------------------------- main


def main() -> None:
    args_parser = common.parser(__doc__)
    args_parser.add_argument("--steps", type=int, help="compute-only training steps (default 40; quick 4)")
    args = args_parser.parse_args()
    small, large = (200, 2_000) if args.quick else (2_000, 20_000)
    steps = args.steps or (4 if args.quick else 40)

    common.header("batch stream (overview only, two views): delivery and peak RSS vs the training step", args)
    with common.work_folder(args, "bench-batches") as work:
        print("making the caches ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        landscape, portrait, detail_spec = real_cached_images(work)
        for n in (small, large):
            fill_cache(work / f"cache-{n}", n, landscape, portrait, detail_spec)
        print(f"caches of {small:,} and {large:,} photos made in {time.perf_counter() - started:.1f} s "
              f"(hard links to the overview and detail files of {len(landscape)} landscape and "
              f"{len(portrait)} portrait photos cached by build_cache)")
        print(f"detail view declared as in build_cache's cache.json: {detail_spec}")
        print()
        streams = {(name, n): common.run_child(__file__, "stream", cache=str(work / f"cache-{n}"), views=views)
                   for name, views in STREAMS.items() for n in (small, large)}
        compute = {name: common.run_child(__file__, "compute", cache=str(work / f"cache-{small}"), steps=steps,
                                          views=views)
                   for name, views in STREAMS.items()}

    rows = []
    for name in STREAMS:
        for n in (small, large):
            result = streams[(name, n)]
            rows.append([
                f"{name}: stream one epoch, N = {n:,}", result["images"], result["stream_seconds"], result["rate"],
                result["steady_rate"], common.times(common.ratio(result["steady_rate"], compute[name]["rate"])),
                result["peak_rss_mb"],
                result["rss_imports_mb"], result["peak_rss_mb"] - result["rss_imports_mb"],
            ])
        rows.append([
            f"{name}: compute-only train_on_batch, {compute[name]['recipe']} (baseline)", compute[name]["images"],
            compute[name]["compute_seconds"], compute[name]["rate"], compute[name]["rate"], "1.00x",
            compute[name]["peak_rss_mb"], None, None,
        ])
    common.print_table(
        ["what", "images", "seconds", "images/s", "steady images/s", "steady vs compute", "peak RSS MiB",
         "RSS after imports", "peak - imports"],
        rows, title=f"batch size {BATCH_SIZE}; each row is its own child process; steady: after the first "
        "batch (the stream's start-up out; the compute loop is traced before timing); an image of the "
        "two-view stream is a photo's overview and its patches",
    )
    for (name, n), result in streams.items():
        patches = f", patches per photo {result['patch_shapes']}" if result["patch_shapes"] else ""
        print(f"{name}, N = {n:,}: open_cache {result['open_seconds']:.2f} s, first batch after "
              f"{result['first_batch_seconds']:.2f} s{patches}")
    for name, result in compute.items():
        print(f"{name}, compute-only shapes (height x width: steps): {result['shapes']}")
    print()
    for name in STREAMS:
        rss_ratio = common.ratio(streams[(name, large)]["peak_rss_mb"], streams[(name, small)]["peak_rss_mb"])
        print(f"{name}: peak RSS, N = {large:,} vs N = {small:,}: {common.times(rss_ratio)} "
              f"(target <= 1.10x: {common.verdict(rss_ratio, 1.10, higher_is_better=False)})")
        slowest = min(streams[(name, n)]["steady_rate"] for n in (small, large))
        delivery = common.ratio(slowest, compute[name]["rate"])
        print(f"{name}: delivery vs consumption (steady, slower of the two N): {common.times(delivery)} "
              f"(target >= 10x: {common.verdict(delivery, 10.0)})")
    common.footer()


if __name__ == "__main__":
    if not common.child_main(PHASES):
        main()
