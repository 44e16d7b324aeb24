"""The review page on a large shoot: page-ready time and key-to-screen latency.

A shoot of N photos (default 2,000, straight from the camera: realistic_photos.py's `fresh/`
folders, flattened and renamed IMG_00000.jpg... so that no name tells a label) is scored by a run
and its thumbnails made once (both timed, but they come before the server is up). Then, in a
real headless Chromium at 1280x720:

* page ready: from the navigation to the first screen drawn (the shoot's table read, every tile
  of the first screen with its thumbnail loaded), in seconds. Baseline: the same page on the
  first 200 photos of the shoot, measured in the same run (the ratio says how it scales);
* key to screen: for decision keys (P, X, U, stars: the request written to the table and the
  tile redrawn) and arrow keys (the next tile outlined), the time from the key's event to the
  animation frame that shows it, as the page measures it, over 40 presses each: median and 95th
  percentile, in ms. Baseline: one request to the server and back from the page (a fetch of
  /api/changes), the floor of any key that is saved.

With `--screens DIR` it also writes the README's screenshots: the grid and the compare view
zoomed to 100% (1280x720, JPEG).

    python benchmarks/realistic_photos.py DATA --shots 2000       # once (see its docstring)
    python benchmarks/bench_quality.py --data DATA --keep          # a trained run, kept
    python benchmarks/bench_review.py --run RUN --fresh DATA/fresh --screens docs/
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "python"))

from browser import Tabs  # noqa: E402  (the tests' headless Chromium driver)

FIRST_SCREEN = """(() => {
  if (document.body.dataset.ready !== '1') return false;
  const tiles = Array.from(document.querySelectorAll('.tile img'))
    .filter(i => i.getBoundingClientRect().top < window.innerHeight);
  return tiles.length > 0 && tiles.every(i => i.complete && i.naturalWidth > 0);
})()"""


def make_shoot(fresh: Path, folder: Path, n: int) -> Path:
    """The first `n` photos of fresh/good and fresh/bad in name order (scene after scene)."""
    files = sorted((p for p in fresh.glob("*/*.jpg")), key=lambda p: (p.name, str(p)))[:n]
    folder.mkdir(parents=True, exist_ok=True)
    for number, file in enumerate(files):
        shutil.copy(file, folder / f"IMG_{number:05d}.jpg")
    return folder


def page_ready(server, tabs: Tabs) -> float:
    started = time.perf_counter()
    tab = tabs.open(server.url)
    tab.wait(FIRST_SCREEN, timeout=60)
    return time.perf_counter() - started


def key_latency(tab, keys) -> list[float]:
    """ms from each key's event to the frame that shows its effect, as the page measures it
    (window.photoqTimings: the key's event time to the next animation frame after the update)."""
    tab.run("window.photoqTimings = []; 1")
    for number, key in enumerate(keys, start=1):
        tab.key(key)
        deadline = time.monotonic() + 10
        while tab.run("window.photoqTimings.length") < number:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the key {key} never reached the screen")
            time.sleep(0.002)
    return [t["ms"] for t in tab.run("window.photoqTimings")]


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    return f"median {statistics.median(ordered):.1f} ms, 95th percentile {ordered[int(0.95 * (len(ordered) - 1))]:.1f} ms"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="a trained run (realistic photographs)")
    parser.add_argument("--fresh", required=True, help="realistic_photos.py's fresh/ folder (good/ and bad/)")
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--screens", help="write review-grid.jpg and review-compare.jpg here")
    parser.add_argument("--work", help="work folder (default: a temporary one, removed)")
    args = parser.parse_args(argv)

    from pyphotoq.reporting.review_server import ReviewServer
    from pyphotoq.reporting.review_shoot import open_shoot

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="photoq-review-bench-"))
    try:
        shoot_folder = make_shoot(Path(args.fresh), work / "shoot", args.photos)
        small_folder = make_shoot(Path(args.fresh), work / "small", 200)
        started = time.perf_counter()
        shoot = open_shoot(args.run, shoot_folder, table=work / "shoot.csv", progress=False)
        opened = time.perf_counter() - started
        small = open_shoot(args.run, small_folder, table=work / "small.csv", progress=False)
        print(f"shoot: {len(shoot.table)} photos scored (or their table read back) and thumbnails made in "
              f"{opened:.0f} s (before the server is up)")
        with Tabs() as tabs:
            results = {}
            for name, which in (("200 photos (baseline)", small), (f"{len(shoot.table)} photos", shoot)):
                server = ReviewServer(which).start()
                try:
                    results[name] = min(page_ready(server, tabs) for _ in range(3))
                finally:
                    server.stop()
            base = results["200 photos (baseline)"]
            for name, seconds in results.items():
                print(f"page ready, {name}: {seconds:.2f} s (best of 3; ratio to the baseline {seconds / base:.2f})")
            server = ReviewServer(shoot).start()
            try:
                tab = tabs.open(server.url)
                tab.wait(FIRST_SCREEN, timeout=60)
                floor = [tab.run("(() => { const t = performance.now(); return fetch('api/changes?since=0&token=' + "
                                 "encodeURIComponent(token)).then(r => r.json()).then(() => performance.now() - t); })()")
                         for _ in range(args.presses)]
                decisions = key_latency(tab, ["u", "3", "p", "x"] * (args.presses // 4))
                arrows = key_latency(tab, ["ArrowRight", "ArrowLeft"] * (args.presses // 2))
                print(f"server round trip from the page (baseline): {summary(floor)}")
                print(f"decision keys, key to screen: {summary(decisions)} "
                      f"(ratio {statistics.median(decisions) / statistics.median(floor):.2f})")
                print(f"arrow keys, key to screen: {summary(arrows)} "
                      f"(ratio {statistics.median(arrows) / statistics.median(floor):.2f})")
                if args.screens:
                    screens(tabs, ReviewServer(small).start(), Path(args.screens))
            finally:
                server.stop()
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def screens(tabs: Tabs, server, folder: Path) -> None:
    """The README's pictures: the grid, and the compare view zoomed to 100%."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    try:
        tab = tabs.open(server.url, 1280, 720)
        tab.wait(FIRST_SCREEN, timeout=60)
        tab.run("state.current = state.photos.findIndex((p, i) => i > 8 && p.decision === 'review'); showCurrent(); 1")
        time.sleep(0.5)
        shots = {"review-grid.jpg": tab.screenshot()}
        tab.key(" ")
        tab.wait("document.querySelectorAll('.pane img.photo').length > 1 && "
                 "Array.from(document.querySelectorAll('.pane img.photo')).every(i => i.complete)")
        tab.key("z")
        tab.wait("document.getElementById('compare').dataset.zoom === '100'")
        time.sleep(0.5)
        shots["review-compare.jpg"] = tab.screenshot()
        for name, png in shots.items():
            Image.open(io.BytesIO(png)).convert("RGB").save(folder / name, quality=82, optimize=True)
            print(f"wrote {folder / name}")
    finally:
        server.stop()


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
