"""Progress where no bar can be drawn: whole lines on stderr, every so often and at the end."""

import subprocess
import sys

import pyphotoq
from pyphotoq.core import progress


def test_off_a_terminal_progress_is_whole_lines_with_rate_time_left_and_figures(monkeypatch, capsys):
    monkeypatch.setattr(progress, "LINE_SECONDS", 0)
    with progress.tqdm(total=4, desc="Training", unit="batch") as bar:
        for _ in range(4):
            bar.set_postfix(val_auc=0.912, refresh=False)
            bar.update(1)
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("Training: 4/4 batch (100%)") and "val_auc=0.912" in lines[-1]
    assert len(lines) >= 4 and "left" in lines[1]
    with progress.tqdm(total=3, desc="Quiet", disable=True) as bar:
        bar.update(3)
    assert capsys.readouterr().err == ""


def test_a_build_piped_to_a_log_reports_progress(demo_photos, tmp_path):
    """Run as a scheduler or Rscript runs it: stderr is a file, not a terminal."""
    log = tmp_path / "log.txt"
    with open(log, "w") as stream:
        subprocess.run([sys.executable, "-m", "pyphotoq", "cache", str(demo_photos), str(tmp_path / "cache"),
                        "--width", "96", "--no-detail"], stdout=stream, stderr=stream, check=True)
    text = log.read_text()
    assert "Caching photos: 80/80 photo (100%)" in text and "\r" not in text
    assert pyphotoq.open_cache(tmp_path / "cache").manifest.shape[0] == 80
