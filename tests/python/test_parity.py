"""Parity: one cache and one run, evaluated from Python and from R (library(photoq)), agree.

R runs in this process through rpy2 3.5.17 (the last release that works with R < 4.5); the R
package is installed from this checkout into a temporary library, and its reticulate attaches to
this very Python. The R side reads the cache and the run folder with base R and gets every
result as plain columns (pyphotoq.interop), never as numpy arrays, so this also checks that
conversion: the numbers must come through exactly.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pyphotoq

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
TOLERANCE = 1e-12


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI must not skip the parity test: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def r(tmp_path_factory):
    """rpy2's R with photoq installed from this checkout; returns rpy2.robjects."""
    if shutil.which("R") is None:
        _unavailable("R is not installed")
    library = tmp_path_factory.mktemp("rlib")
    install = subprocess.run(
        ["R", "CMD", "INSTALL", "--no-test-load", "--no-multiarch", "-l", str(library), str(ROOT)],
        capture_output=True, text=True, check=False,
    )
    assert install.returncode == 0, f"R CMD INSTALL failed:\n{install.stdout}\n{install.stderr}"
    # reticulate inside this process must use this very Python (it would anyway find it
    # running, but the variables make the choice explicit, and photoq honours PHOTOQ_PYTHON)
    os.environ["RETICULATE_PYTHON"] = sys.executable
    os.environ["PHOTOQ_PYTHON"] = sys.executable
    saved = {name: os.environ.get(name) for name in ("LD_LIBRARY_PATH", "PYTHONPATH")}
    try:
        from rpy2 import robjects
    except Exception as err:  # noqa: BLE001 (ImportError, or an rpy2 built for another R)
        _unavailable(f"rpy2 cannot start R: {err}")
    robjects.r(f'.libPaths(c("{library.as_posix()}", .libPaths()))')
    robjects.r("suppressPackageStartupMessages(library(photoq)); invisible(photoq_available())")
    # rpy2 puts R's library folders first in LD_LIBRARY_PATH (and reticulate sets an empty
    # PYTHONPATH): later child processes of this Python would load another libpython (e.g.
    # Debian's, under pyenv's Python). This process has loaded its libraries already.
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
            os.unsetenv(name)  # also when set from C (by R), unknown to os.environ
        else:
            os.environ[name] = value
    yield robjects
    # R is never ended in this process (conftest.py exits without Python's finalisation once
    # R is embedded), so R's temporary folder would be left behind: remove it here.
    temporary = str(robjects.r("tempdir()")[0])
    shutil.rmtree(temporary, ignore_errors=True)


def floats(values) -> list[float]:
    return [float(v) for v in values]


def strings(values) -> list[str]:
    return [str(v) for v in values]


