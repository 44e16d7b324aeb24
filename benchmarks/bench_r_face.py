"""The cost of driving training from R: photoq's R face against pyphotoq in Python.

Measures, in one run on the same cached photos and with the same settings, the training
images/s of `train_model` called from Python (the baseline) and of `photoq::train_model`
called from R through reticulate (R installs the package from this checkout into a temporary
library first). Each side runs in its own fresh process; Python start-up and the TensorFlow
import are warmed up before the clock starts, so only the training call is timed. The two
sides alternate for a few rounds and the best round of each counts.

Target: the R face costs under 5% (ratio R/Python >= 0.95).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import common

REPOSITORY = Path(__file__).resolve().parent.parent

R_SCRIPT = """
library(photoq, lib.loc = Sys.getenv("BENCH_R_LIB"))
invisible(build_model())  # starts Python and imports TensorFlow before the clock starts
args <- commandArgs(trailingOnly = TRUE)
started <- proc.time()[["elapsed"]]
train_model(args[1], args[2], batches = as.integer(args[3]), validate_every = as.integer(args[4]),
            plot = FALSE, progress = FALSE)
cat("SECONDS", proc.time()[["elapsed"]] - started, "\\n")
"""


def phase_python(cache: str, run: str, batches: int, validate_every: int) -> dict:
    """train_model from Python, the TensorFlow import done before timing."""
    import pyphotoq

    pyphotoq.build_model()
    started = time.perf_counter()
    pyphotoq.train_model(cache, run, batches=batches, validate_every=validate_every,
                         plot=False, progress=False)
    return {"seconds": time.perf_counter() - started}


def run_r(cache: str, run: str, batches: int, validate_every: int, library: Path) -> float:
    """Seconds of the same train_model call driven from R."""
    environment = {**os.environ, "BENCH_R_LIB": str(library), "PHOTOQ_PYTHON": sys.executable}
    print("  ... R (Rscript process)", file=sys.stderr, flush=True)
    done = subprocess.run(
        ["Rscript", "-e", R_SCRIPT, cache, run, str(batches), str(validate_every)],
        capture_output=True, text=True, env=environment, check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("SECONDS"):
            return float(line.split()[1])
    raise RuntimeError(f"the R run failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}")


def main() -> None:
    args_parser = common.parser(__doc__)
    args = args_parser.parse_args()
    batches, every, rounds = (20, 10, 1) if args.quick else (150, 50, 2)
    common.header("training driven from R vs from Python", args)
    import pyphotoq

    with common.work_folder(args, "bench-r-face") as work:
        print("installing the R package and making the cache ...", file=sys.stderr, flush=True)
        library = work / "rlib"
        library.mkdir()
        subprocess.run(["R", "CMD", "INSTALL", "--no-test-load", "-l", str(library), str(REPOSITORY)],
                       check=True, capture_output=True)
        photos = pyphotoq.make_demo_photos(work / "photos", n_photos=120, size=(640, 480))
        cache = str(pyphotoq.build_cache(photos, work / "cache", progress=False).path)
        python_seconds, r_seconds = [], []
        for round_number in range(rounds):
            python_seconds.append(common.run_child(
                __file__, "python", cache=cache, run=str(work / f"run-py-{round_number}"),
                batches=batches, validate_every=every)["seconds"])
            r_seconds.append(run_r(cache, str(work / f"run-r-{round_number}"), batches, every, library))

    images = batches * 4
    best_python, best_r = min(python_seconds), min(r_seconds)
    rate_ratio = common.ratio(images / best_r, images / best_python)
    print(f"{batches} batches of 4 at 480 px wide, validation every {every}; best of {rounds} round(s)")
    common.print_table(
        ["driven from", "seconds (best)", "images/s", "vs Python", "every round (s)"],
        [["Python (baseline)", best_python, images / best_python, "1.00x",
          " ".join(f"{s:.1f}" for s in python_seconds)],
         ["R through photoq", best_r, images / best_r, common.times(rate_ratio),
          " ".join(f"{s:.1f}" for s in r_seconds)]],
    )
    print(f"R/Python images/s: {common.times(rate_ratio)} (target >= 0.95x: "
          f"{common.verdict(rate_ratio, 0.95)})")
    common.footer()


if __name__ == "__main__":
    if not common.child_main({"python": phase_python}):
        main()
