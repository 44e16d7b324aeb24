"""The disk-streamed batch stream: delivery rate and peak memory (issue 2).

What it measures, in one run:

  * delivery: one "epoch" of ``pyphotoq.batches.training_batches(cache, 'train', batch_size=4)``
    (N/4 batches, every row of the cache in 'train') over a cache of N = 2,000 and of
    N = 20,000 cached images, each in a fresh child process: images/s delivered (JPEG read and
    decode included; also the steady rate after the first batch, which the target uses) and the
    child's peak RSS (VmHWM), with its RSS after the imports beside it;
  * consumption (the baseline for delivery): a compute-only training loop in another child, the
    default model ``pyphotoq.build_model()`` trained with ``train_on_batch`` on batches of 4
    uint8 images already in memory, following the same sequence of shapes as the stream
    (landscape 480x360 and portrait 480x640, as a 480-wide cache holds them).

The caches are made quickly: a handful of real photos go through ``pyphotoq.build_cache``
(so the cached JPEGs are the real thing), and a cache folder of N entries is filled with hard
links to them under hash-like names, with its cache.json and manifest.csv written in the
documented format. The files are hot in the page cache: this measures decoding and the
pipeline, not the disk.

Targets (issue 2): peak RSS at 20,000 images within 10% of the peak at 2,000 (ratio <= 1.10);
delivery at least 10x faster than the training step consumes images.

    python benchmarks/bench_batches.py            # N = 2,000 and 20,000 (a few minutes)
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


# --------------------------------------------------------------------------- the caches


def real_cached_images(work: Path) -> tuple[list[Path], list[Path]]:
    """(landscape, portrait) cached JPEGs made by pyphotoq.build_cache from demo photos."""
    import pyphotoq

    photos = pyphotoq.make_demo_photos(work / "demo", n_photos=24, size=(640, 480), seed=3)
    cache = pyphotoq.build_cache(photos, work / "small-cache", width=480, progress=False, verbose=False)
    landscape = [cache.image_path(c) for c in cache.manifest.query("height < width")["cached"]]
    portrait = [cache.image_path(c) for c in cache.manifest.query("height > width")["cached"]]
    if not landscape or not portrait:
        raise RuntimeError("the demo photos should give both landscape and portrait images")
    return landscape, portrait


def fill_cache(folder: Path, n: int, landscape: list[Path], portrait: list[Path]) -> None:
    """A cache of `n` photos (3 landscape : 1 portrait), all in 'train', hard-linked images."""
    import pandas as pd
    from PIL import Image

    from pyphotoq import cache as cache_module

    folder.mkdir(parents=True)
    cache_module._load_or_create_info(folder, 480, "good", "bad", "hash", (0.8, 0.1, 0.1), 3.0, 95)
    sizes = {}
    rows = []
    for i in range(n):
        source = portrait[i % len(portrait)] if i % 4 == 3 else landscape[i % len(landscape)]
        if source not in sizes:
            with Image.open(source) as img:
                sizes[source] = img.size
        digest = hashlib.sha256(f"bench-{i}".encode()).hexdigest()
        relative = cache_module.cached_name(digest)
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)
        label = "good" if (i * 7919) % 100 < GOOD_SHARE * 100 else "bad"
        width, height = sizes[source]
        rows.append({
            "hash": digest, "label": label, "split": "train", "group": digest,
            "original": f"/photos/{label}/IMG_{i:05d}.jpg", "cached": relative,
            "width": width, "height": height, "source_width": width * 8 // 3,
            "source_height": height * 8 // 3, "taken": "",
        })
    manifest = pd.DataFrame(rows, columns=cache_module.MANIFEST_COLUMNS)
    cache_module._write_table(folder / "manifest.csv", manifest.sort_values("original"))


# --------------------------------------------------------------------------- child phases


def phase_stream(cache: str) -> dict:
    """Stream one epoch (N / batch size batches) of training batches; images/s and RSS."""
    import tensorflow as tf  # noqa: F401

    import pyphotoq
    from pyphotoq.batches import training_batches

    rss_imports = common.current_rss_mb()
    started = time.perf_counter()
    handle = pyphotoq.open_cache(cache)
    open_seconds = time.perf_counter() - started
    n = len(handle.manifest)
    batches = n // BATCH_SIZE
    started = time.perf_counter()
    dataset = training_batches(handle, "train", batch_size=BATCH_SIZE, seed=0, start=0, stop=batches)
    images, first, first_images = 0, None, 0
    for pixels, _ in dataset:
        images += int(pixels.shape[0])
        if first is None:
            first, first_images = time.perf_counter() - started, images
    seconds = time.perf_counter() - started
    return {
        "n": n, "images": images, "open_seconds": open_seconds, "first_batch_seconds": first,
        "stream_seconds": seconds, "rate": images / seconds, "rss_imports_mb": rss_imports,
        "steady_rate": (images - first_images) / (seconds - first) if images > first_images else None,
    }


def phase_compute(cache: str, steps: int) -> dict:
    """Compute-only training: train_on_batch on in-memory batches, the stream's shape sequence."""
    import numpy as np

    import pyphotoq
    from pyphotoq.batches import TrainingSampler, one_hot
    from pyphotoq.images import load_rgb_array

    handle = pyphotoq.open_cache(cache)
    frame = handle.split("train")
    sampler = TrainingSampler(frame, handle.positive, BATCH_SIZE, seed=0)
    targets = one_hot(frame["label"], handle.positive)
    in_memory = {}  # (height, width) -> a batch of real pixels of that shape
    for shape, group in frame.groupby(["height", "width"]):
        paths = [handle.image_path(c) for c in group["cached"].iloc[:BATCH_SIZE]]
        while len(paths) < BATCH_SIZE:
            paths.append(paths[0])
        in_memory[shape] = np.stack([load_rgb_array(p) for p in paths])
    heights, widths = frame["height"].to_numpy(), frame["width"].to_numpy()
    model = pyphotoq.build_model()
    for pixels in in_memory.values():  # trace for each shape before timing
        model.train_on_batch(pixels, targets[:BATCH_SIZE])
    plan = []
    for number in range(steps):
        rows = sampler.rows(number)
        plan.append((in_memory[(int(heights[rows[0]]), int(widths[rows[0]]))], targets[rows]))
    started = time.perf_counter()
    for pixels, labels in plan:
        model.train_on_batch(pixels, labels)
    seconds = time.perf_counter() - started
    shapes = {f"{h}x{w}": int(sum(p.shape[1] == h for p, _ in plan)) for h, w in in_memory}
    return {"steps": steps, "images": steps * BATCH_SIZE, "compute_seconds": seconds,
            "rate": steps * BATCH_SIZE / seconds, "shapes": shapes}