def r_string(path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def assert_close(left, right, tolerance=TOLERANCE):
    assert len(left) == len(right)
    for a, b in zip(left, right):
        if math.isinf(a) or math.isinf(b):
            assert a == b
        else:
            assert abs(a - b) <= tolerance, f"{a} != {b}"


def test_r_uses_this_python(r):
    assert bool(r.r("photoq_available()")[0])
    assert str(r.r("photoq_config()$python")[0]) == sys.executable
    # the numpy that reticulate 1.28 cannot read: the pair under test
    assert int(str(r.r("photoq_config()$numpy")[0]).split(".")[0]) >= 2


def test_same_cache_tables(r, small_cache):
    r.r(f"parity_cache <- open_cache({r_string(small_cache.path)})")
    manifest = small_cache.manifest
    for column in ("hash", "label", "split", "original", "cached", "taken"):
        assert strings(r.r(f"parity_cache$manifest${column}")) == manifest[column].tolist()
    for column in ("width", "height", "source_width", "source_height"):
        assert [int(v) for v in r.r(f"parity_cache$manifest${column}")] == manifest[column].tolist()
    assert int(r.r("nrow(parity_cache$skipped)")[0]) == len(small_cache.skipped)
    assert str(r.r("parity_cache$info$id")[0]) == small_cache.id


def test_same_run_history(r, trained_run):
    r.r(f"parity_run <- open_run({r_string(trained_run.path)})")
    history = trained_run.history
    assert int(r.r("parity_run$batches_done")[0]) == trained_run.batches_done
    assert [int(v) for v in r.r("parity_run$history$batch")] == history["batch"].tolist()
    assert strings(r.r("parity_run$history$metric")) == history["metric"].tolist()
    assert_close(floats(r.r("parity_run$history$value")), history["value"].tolist(), 0)
    assert strings(r.r("parity_run$checkpoints$path")) == trained_run.checkpoints["path"].tolist()
    assert str(r.r("parity_run$state$best")[0]) == trained_run.state["best"]


def test_same_evaluation(r, trained_run):
    python = pyphotoq.evaluate_model(trained_run)
    r.r(f"parity <- evaluate_model({r_string(trained_run.path)})")
    for name in ("auc", "accuracy", "f1", "share_positive", "threshold"):
        assert_close([float(r.r(f"parity${name}")[0])], [getattr(python, name)])
    assert str(r.r("parity$threshold_rule")[0]) == python.threshold_rule
    assert str(r.r("parity$checkpoint")[0]) == python.checkpoint
    assert int(r.r("parity$n_photos")[0]) == python.n_photos
    # predictions: the same photos in the same order, the same scores and decisions
    predictions = python.predictions
    assert strings(r.r("parity$predictions$hash")) == predictions["hash"].tolist()
    assert strings(r.r("parity$predictions$label")) == predictions["label"].tolist()
    assert strings(r.r("parity$predictions$predicted")) == predictions["predicted"].tolist()
    assert [bool(v) for v in r.r("parity$predictions$correct")] == predictions["correct"].tolist()
    assert_close(floats(r.r("parity$predictions$score")), predictions["score"].tolist())
    # the ROC table, infinite first threshold included
    for column in ("fpr", "tpr", "threshold"):
        assert_close(floats(r.r(f"parity$roc${column}")), python.roc[column].tolist())
    assert math.isinf(float(r.r("parity$roc$threshold[1]")[0]))


def test_auc_equals_proc_with_explicit_direction(r, trained_run):
    python = pyphotoq.evaluate_model(trained_run)
    r.r(f"parity <- evaluate_model({r_string(trained_run.path)})")
    via_as_roc = float(r.r("as.numeric(pROC::auc(as_roc(parity)))")[0])
    direct = float(r.r(
        'as.numeric(pROC::auc(pROC::roc(response = parity$predictions$label, '
        'predictor = parity$predictions$score, levels = c("bad", "good"), '
        'direction = "<", quiet = TRUE)))'
    )[0])
    assert_close([via_as_roc, direct], [python.auc, python.auc])


def test_same_checkpoint_table_and_scores(r, trained_run, demo_photos):
    python = pyphotoq.evaluate_checkpoints(trained_run, splits=("validation", "test"))
    r.r(f'parity_checkpoints <- evaluate_checkpoints({r_string(trained_run.path)}, '
        f'splits = c("validation", "test"))')
    assert [int(v) for v in r.r("parity_checkpoints$batch")] == python["batch"].tolist()
    assert strings(r.r("parity_checkpoints$split")) == python["split"].tolist()
    for column in ("auc", "accuracy", "f1"):
        assert_close(floats(r.r(f"parity_checkpoints${column}")), python[column].tolist())

    folder = demo_photos / "good"
    scores = pyphotoq.score_photos(trained_run, folder, progress=False)
    r.r(f"parity_scores <- score_photos({r_string(trained_run.path)}, {r_string(folder)})")
    assert strings(r.r("parity_scores$path")) == scores["path"].tolist()
    assert strings(r.r("parity_scores$decision")) == scores["decision"].tolist()
    assert_close(floats(r.r("parity_scores$score")), scores["score"].tolist())
    assert_close([float(r.r('attr(parity_scores, "threshold")')[0])], [scores.attrs["threshold"]])


def test_python_errors_reach_r_as_clean_errors(r, trained_run):
    for _ in range(2):
        message = str(r.r(
            f'tryCatch(evaluate_model({r_string(trained_run.path)}, split = "holidays"), '
            f'error = function(e) conditionMessage(e))'
        )[0])
        assert message == "Unknown split 'holidays': use one of train, validation, test"


def test_r_garbage_collection_is_safe(r):
    """R collects garbage with the GIL released under rpy2; photoq keeps its Python objects."""
    r.r("rm(list = ls(globalenv(), pattern = '^parity'), envir = globalenv()); invisible(gc())")
    assert bool(r.r("photoq_available()")[0])


def test_same_plot_data_and_pictures(r, trained_run):
    """R's ggplot2 pictures draw the very tables Python's pictures draw: same rows, same captions,
    same places; and what each side actually drew matches those tables."""
    python = pyphotoq.evaluate_model(trained_run, split="train")
    r.r(f'plot_result <- evaluate_model({r_string(trained_run.path)}, split = "train")')
    sheet = pyphotoq.contact_sheet_data(python)["tiles"]
    r.r("plot_sheet <- contact_sheet_data(plot_result)$tiles")
    assert strings(r.r("plot_sheet$hash")) == sheet["hash"].tolist()
    assert strings(r.r("plot_sheet$caption")) == sheet["caption"].tolist()
    assert strings(r.r("plot_sheet$frame")) == sheet["frame"].tolist()
    for column in ("xmin", "xmax", "ymin", "ymax", "y_caption"):
        assert_close(floats(r.r(f"plot_sheet${column}")), sheet[column].tolist())
    # what R drew: the captions and frames of its ggplot; what Python drew: its figure's texts
    r.r("plot_gg <- contact_sheet(plot_result)")
    drawn = strings(r.r('ggplot2::layer_data(plot_gg, which(vapply(plot_gg$layers, function(l) '
                        'inherits(l$geom, "GeomText"), logical(1)))[1])$label'))
    figure = pyphotoq.contact_sheet(python)
    assert drawn == [t.get_text() for t in figure.axes[0].texts if t.get_gid() == "caption"]
    assert drawn == sheet["caption"].tolist()

    roc = pyphotoq.roc_plot_data(python)
    r.r("plot_roc_data <- roc_plot_data(plot_result)")
    for column in ("fpr", "tpr", "threshold"):
        assert_close(floats(r.r(f"plot_roc_data$curve${column}")), roc["curve"][column].tolist())
    assert strings(r.r("plot_roc_data$point$label")) == roc["point"]["label"].tolist()
    assert str(r.r("plot_roc_data$labels$subtitle")[0]) == roc["labels"]["subtitle"]

    history = pyphotoq.history_plot_data(trained_run)["series"]
    r.r(f"plot_history_data <- history_plot_data({r_string(trained_run.path)})$series")
    assert strings(r.r("plot_history_data$series")) == history["series"].tolist()
    assert_close(floats(r.r("plot_history_data$value")), history["value"].tolist(), 0)

    bias = pyphotoq.bias_report(python)
    r.r("plot_bias_table <- bias_report(plot_result)")
    assert strings(r.r("plot_bias_table$variable")) == bias["variable"].tolist()
    assert [bool(v) for v in r.r("plot_bias_table$flagged")] == bias["flagged"].tolist()
    assert_close([v if v == v else 0.0 for v in floats(r.r("plot_bias_table$score_association"))],
                 bias["score_association"].fillna(0.0).tolist(), 1e-9)
