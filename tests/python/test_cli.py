"""Every CLI command, in-process through main() and once as a real console command."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from pyphotoq.cli import main


def test_cache_train_evaluate_score(demo_photos, tmp_path, capsys):
    cache, run = tmp_path / "cache", tmp_path / "run"
    assert main(["cache", str(demo_photos), str(cache), "--width", "96", "--no-progress"]) == 0
    assert "80 photos in the cache" in capsys.readouterr().out
    assert main(["train", str(cache), str(run), "--batches", "20", "--validate-every", "10",
                 "--no-progress"]) == 0
    assert "20 batches done" in capsys.readouterr().out
    assert json.loads((run / "state.json").read_text())["batches_done"] == 20

    assert main(["evaluate", str(run), "--split", "validation", "--all-checkpoints"]) == 0
    out = capsys.readouterr().out
    assert "validation split" in out and "AUC" in out
    report = run / "report"
    for name in ("roc.png", "history.png", "contact_sheet.png", "predictions.csv", "checkpoints.csv"):
        assert (report / name).stat().st_size > 0, name

    scores, keepers = tmp_path / "scores.csv", tmp_path / "keepers"
    assert main(["score", str(run), str(demo_photos / "good"), "--out", str(scores),
                 "--keepers", str(keepers), "--threshold", "0", "--weaker-in-burst", "keep", "--no-progress"]) == 0
    table = pd.read_csv(scores)
    assert len(table) == len(list((demo_photos / "good").glob("*.jpg")))
    assert len(list(keepers.iterdir())) == (table["decision"] == "keep").sum() == len(table)
    assert "keepers copied" in capsys.readouterr().out


def test_user_mistakes_exit_2_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pyphotoq", "cache", str(tmp_path / "missing"), str(tmp_path / "c")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "Photo folder not found" in result.stderr and str(tmp_path / "missing") in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["cache", "train", "evaluate", "score", "demo"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: pyphotoq {command}" in capsys.readouterr().out


def test_console_script_is_installed():
    result = subprocess.run(["pyphotoq", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert all(c in result.stdout for c in ("cache", "train", "evaluate", "score", "demo"))


@pytest.mark.slow
def test_demo_command_runs_end_to_end(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "demo"), "--photos", "60", "--batches", "40",
                 "--width", "96", "--no-progress"]) == 0
    for name in ("roc.png", "history.png", "contact_sheet.png", "new_trip_scores.csv"):
        assert (tmp_path / "demo" / "report" / name).stat().st_size > 0
    assert "5/5" in capsys.readouterr().out


def test_a_missing_run_or_photo_answers_before_tensorflow_is_imported(tmp_path):
    """A wrong path is one line at once: no TensorFlow import (seconds) before the answer."""
    probe = ("import sys; from pyphotoq.cli import main; "
             f"codes = [main(['score', {str(tmp_path / 'notrained')!r}, {str(tmp_path)!r}]), "
             f"main(['train', {str(tmp_path / 'nocache')!r}, {str(tmp_path / 'run')!r}]), "
             f"main(['explain', {str(tmp_path / 'notrained')!r}, {str(tmp_path / 'IMG_1.jpg')!r}])]; "
             "print(codes, 'tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[2, 2, 2] False", result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and "run.json not found" in lines[0] and "cache.json not found" in lines[1]


def test_a_misspelt_option_suggests_the_closest_and_the_subcommands_help(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pyphotoq", "score", str(tmp_path), str(tmp_path),
                             "--keep-precison", "0.8"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "did you mean --keep-precision?" in result.stderr and "(see pyphotoq score --help)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_tensorflow_start_up_lines_are_silenced_from_python_unless_asked_for():
    # tf.data's generator op (what training streams through) logs "Memory patch applied" on first use
    probe = ("import pyphotoq; pyphotoq.train_model; import tensorflow as tf; print(int(tf.constant(1) + 1)); "
             "list(tf.data.Dataset.from_generator(lambda: iter([1]), output_signature=tf.TensorSpec((), tf.int32)))")
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert quiet.stdout.strip() == "2" and quiet.stderr == ""
    asked = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"})
    assert asked.stdout.strip() == "2" and "Memory patch applied" in asked.stderr  # whoever sets the level gets them