PHASES = {"stream": phase_stream, "compute": phase_compute}


# --------------------------------------------------------------------------- main


def main() -> None:
    args_parser = common.parser(__doc__)
    args_parser.add_argument("--steps", type=int, help="compute-only training steps (default 40; quick 4)")
    args = args_parser.parse_args()
    small, large = (200, 2_000) if args.quick else (2_000, 20_000)
    steps = args.steps or (4 if args.quick else 40)

    common.header("batch stream: delivery and peak RSS vs the training step", args)
    with common.work_folder(args, "bench-batches") as work:
        print("making the caches ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        landscape, portrait = real_cached_images(work)
        for n in (small, large):
            fill_cache(work / f"cache-{n}", n, landscape, portrait)
        print(f"caches of {small:,} and {large:,} photos made in {time.perf_counter() - started:.1f} s "
              f"(hard links to {len(landscape)} landscape and {len(portrait)} portrait cached JPEGs)")
        print()
        streams = {n: common.run_child(__file__, "stream", cache=str(work / f"cache-{n}")) for n in (small, large)}
        compute = common.run_child(__file__, "compute", cache=str(work / f"cache-{small}"), steps=steps)

    rows = []
    for n, result in streams.items():
        rows.append([
            f"stream one epoch, N = {n:,}", result["images"], result["stream_seconds"], result["rate"],
            result["steady_rate"], common.times(common.ratio(result["steady_rate"], compute["rate"])),
            result["peak_rss_mb"],
            result["rss_imports_mb"], result["peak_rss_mb"] - result["rss_imports_mb"],
        ])
    rows.append([
        "compute-only train_on_batch (baseline)", compute["images"], compute["compute_seconds"],
        compute["rate"], compute["rate"], "1.00x", compute["peak_rss_mb"], None, None,
    ])
    common.print_table(
        ["what", "images", "seconds", "images/s", "steady images/s", "steady vs compute", "peak RSS MiB",
         "RSS after imports", "peak - imports"],
        rows, title=f"batch size {BATCH_SIZE}; each row is its own child process; steady: after the first "
        "batch (the stream's start-up out; the compute loop is traced before timing)",
    )
    for n, result in streams.items():
        print(f"N = {n:,}: open_cache {result['open_seconds']:.2f} s, first batch after "
              f"{result['first_batch_seconds']:.2f} s")
    print(f"compute-only shapes (height x width: steps): {compute['shapes']}")
    print()
    rss_ratio = common.ratio(streams[large]["peak_rss_mb"], streams[small]["peak_rss_mb"])
    print(f"peak RSS, N = {large:,} vs N = {small:,}: {common.times(rss_ratio)} "
          f"(target <= 1.10x: {common.verdict(rss_ratio, 1.10, higher_is_better=False)})")
    slowest = min(r["steady_rate"] for r in streams.values())
    delivery = common.ratio(slowest, compute["rate"])
    print(f"delivery vs consumption (steady, slower of the two streams): {common.times(delivery)} "
          f"(target >= 10x: {common.verdict(delivery, 10.0)})")
    common.footer()


if __name__ == "__main__":
    if not common.child_main(PHASES):
        main()
