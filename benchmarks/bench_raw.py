"""RAW files cached through their embedded previews, against a full demosaic of the same files.

A RAW file stands for one photo through one image (pyphotoq/photos/camera.py): its embedded preview when
that is at least 1,000 px on its long side (cameras embed a full-size JPEG), else a demosaic of
the sensor data. This measures what that rule buys, in one run on the same generated DNGs:

  (a) the BASELINE: a full demosaic of every file (LibRaw through rawpy, with photoq's fixed
      demosaic parameters: AHD, camera white balance, 8-bit sRGB), resized to 480 px wide with
      Lanczos and written as a JPEG: what caching RAW files would cost without their previews
      (the overview only), on a pool of threads as wide as build_cache's;
  (b0) ``pyphotoq.build_cache(photos, cache, width=480, detail=False)``: the overview only, each
       RAW through its preview (LibRaw finds it, the JPEG is decoded at a DCT-scaled size);
  (b) ``pyphotoq.build_cache`` with its defaults: the overview and the detail view's
      native-resolution patches (the full preview decoded);
  (c) one file at a time in one thread (information): ``open_photo(data, 480)`` through the
      preview, against the demosaic of (a).

The DNGs are generated as cameras write them: 24 MP of 12-bit RGGB Bayer data (uncompressed) in
a SubIFD and a full-size JPEG preview (quality 92) in IFD0, each a different photo (photo-like
structures, gradients and grain, shifted per file) with its own capture time. All files are
hot in the page cache for every path, so the figures compare CPU work. Uncompressed sensor data
is the demosaic's best case: cameras' compressed RAWs (NEF, CR3, ARW) add their decompression. Writing the DNGs needs
tifffile and imagecodecs (pip install -e ".[test]").

Prints photos/s for each path and its ratio to (a). In the full mode every path is measured
--rounds times, alternating, and the best round of each is used.

    python benchmarks/bench_raw.py            # 8 DNGs of 24 MP, 3 rounds (~2 minutes on 2 cores)
    python benchmarks/bench_raw.py --quick    # 4 DNGs of 6 MP, 1 round (smoke test)
"""

from __future__ import annotations

import io
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# the DNG writer the tests use (one definition of a camera-like DNG)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "python"))
import common
from bench_cache import _base_image
from camera_files import dng_bytes

CAMERA_SIZE = (6000, 4000)  # 24 MP
QUICK_SIZE = (3000, 2000)  # 6 MP
WIDTH = 480
BASES = 2


def make_dngs(folder: Path, count: int, size: tuple[int, int]) -> list[Path]:
    """`count` distinct camera-size DNGs in folder/good and folder/bad."""
    rng = np.random.default_rng(21)
    bases = [_base_image(rng, size) for _ in range(min(BASES, count))]
    for label in ("good", "bad"):
        (folder / label).mkdir(parents=True, exist_ok=True)

    def write(index: int) -> Path:
        pixels = np.roll(bases[index % len(bases)], (index * 37, index * 53), axis=(0, 1))
        path = folder / ("good" if index % 2 == 0 else "bad") / f"DSC_{index:04d}.dng"
        taken = f"2026:07:01 10:{index // 60 % 60:02d}:{index % 60:02d}"
        height, width, _ = pixels.shape
        path.write_bytes(dng_bytes(pixels, preview=(width, height), taken=taken, model="DNG 1", maker="BenchCam"))
        return path

    with ThreadPoolExecutor(min(2, os.cpu_count() or 1)) as pool:  # 24 MP float buffers: few at once
        return list(pool.map(write, range(count)))


# --------------------------------------------------------------------------- the paths


def demosaic(data: bytes) -> np.ndarray:
    """The full demosaic of a RAW file with photoq's fixed parameters (its fallback)."""
    import rawpy

    from pyphotoq.photos.camera import demosaic_parameters

    with rawpy.imread(io.BytesIO(data)) as raw:
        return raw.postprocess(**demosaic_parameters())


def demosaic_one(path: Path, out: Path) -> None:
    pixels = demosaic(path.read_bytes())
    height, width = pixels.shape[:2]
    small = Image.fromarray(pixels).resize((WIDTH, max(1, round(height * WIDTH / width))), Image.Resampling.LANCZOS)
    small.save(out / f"{path.stem}.jpg", "JPEG", quality=95)


def demosaic_path(paths: list[Path], out: Path, workers: int) -> None:
    """The baseline: every file demosaiced, resized and written, on `workers` threads."""
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda path: demosaic_one(path, out), paths))


def photoq_build(photos: Path, cache: Path, detail: bool) -> None:
    import pyphotoq

    built = pyphotoq.build_cache(photos, cache, width=WIDTH, detail=detail, progress=False)
    if len(built.skipped):
        print(f"WARNING: {len(built.skipped)} files skipped: {built.skipped['reason'].iloc[0]}")


