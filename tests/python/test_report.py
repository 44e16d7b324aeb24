"""The HTML report, opened in a real headless Chromium; the report and explain commands."""

import io
import json
import re
import shutil

import numpy as np
import pytest
from PIL import Image

import pyphotoq
from browser import chromium, need_chromium, open_page
from pyphotoq.models.booster import load_booster
from pyphotoq.cli import main



@pytest.fixture(scope="module")
def report_file(trained_run, tmp_path_factory):
    return pyphotoq.report(trained_run, tmp_path_factory.mktemp("report") / "report.html", progress=False)


def test_report_is_one_self_contained_file(report_file, trained_run):
    page = report_file.read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(sources) >= 8 and all(s.startswith("data:image/") for s in sources)
    assert not re.search(r'(src|href)="(?!data:)', page)  # nothing fetched from anywhere
    assert "<script" not in page
    result = pyphotoq.evaluate_model(trained_run)
    assert f"{result.threshold:.3f}" in page and result.threshold_rule in page
    assert "Bias report" in page and "Settings of the run" in page
    if load_booster(trained_run).network_weight > 0:
        assert "not the model&#39;s reasons" in page or "not the model's reasons" in page
    else:
        assert "Validation gave the network no weight" in page
    # each photo shown carries the one verdict evaluate_model (and score_photos) gives it
    cards = re.findall(r'<div class="score">#\d+ ([0-9.]+) · (\w+) · (keep|review|reject) \(called (\w+)\)', page)
    assert cards
    verdicts = {f"{s:.3f}": d for s, d in zip(result.predictions["score"], result.predictions["decision"])}
    assert all(verdicts[score] == decision for score, _, decision, _ in cards)


def test_a_report_whose_network_has_weight_shows_its_activation_maps(trained_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run.path, run)
    info = json.loads((run / "booster" / "booster.json").read_text())
    (run / "booster" / "booster.json").write_text(json.dumps({**info, "network_weight": 0.5}))
    page = pyphotoq.report(run, tmp_path / "report.html", progress=False).read_text(encoding="utf-8")
    assert "not the model&#39;s reasons" in page or "not the model's reasons" in page
    assert len(re.findall(r'alt="activation map of ', page)) >= 1


def test_report_opens_in_headless_chromium(report_file, tmp_path):
    need_chromium()
    page = open_page(report_file)
    assert page.errors == []
    assert page.broken_images == [] and page.images >= 8
    assert page.title.startswith("photoq report")
    assert "AUC" in page.text and "The photos it got most wrong" in page.text
    shot = Image.open(io.BytesIO(page.screenshot)).convert("L")
    assert shot.size == (1280, 900)
    pixels = np.asarray(shot)
    assert pixels.std() > 20  # text, cards and photos, not a blank page
    assert (pixels < 100).mean() > 0.01


def test_browser_test_sees_broken_images_and_console_errors(tmp_path):
    """The browser check itself can fail: a broken image and a console error are reported."""
    if chromium() is None:
        pytest.skip("chromium is not installed")
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="missing.png" alt="gone">'
                   '<script>console.error("boom")</script></body></html>')
    page = open_page(bad)
    assert page.broken_images == ["gone"]
    assert any("boom" in e for e in page.errors)


def test_report_command(trained_run, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(trained_run.path), "--out", str(out), "--no-progress"]) == 0
    assert out.stat().st_size > 10_000 and f"report in {out}" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "no-run")]) == 2
    assert "run.json not found" in capsys.readouterr().err


def test_explain_command(trained_run, demo_photos, tmp_path, capsys):
    photo = sorted((demo_photos / "bad").glob("*.jpg"))[0]
    assert main(["explain", str(trained_run.path), str(photo), "--out", str(tmp_path / "maps"),
                 "--table", str(tmp_path / "maps.csv"), "--no-progress"]) == 0
    assert len(list((tmp_path / "maps").glob("*.png"))) == 1
    assert str(photo) in capsys.readouterr().out
    assert main(["explain", str(trained_run.path), str(tmp_path / "nothing.jpg")]) == 2
    assert "No photo or folder" in capsys.readouterr().err
