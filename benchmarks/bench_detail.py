"""The detail view: decoding camera JPEGs for its patches, what its encoding does, scoring.

What it measures, in one run, on generated 12 MP camera JPEGs (``bench_cache.make_photos``:
4000x3000, one in four stored as 3000x4000, quality 88-95, distinct bytes):

  (e) DECODING for the patches, per photo, the JPEG bytes already in memory: Pillow's full
      decode (``Image.open(...).convert("RGB")``; the BASELINE); Pillow with
      ``draft("RGB", (w/2, h/2))`` (DCT scaling to 1/2); TensorFlow's full decode
      ``tf.io.decode_jpeg(dct_method="INTEGER_ACCURATE")`` (what the detail view uses);
      TensorFlow's ``tf.io.decode_and_crop_jpeg`` for 1, 4 and 6 crops of 192 px (one call per
      crop, at spread positions inside the stored image, landscape or portrait, on the 16-px
      grid); and the whole ``pyphotoq.photos.detail.make_patches`` (decode, choose the cells, cut; the
      photo's 480-px overview, which it reads, is opened beforehand). Milliseconds per photo,
      best of --rounds rounds (every method once per round, in turn), and each method's speed
      against the baseline (baseline ms / method ms: above 1 is faster).
  (f) what the ENCODING does to noise and blockiness: the detail view's patches of those photos
      (and of up to --real-photos photos below --photos-dir, when given) before encoding, and
      after a JPEG round trip (Pillow encode, Pillow decode) at quality 95 without chroma
      subsampling (4:4:4, the cache's; checked once against ``cache.cached_view_pixels``), at
      quality 95 4:2:0 and at quality 85 4:2:0. For each patch, the columns noise_luma,
      noise_chroma, blockiness and sharpness_full of ``pyphotoq.models.statistics.image_statistics``;
      all four are logarithms, so a patch's relative change is exp(after - before) - 1, the
      relative change of the quantity itself (noise level, grid-step ratio, Laplacian spread).
      Prints the mean relative change over the patches, per statistic and encoding (a patch
      whose statistic is at its floor before encoding, log 1e-4, none of that quantity at all,
      is left out of that statistic's mean and counted), and the bytes per photo of each
      encoding (raw: the uncompressed patches).
  (g) SCORING speed from camera-size JPEGs: a tiny two-view run (``train_model(cache, run,
      batches=4, validate_every=4)``, recipe "two-view", the default) and, the BASELINE, an
      overview-only run (recipe "two-branch") are trained on the same small demo cache
      (``make_demo_photos(n_photos=40, size=(320, 240))``, ``build_cache(width=480)``); then
      ``pyphotoq.score_photos(run, folder, progress=False)`` scores --score-photos 12 MP photos,
      each run in its own child process: a first call on two of the photos (a landscape and a
      portrait: the process's first TensorFlow work), a second call on the same two, then the
      timed call on all of them. Photos/s of the timed call (loading the model included, as a
      user sees it), best of --score-rounds rounds (alternating the runs), and the two-view
      rate against the overview-only one; also the steady rate, (N - 2) / (timed call - second
      call), and what a call costs besides its photos (loading and tracing the model). The
      model's quality is irrelevant here. On this tiny run validation gives the network no
      weight, so the booster scores alone and the network is not loaded; a third run, "two-view,
      network in the blend", is a copy of it whose booster gives the network weight 0.5 (as
      validation does on realistic photographs: 0.25 on the mixed archive), so the network runs
      too. With --before OLD both two-view runs are also scored by the photoq checkout OLD (its
      pyphotoq/ first on PYTHONPATH) in the same rounds: the ratio to the code before a change.

Target: scoring with the two-view runs at least 15 photos/s on a 2-core machine (the
verdict is on the timed call's photos/s, loading included). The figures of (e) and (f) are
information (they chose the decoder and the encoding); nothing is asserted. All sources are
hot in the page cache, so the figures compare CPU work.

    python benchmarks/bench_detail.py            # (e) 12 photos x 3 rounds, (g) 40 photos x 2 (~5 minutes)
    python benchmarks/bench_detail.py --photos-dir ~/Pictures/some-shoot   # (f) also on real photos
    python benchmarks/bench_detail.py --skip e f --before OLD_CHECKOUT   # (g) only, against older code
    python benchmarks/bench_detail.py --quick    # 4 photos for (e)/(f), 6 to score, 1 round (smoke test)
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_cache
import common

CAMERA_SIZE = (4000, 3000)  # 12 MP
PATCH = 192
CROP_COUNTS = (1, 4, 6)
# Where the crops of (e) go, as shares of the free room (width - 192, height - 192): the centre
# first, then spread over the frame (taken in this order: 1, 4 or 6 of them).
CROP_SPOTS = ((0.5, 0.5), (0.2, 0.25), (0.8, 0.3), (0.3, 0.8), (0.75, 0.75), (0.5, 0.1))
STATISTICS = ("noise_luma", "noise_chroma", "blockiness", "sharpness_full")
OVERVIEW_WIDTH = 480
TARGET = 15.0  # photos/s, scoring with the two-view default on 2 cores
BASELINE_RUN = "two-branch (overview only, baseline)"
# On the tiny demo run validation gives the network no weight, so the booster scores alone and
# the network is not even loaded; on realistic photographs it often gets some (0.25 on the mixed
# archive): this run is the same run with the network given weight 0.5 in the blend.
NETWORK_RUN = "two-view, network in the blend"
NETWORK_WEIGHT = 0.5


# --------------------------------------------------------------------------- (e) decoding


def crop_windows(width: int, height: int, count: int) -> list[list[int]]:
    """`count` crop windows [top, left, 192, 192] inside a stored width x height image."""
    windows = []
    for share_x, share_y in CROP_SPOTS[:count]:
        left = int(share_x * (width - PATCH)) // 16 * 16
        top = int(share_y * (height - PATCH)) // 16 * 16
        assert 0 <= left <= width - PATCH and 0 <= top <= height - PATCH
        windows.append([top, left, PATCH, PATCH])
    return windows


def pillow_full(data: bytes, photo: dict):
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB")  # a full decode: no draft


def pillow_half(data: bytes, photo: dict):
    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
        img.draft("RGB", (width // 2, height // 2))
        rgb = img.convert("RGB")
    if rgb.size != (width // 2, height // 2):
        raise RuntimeError(f"draft gave {rgb.size}, expected half of {(width, height)}")
    return rgb


def tf_full(data: bytes, photo: dict):
    import tensorflow as tf

    return tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE").numpy()


def tf_crops(count: int):
    def crops(data: bytes, photo: dict):
        import tensorflow as tf

        return [tf.io.decode_and_crop_jpeg(data, window, channels=3, dct_method="INTEGER_ACCURATE").numpy()
                for window in photo["windows"][count]]

    return crops


def whole_make_patches(data: bytes, photo: dict):
    from pyphotoq.photos import detail

    return detail.make_patches(data, detail.DEFAULT_SPEC, photo["opened"])


DECODERS = [
    ("Pillow full decode, convert RGB (baseline)", pillow_full),
    ("Pillow draft 1/2 (DCT scaling)", pillow_half),
    ("TensorFlow decode_jpeg full, INTEGER_ACCURATE", tf_full),
    *[(f"TensorFlow decode_and_crop_jpeg, {n} crop{'s' if n > 1 else ''} of {PATCH} px", tf_crops(n))
      for n in CROP_COUNTS],
    ("pyphotoq.photos.detail.make_patches, whole (6 patches)", whole_make_patches),
]


def prepare(paths: list[Path]) -> list[dict]:
    """Per photo: its bytes, stored size, crop windows and 480-px overview (made beforehand)."""
    from pyphotoq.photos.images import open_photo

    photos = []
    for path in paths:
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
        photos.append({
            "path": path, "data": data, "size": (width, height),
            "windows": {n: crop_windows(width, height, n) for n in CROP_COUNTS},
            "opened": open_photo(data, OVERVIEW_WIDTH),
        })
    return photos


def measure_decoding(photos: list[dict], rounds: int) -> dict[str, list[float]]:
    """ms per photo of every decoder in every round (each decoder in turn within a round)."""
    for _, decode in DECODERS:  # warm-up: TensorFlow's first calls set up its kernels
        decode(photos[0]["data"], photos[0])
    results = {name: [] for name, _ in DECODERS}
    for number in range(rounds):
        print(f"(e) round {number + 1}/{rounds} ...", file=sys.stderr, flush=True)
        for name, decode in DECODERS:
            started = time.perf_counter()
            for photo in photos:
                decode(photo["data"], photo)
            results[name].append(1000 * (time.perf_counter() - started) / len(photos))
    return results


# --------------------------------------------------------------------------- (f) encoding


def encodings() -> dict[str, dict]:
    from pyphotoq.photos.detail import DEFAULT_SPEC

    return {
        "q95 4:4:4 (the cache's)": dict(DEFAULT_SPEC),
        "q95 4:2:0": {**DEFAULT_SPEC, "subsampling": "4:2:0"},
        "q85 4:2:0": {**DEFAULT_SPEC, "quality": 85, "subsampling": "4:2:0"},
    }


def real_photos(folder: str, limit: int) -> list[dict]:
    """Up to `limit` usable photos below `folder`: bytes and 480-px overview, for (f)."""
    from pyphotoq.photos.images import UnusablePhoto, open_photo, read_photo_bytes
    from pyphotoq.photos.sources import walk_images

    photos = []
    for path in walk_images(folder):
        if len(photos) >= limit:
            break
        try:
            data = read_photo_bytes(path)
            photos.append({"path": Path(path), "data": data, "opened": open_photo(data, OVERVIEW_WIDTH)})
        except UnusablePhoto as err:
            print(f"  (f) skipped {path}: {err}", file=sys.stderr)
    return photos


def measure_encoding(photos: list[dict]) -> dict:
    """Statistics of every patch before and after each encoding, and bytes per photo."""
    import tensorflow as tf

    from pyphotoq.data import views as views_module
    from pyphotoq.photos import detail
    from pyphotoq.models.statistics import NAMES, image_statistics

    columns = [NAMES.index(name) for name in STATISTICS]
    spec = detail.DEFAULT_SPEC
    measure = tf.function(image_statistics, reduce_retracing=True)
    before, after = [], {name: [] for name in encodings()}
    sizes = {name: [] for name in encodings()}
    checked = False
    for photo in photos:
        try:
            strip = detail.make_patches(photo["data"], spec, photo["opened"])
        except Exception as err:  # a real photo the detail view cannot use: reported, not measured
            print(f"  (f) skipped {photo['path']}: {err}", file=sys.stderr)
            continue
        raw = detail.split_patches(np.asarray(strip.convert("RGB")), spec)
        before.append(measure(tf.constant(raw)).numpy()[:, columns])
        for name, encoding in encodings().items():
            data = views_module.encode_view(strip, encoding)
            with Image.open(io.BytesIO(data)) as img:
                pixels = detail.split_patches(np.asarray(img.convert("RGB")), encoding)
            if not checked and encoding == spec:  # the round trip is what a cache reader gets
                reader = views_module.cached_view_pixels(photo["data"], spec, photo["opened"])
                if not np.array_equal(reader, pixels):
                    raise RuntimeError("the q95 4:4:4 round trip differs from cache.cached_view_pixels")
                checked = True
            sizes[name].append(len(data))
            after[name].append(measure(tf.constant(pixels)).numpy()[:, columns])
    if not before:
        return {"photos": 0}
    before_all = np.concatenate(before).astype(np.float64)
    # log(0 + 1e-4): none of that quantity in the patch (a flat one); its relative change is
    # meaningless, so such patches are left out of that statistic's mean
    measurable = before_all > np.log(2e-4)
    changes = {name: [float(v) for v in np.nanmean(np.where(measurable, np.expm1(np.concatenate(values) - before_all),
                                                            np.nan), axis=0)]
               for name, values in after.items()}
    return {
        "photos": len(before), "patches": len(before_all), "checked": checked,
        "raw_bytes": float(int(spec["patches"]) * int(spec["size"]) ** 2 * 3),
        "bytes": {name: float(np.mean(values)) for name, values in sizes.items()},
        "change": changes,
        "before": [float(v) for v in before_all.mean(axis=0)],
        "floor": [int(v) for v in (~measurable).sum(axis=0)],
    }


def print_encoding(title: str, result: dict) -> None:
    if not result.get("photos"):
        print(f"{title}: no usable photos\n")
        return
    rows = [["raw patches (before encoding)", result["raw_bytes"], 1.0, *[0.0] * len(STATISTICS)]]
    for name, size in result["bytes"].items():
        rows.append([name, size, result["raw_bytes"] / size, *[100 * v for v in result["change"][name]]])
    common.print_table(
        ["encoding", "bytes/photo", "compression", *[f"{s} %" for s in STATISTICS]], rows,
        title=f"{title}: {result['photos']} photos, {result['patches']} patches of {PATCH} px; "
              "mean relative change per statistic, exp(after - before) - 1, in %",
    )
    print("before encoding, mean of each (log) statistic: " + ", ".join(
        f"{name} {value:.2f}" for name, value in zip(STATISTICS, result["before"])))
    left_out = [f"{name} {count}" for name, count in zip(STATISTICS, result["floor"]) if count]
    if left_out:
        print("patches left out of a statistic's mean (at its floor, log 1e-4, before encoding: none of "
              "that quantity, so no relative change): " + ", ".join(left_out))
    print()


# --------------------------------------------------------------------------- (g) scoring, child phases


def phase_train(cache: str, run: str, recipe: str) -> dict:
    """A tiny run of `recipe` on the demo cache (its quality does not matter here)."""
    import pyphotoq

    pyphotoq.train_model(cache, run, recipe=recipe, batches=4, validate_every=4, progress=False, plot=False)
    return {"recipe": recipe}


def phase_score(run: str, warmup: str, photos: str) -> dict:
    """score_photos on `warmup` twice (the process's first TensorFlow work; then what every call
    costs on two photos), then timed on `photos`."""
    import tensorflow  # noqa: F401  (its import is not scoring time)

    import pyphotoq
    from pyphotoq.photos.sources import walk_images

    seconds = []
    for folder in (warmup, warmup, photos):
        started = time.perf_counter()
        table = pyphotoq.score_photos(run, folder, progress=False)
        seconds.append(time.perf_counter() - started)
    small = len(walk_images(warmup))
    scored = int((table["decision"] != "skipped").sum())
    steady = (scored - small) / (seconds[2] - seconds[1]) if seconds[2] > seconds[1] else float("nan")
    return {"first_seconds": seconds[0], "small_seconds": seconds[1], "small": small,
            "score_seconds": seconds[2], "scored": scored, "skipped": int(len(table) - scored),
            "rate": scored / seconds[2], "steady_rate": steady,
            "fixed_seconds": seconds[1] - small / steady if steady == steady else float("nan"),
            "cpus": os.cpu_count()}


PHASES = {"train": phase_train, "score": phase_score}


def blend_network(run: Path, copy: Path) -> Path:
    """A copy of `run` whose booster gives the network NETWORK_WEIGHT in the blend (the booster
    and the network unchanged): scoring then runs the network as well."""
    import json
    import shutil

    shutil.copytree(run, copy)
    path = copy / "booster" / "booster.json"
    info = json.loads(path.read_text())
    info["network_weight"] = NETWORK_WEIGHT
    path.write_text(json.dumps(info))
    return copy


def link_folder(folder: Path, paths: list[Path]) -> Path:
    """A folder holding hard links to `paths` (no copies: the same bytes, hot in the page cache)."""
    folder.mkdir(parents=True)
    for path in paths:
        os.link(path, folder / path.name)
    return folder


# --------------------------------------------------------------------------- main


def main() -> None:
    args_parser = common.parser(__doc__)
    args_parser.add_argument("--decode-photos", type=int,
                             help="12 MP photos for (e) and (f) (default 12; quick 4)")
    args_parser.add_argument("--rounds", type=int, help="rounds of (e) (default 3; quick 1)")
    args_parser.add_argument("--score-photos", type=int, help="12 MP photos to score in (g) (default 40; quick 6)")
    args_parser.add_argument("--score-rounds", type=int, help="rounds of (g) (default 2; quick 1)")
    args_parser.add_argument("--photos-dir", help="a folder of real photos for (f), besides the generated ones")
    args_parser.add_argument("--real-photos", type=int,
                             help="at most this many photos of --photos-dir (default 40; quick 5)")
    args_parser.add_argument("--skip", nargs="*", default=[], choices=["e", "f", "g"], help="sections to leave out")
    args_parser.add_argument("--before", help="an older checkout of photoq: (g) also scores the two-view runs with "
                                              "its pyphotoq/ (the baseline of a change, in the same rounds)")
    args = args_parser.parse_args()
    decode_count = args.decode_photos or (4 if args.quick else 12)
    rounds = args.rounds or (1 if args.quick else 3)
    score_count = args.score_photos or (6 if args.quick else 40)
    score_rounds = args.score_rounds or (1 if args.quick else 2)
    real_limit = args.real_photos or (5 if args.quick else 40)
    if score_count < 2 or decode_count < 1:
        args_parser.error("--score-photos must be at least 2 and --decode-photos at least 1")

    common.header("detail view: decoding, encoding, scoring from 12 MP JPEGs", args)
    import tensorflow  # noqa: F401  (imported before any timing)

    import pyphotoq  # noqa: F401

    with common.work_folder(args, "bench-detail") as work:
        count = max(decode_count, score_count)
        print(f"generating {count} JPEGs of {CAMERA_SIZE[0]}x{CAMERA_SIZE[1]} ...", file=sys.stderr, flush=True)
        paths, seconds = common.timed(bench_cache.make_photos, work / "photos", count, CAMERA_SIZE)
        megabytes = sum(p.stat().st_size for p in paths) / 2**20
        print(f"{count} photos of 12 MP (one in four portrait), {megabytes / count:.1f} MB each on average, "
              f"generated in {seconds:.1f} s")
        print()
        photos = prepare(paths[:decode_count]) if {"e", "f"} - set(args.skip) else []

        if "e" not in args.skip:
            decoding = measure_decoding(photos, rounds)
            baseline = min(decoding[DECODERS[0][0]])
            rows = [[name, min(values), common.times(common.ratio(baseline, min(values)))]
                    for name, values in decoding.items()]
            common.print_table(
                ["(e) decoding a 12 MP camera JPEG, bytes in memory", "ms/photo", "speed vs Pillow full"], rows,
                title=f"best of {rounds} round(s) over {len(photos)} photos (1 thread each)",
            )
            if rounds > 1:
                common.print_table(["decoder", *[f"round {i + 1} ms" for i in range(rounds)]],
                                   [[name, *values] for name, values in decoding.items()])

        if "f" not in args.skip:
            print("(f) statistics before and after encoding ...", file=sys.stderr, flush=True)
            generated = measure_encoding(photos)
            print_encoding("(f) generated 12 MP photos", generated)
            if generated.get("checked"):
                print("the q95 4:4:4 round trip equals cache.cached_view_pixels (checked on one photo)\n")
            if args.photos_dir:
                real = measure_encoding(real_photos(args.photos_dir, real_limit))
                print_encoding(f"(f) real photos below {args.photos_dir}", real)

        if "g" not in args.skip:
            print("(g) demo cache and tiny runs ...", file=sys.stderr, flush=True)
            demo = pyphotoq.make_demo_photos(work / "demo", n_photos=40, size=(320, 240), progress=False)
            cache = pyphotoq.build_cache(demo, work / "demo-cache", width=OVERVIEW_WIDTH,
                                         progress=False)
            if "detail" not in cache.views:
                raise RuntimeError("the demo cache should hold the detail view (build_cache's default)")
            runs = {"two-view": work / "run-two-view", "two-branch (overview only, baseline)": work / "run-two-branch"}
            for name, run in runs.items():
                common.run_child(__file__, "train", cache=str(work / "demo-cache"), run=str(run),
                                 recipe=name.split()[0])
            runs = {"two-view": runs["two-view"],
                    NETWORK_RUN: blend_network(runs["two-view"], work / "run-two-view-network"),
                    BASELINE_RUN: runs[BASELINE_RUN]}
            sides = {name: [(name, None)] for name in runs}
            if args.before:
                for name in ("two-view", NETWORK_RUN):
                    sides[name].append((f"{name}, before", str(Path(args.before).resolve())))
            landscape = next(p for i, p in enumerate(paths) if i % 4 != 3)
            portrait = paths[3] if len(paths) > 3 else None
            warmup = link_folder(work / "warmup", [landscape, *([portrait] if portrait else [])])
            scored = link_folder(work / "score", paths[:score_count])
            scoring = {label: [] for pairs in sides.values() for label, _ in pairs}
            for number in range(score_rounds):
                print(f"(g) round {number + 1}/{score_rounds} ...", file=sys.stderr, flush=True)
                for name, run in runs.items():
                    for label, source in sides[name]:
                        with common.python_path(source):
                            scoring[label].append(common.run_child(__file__, "score", run=str(run),
                                                                   warmup=str(warmup), photos=str(scored)))

    if "g" not in args.skip:
        best = {name: min(results, key=lambda r: r["score_seconds"]) for name, results in scoring.items()}
        base = best[BASELINE_RUN]
        rows = [[f"score_photos, {name} run", r["scored"], r["score_seconds"], r["rate"],
                 common.times(common.ratio(r["rate"], base["rate"])), r["steady_rate"],
                 common.times(common.ratio(r["steady_rate"], base["steady_rate"])), r["fixed_seconds"],
                 r["first_seconds"], r["peak_rss_mb"]]
                for name, r in best.items()]
        common.print_table(
            ["(g) scoring 12 MP JPEGs", "photos", "seconds", "photos/s", "vs overview only", "steady photos/s",
             "steady vs overview only", "fixed s per call", "first call s (2 photos)", "peak RSS MiB"], rows,
            title=f"best of {score_rounds} round(s), each a child process: a first call on 2 photos, a second "
                  f"on the same 2, the timed call on {score_count}; photos/s: the timed call, loading included; "
                  "steady: the photos beyond 2 over the time beyond the second call's; fixed: what a call costs "
                  "besides its photos (loading and tracing the model)",
        )
        if score_rounds > 1:
            common.print_table(["run", *[f"round {i + 1} photos/s" for i in range(score_rounds)]],
                               [[name, *[r["rate"] for r in results]] for name, results in scoring.items()])
        skipped = sum(r["skipped"] for r in best.values())
        if skipped:
            print(f"WARNING: {skipped} photos skipped while scoring")
        for name in ("two-view", NETWORK_RUN):
            two_view = best[name]
            before = best.get(f"{name}, before")
            than = (f"; {common.times(common.ratio(two_view['rate'], before['rate']))} the --before checkout's "
                    f"{before['rate']:.1f}" if before else "")
            print(f"{name} scoring of {two_view['scored']} photos: {two_view['rate']:.1f} photos/s, the whole call"
                  f"{than}; target >= {TARGET:g} photos/s on a 2-core machine: "
                  f"{common.verdict(two_view['rate'], TARGET)} on this {two_view['cpus']}-CPU machine "
                  f"(steady {two_view['steady_rate']:.1f} photos/s plus {two_view['fixed_seconds']:.1f} s per call)")
    common.footer()


if __name__ == "__main__":
    if not common.child_main(PHASES):
        main()