def one_by_one(paths: list[Path]) -> tuple[float, float]:
    """(ms per photo through the preview, ms per photo demosaiced), one thread, one file at a time."""
    from pyphotoq.photos.images import open_photo

    data = [path.read_bytes() for path in paths]
    _, preview_seconds = common.timed(lambda: [open_photo(d, WIDTH) for d in data])
    _, demosaic_seconds = common.timed(lambda: [demosaic(d) for d in data])
    return 1000 * preview_seconds / len(paths), 1000 * demosaic_seconds / len(paths)


def main() -> None:
    args_parser = common.parser(__doc__)
    args_parser.add_argument("--photos", type=int, help="number of DNGs (default 8; quick 4)")
    args_parser.add_argument("--rounds", type=int, help="rounds of every path (default 3; quick 1)")
    args = args_parser.parse_args()
    count = args.photos or (4 if args.quick else 8)
    rounds = args.rounds or (1 if args.quick else 3)
    size = QUICK_SIZE if args.quick else CAMERA_SIZE
    workers = os.cpu_count() or 1

    common.header("RAW files: build_cache through the embedded previews vs a full demosaic", args)
    import rawpy
    import tensorflow as tf  # the detail view decodes with it: its start-up is not build time

    import pyphotoq.photos.detail  # noqa: F401  (imported before timing)

    tiny = io.BytesIO()
    Image.new("RGB", (16, 16)).save(tiny, "JPEG")
    tf.io.decode_jpeg(tiny.getvalue(), channels=3, dct_method="INTEGER_ACCURATE")  # first call set-up
    print(f"LibRaw {'.'.join(map(str, rawpy.libraw_version))} (rawpy {rawpy.__version__})")

    with common.work_folder(args, "bench-raw") as work:
        print(f"generating {count} DNGs of {size[0]}x{size[1]} ...", file=sys.stderr, flush=True)
        paths, seconds = common.timed(make_dngs, work / "photos", count, size)
        megabytes = sum(p.stat().st_size for p in paths) / 2**20
        print(f"{count} DNGs of {size[0] * size[1] / 1e6:.0f} MP (Bayer data + a full-size JPEG preview), "
              f"{megabytes / count:.1f} MB each, generated in {seconds:.1f} s")
        print()
        best = {"demosaic": float("inf"), "photoq0": float("inf"), "photoq": float("inf")}
        all_rounds = {key: [] for key in best}
        for number in range(rounds):
            print(f"round {number + 1}/{rounds} ...", file=sys.stderr, flush=True)
            _, t = common.timed(demosaic_path, paths, work / f"demosaic-{number}", workers)
            all_rounds["demosaic"].append(t)
            _, t = common.timed(photoq_build, work / "photos", work / f"cache0-{number}", False)
            all_rounds["photoq0"].append(t)
            _, t = common.timed(photoq_build, work / "photos", work / f"cache-{number}", True)
            all_rounds["photoq"].append(t)
            for key, values in all_rounds.items():
                best[key] = min(values)
        for name, views in (("cache0-0", ("overview",)), ("cache-0", ("overview", "detail"))):
            for view in views:
                cached = len(list((work / name / "views" / view).rglob("*.jpg")))
                if cached != count:
                    print(f"WARNING: {name} holds {cached} {view} files, expected {count}")
        print("one file at a time ...", file=sys.stderr, flush=True)
        preview_ms, demosaic_ms = one_by_one(paths[: min(count, 4)])

    rate = {key: count / best[key] for key in best}
    speedup = {key: common.ratio(rate[key], rate["demosaic"]) for key in best}
    rows = [
        [f"(a) full demosaic + Lanczos to 480 px, {workers} threads", best["demosaic"], rate["demosaic"],
         1000 * best["demosaic"] / count, "1.00x (baseline)"],
        [f"(b0) build_cache, overview only (detail=False), workers {workers}", best["photoq0"], rate["photoq0"],
         1000 * best["photoq0"] / count, common.times(speedup["photoq0"])],
        [f"(b) build_cache, both views (default), workers {workers}", best["photoq"], rate["photoq"],
         1000 * best["photoq"] / count, common.times(speedup["photoq"])],
    ]
    common.print_table(
        ["path", "seconds", "photos/s", "ms/photo", "vs (a)"], rows,
        title=f"best of {rounds} round(s), {count} DNGs of {size[0] * size[1] / 1e6:.0f} MP -> 480 px wide "
              f"(+ the detail view's patches in (b))",
    )
    if rounds > 1:
        common.print_table(
            ["path", *[f"round {i + 1} s" for i in range(rounds)]],
            [[key, *values] for key, values in all_rounds.items()],
        )
    common.print_table(
        ["one file at a time, one thread", "ms/photo", "vs the demosaic"],
        [["(c) open_photo(data, 480): the preview", preview_ms, common.times(common.ratio(demosaic_ms, preview_ms))],
         ["(c) the full demosaic alone", demosaic_ms, "1.00x (baseline)"]],
    )
    print(f"RAW files cached through their previews at {rate['photoq0']:.2f} photos/s (overview) and "
          f"{rate['photoq']:.2f} photos/s (both views): {common.times(speedup['photoq0'])} and "
          f"{common.times(speedup['photoq'])} the rate of a full demosaic ({rate['demosaic']:.2f} photos/s)")
    common.footer()


if __name__ == "__main__":
    main()
