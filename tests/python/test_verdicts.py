"""One photo, one verdict: evaluate_model, score_photos, explain_photos and the HTML report give
each test photo of a trained run the same keep / review / reject, by the one decision policy
(pyphotoq.workflow.scorer.Scorer.decide: the run's lines, then the burst and sequence rules)."""

import html
import re
from pathlib import Path

import pytest

import pyphotoq
from pyphotoq.reporting import html_report

#: A card of the report: its score line (rank, score, label, decision, called) and the photo's name.
CARD = re.compile(r'<div class="score">#\d+ [0-9.]+ · .*? · (keep|review|reject) \(called .*?</div><div>(.*?)</div>')


@pytest.fixture(scope="module")
def test_photos(trained_run):
    """The originals of the run's test photos, and the lowest score of a shot in a burst."""
    predictions = pyphotoq.evaluate_model(trained_run, progress=False).predictions
    originals = sorted(predictions["original"])
    # everything kept by score (a cut at 0), so that each burst's weaker shots go to review
    everything = pyphotoq.score_photos(trained_run, originals, {"threshold": 0.0}, progress=False)
    in_bursts = everything[everything["burst"] != ""]
    assert len(in_bursts) >= 2, "the demo trip's test split should hold a burst (shots a second apart)"
    assert (in_bursts["decision"] == "review").sum() >= 1
    return originals, float(in_bursts["score"].min())


def _report_verdicts(run, folder, threshold, monkeypatch) -> dict[str, str]:
    """{photo name: the decision on its card} of the report, every test photo shown on a card."""
    monkeypatch.setattr(html_report, "GALLERY", 1000)  # the galleries show every photo
    page = pyphotoq.report(run, folder / "report.html", threshold=threshold, progress=False)
    verdicts: dict[str, set] = {}
    for decision, name in CARD.findall(page.read_text(encoding="utf-8")):
        verdicts.setdefault(html.unescape(name), set()).add(decision)
    # a photo on two cards (misclassified and among the best) has one verdict on both
    assert all(len(decisions) == 1 for decisions in verdicts.values()), verdicts
    return {name: decisions.pop() for name, decisions in verdicts.items()}


@pytest.mark.parametrize("cut", ["the lines", "a threshold"])
def test_one_photo_gets_one_verdict_everywhere(cut, trained_run, test_photos, tmp_path, monkeypatch):
    originals, lowest_in_burst = test_photos
    # the default keep and reject lines, or one cut below which no shot of a burst falls, so that
    # the cut keeps, rejects and sends a burst's weaker shots to review
    threshold = None if cut == "the lines" else lowest_in_burst
    culling = pyphotoq.Culling(threshold=threshold)

    evaluated = pyphotoq.evaluate_model(trained_run, threshold=threshold, progress=False).predictions
    scored = pyphotoq.score_photos(trained_run, originals, culling, progress=False)
    # in another order: a verdict does not hang on the order of the photos (a tie in a burst included)
    explained = pyphotoq.explain_photos(trained_run, originals[::-1], out=tmp_path / "maps", threshold=threshold,
                                        progress=False)
    # the cached files, as the report explains them (best first): their originals are in the cache
    explained_cached = pyphotoq.explain_photos(trained_run, list(evaluated["cached"]), out=tmp_path / "cached",
                                               threshold=threshold, progress=False)
    reported = _report_verdicts(trained_run, tmp_path, threshold, monkeypatch)

    by_original = dict(zip(evaluated["original"], evaluated["decision"]))
    by_cached = dict(zip(evaluated["cached"], evaluated["original"]))
    verdicts = {
        "evaluate_model": by_original,
        "score_photos": dict(zip(scored["path"], scored["decision"])),
        "explain_photos": dict(zip(explained["path"], explained["decision"])),
        "explain_photos (cached files)": {by_cached[p]: d for p, d in zip(explained_cached["path"],
                                                                         explained_cached["decision"])},
        "report": {p: reported[Path(p).name] for p in originals},
    }
    assert len({Path(p).name for p in originals}) == len(originals)  # the report names each photo once
    for where, decisions in verdicts.items():
        assert sorted(decisions) == originals, where
        differ = {p: (d, by_original[p]) for p, d in decisions.items() if d != by_original[p]}
        assert not differ, f"{where} disagrees with evaluate_model (theirs, evaluate_model's): {differ}"

    # the same scores (the same photos scored together), so the verdicts come from the one policy
    score = dict(zip(evaluated["original"], evaluated["score"]))
    for path, value in [*zip(scored["path"], scored["score"]), *zip(explained["path"], explained["score"])]:
        assert value == pytest.approx(score[path], abs=1e-5)
    # what the verdicts hold: with the cut, keeps, a burst's weaker shots in review, rejects below it
    decided = set(by_original.values())
    assert decided <= {"keep", "review", "reject"}
    if cut == "a threshold":
        below = (evaluated["score"] < threshold).any()
        assert decided == {"keep", "review"} | ({"reject"} if below else set())
        weaker = scored["rule"].str.contains("weaker duplicate")
        assert weaker.any() and (scored.loc[weaker, "decision"] == "review").all()
