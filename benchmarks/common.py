"""Shared helpers for the benchmarks: timing, peak RSS, child processes, tables, work folders.

Benchmarks print figures and ratios against a baseline measured in the same run; they never
assert on time (machines are noisy, absolute times drift). A phase whose peak memory matters
runs in a fresh child process (the same script, called with ``--child PHASE PARAMS``), so its
peak RSS is its own and not that of whatever ran before it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_RESULT_MARKER = "@@PHOTOQ-BENCH-RESULT@@ "

# Keep TensorFlow's start-up chatter out of the tables (children inherit the environment).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# --------------------------------------------------------------------------- timing


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self):
        self.started = time.perf_counter()
        self.seconds = float("nan")
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        return False


def timed(function, *args, **kwargs):
    """(result, seconds) of one call."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


# --------------------------------------------------------------------------- memory


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (VmHWM, else getrusage)."""
    kb = _status_kb("VmHWM")
    if kb is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kb = peak / 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux
    return kb / 1024


def current_rss_mb() -> float:
    """Resident memory of this process now, in MiB (VmRSS; falls back to the peak)."""
    kb = _status_kb("VmRSS")
    return peak_rss_mb() if kb is None else kb / 1024


# --------------------------------------------------------------------------- child processes


def run_child(script: str, phase: str, timeout: float | None = None, **params) -> dict:
    """Run ``phase`` of ``script`` in a fresh Python process and return its result dict.

    The child calls the phase function with ``params`` (JSON-serialisable) and reports the
    function's dict plus ``peak_rss_mb`` (its own VmHWM at the end) and ``seconds``.
    """
    print(f"  ... {phase} (child process)", file=sys.stderr, flush=True)
    command = [sys.executable, os.path.abspath(script), "--child", phase, json.dumps(params)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(_RESULT_MARKER):
            return json.loads(line[len(_RESULT_MARKER):])
    tail = "\n".join((done.stdout + "\n" + done.stderr).strip().splitlines()[-40:])
    raise RuntimeError(f"phase {phase!r} failed (exit status {done.returncode}):\n{tail}")


@contextlib.contextmanager
def python_path(source: str | None):
    """Child processes started inside import pyphotoq from the checkout `source` (its folder
    first on PYTHONPATH; an older photoq as a baseline); None changes nothing."""
    if source is None:
        yield
        return
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = source if not saved else f"{source}{os.pathsep}{saved}"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def child_main(phases: dict) -> bool:
    """If this process was started by run_child, run the phase, print its result, return True."""
    if len(sys.argv) < 4 or sys.argv[1] != "--child":
        return False
    phase, params = sys.argv[2], json.loads(sys.argv[3])
    started = time.perf_counter()
    result = dict(phases[phase](**params) or {})
    result.setdefault("seconds", time.perf_counter() - started)
    result["peak_rss_mb"] = peak_rss_mb()
    sys.stdout.flush()
    print(_RESULT_MARKER + json.dumps(result), flush=True)
    return True


# --------------------------------------------------------------------------- command line and folders


def parser(description: str) -> argparse.ArgumentParser:
    """The arguments every benchmark takes: --quick, --workdir, --keep."""
    # The first docstring paragraph is the summary; the rest is shown with --help.
    result = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    result.add_argument("--quick", action="store_true",
                        help="a small version (well under a minute) to check that it runs")
    result.add_argument("--workdir", help="folder for the generated files (default: a temporary one)")
    result.add_argument("--keep", action="store_true",
                        help="keep the generated files (printed at the end) instead of deleting them")
    return result


@contextlib.contextmanager
def work_folder(args, name: str):
    """A fresh folder for one benchmark run, removed at the end unless --keep."""
    if args.workdir:
        base = Path(args.workdir).expanduser()
        base.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"photoq-{name}-", dir=base))
    else:
        folder = Path(tempfile.mkdtemp(prefix=f"photoq-{name}-"))
    try:
        yield folder
    finally:
        if args.keep:
            print(f"\nfiles kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- output


def machine_line() -> str:
    """One line about the machine and how busy it is (figures on a loaded machine drift)."""
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load average unknown"
    return (
        f"{platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()} · {load}"
    )


def accelerators() -> str:
    """The GPUs TensorFlow sees (it trains on the first), or 'none: CPU only'."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "none: CPU only"
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return ", ".join(names)


def header(title: str, args, devices: bool = False) -> None:
    """The title, the mode and the machine; with `devices`, the GPUs TensorFlow trains on."""
    mode = "quick (smoke test: figures are not meaningful)" if args.quick else "full"
    print(f"== {title} ==")
    print(f"mode: {mode}")
    print(f"machine at start: {machine_line()}")
    if devices:
        print(f"GPUs TensorFlow sees: {accelerators()}")
    print()


def footer() -> None:
    print()
    print(f"machine at end:   {machine_line()}")


def print_table(headers: list[str], rows: list[list], title: str | None = None) -> None:
    """A plain-text table; numbers right-aligned, text left-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) if rows else False for i in range(len(headers))]
    if title:
        print(title)

    def line(values):
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)
        ).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))
    print()


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) or value is None


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def ratio(value: float, baseline: float) -> float:
    """value / baseline, NaN when the baseline is zero or missing."""
    try:
        return value / baseline if baseline else float("nan")
    except TypeError:
        return float("nan")


def times(value: float) -> str:
    """A ratio written as '8.3x'."""
    return "-" if _nan(value) else f"{value:.2f}x"


def verdict(value: float, target: float, higher_is_better: bool = True) -> str:
    """'meets target' or 'misses target' for a ratio (printed, never asserted)."""
    if _nan(value):
        return "n/a"
    ok = value >= target if higher_is_better else value <= target
    return "meets target" if ok else "misses target"


def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
