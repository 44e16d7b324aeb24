"""One self-contained HTML report per evaluation: metrics, pictures, photos, bias, settings.

Every image is inline (PNG as a data: URI), there is no script and no external resource, so the
one file opens offline in any browser and can be mailed or archived as it is.
"""

from __future__ import annotations

import base64
import html
import io
import json
import tempfile
from pathlib import Path

import pandas as pd
from jinja2 import Environment

from ..core.outputs import check_output, own_folder, write_output
from ..core.parameters import EVALUATION, check
from ..models.runs import Run, open_run

GALLERY = 6  # photos in each gallery row

TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="pyphotoq">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>photoq report: {{ run_name }}, {{ r.split }} split</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 1.2em 1.5em 3em; }
h1 { font-size: 1.6em; margin: 0.2em 0 0.1em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.lead { font-size: 1.1em; color: #444; margin: 0.3em 0 1em; }
.metrics { display: flex; flex-wrap: wrap; gap: 0.8em; margin: 1em 0; }
.metric { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 0.6em 1em; min-width: 8em; }
.metric b { display: block; font-size: 1.6em; } .metric span { color: #666; font-size: 0.9em; }
figure { margin: 0.8em 0; } figure img { max-width: 100%; height: auto; background: #fff; border: 1px solid #e4e4e4; }
figcaption { color: #555; font-size: 0.9em; }
.pair { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; } .pair figure { flex: 1 1 420px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(175px, 1fr)); gap: 0.8em; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.4em; font-size: 0.85em; }
.card.wrong { border: 3px solid #d62728; }
.card .imgs { display: flex; gap: 3px; } .card img { width: 50%; height: auto; } .card img:only-child { width: 100%; }
.card .score { font-weight: 600; } .card .reason { color: #555; }
table { border-collapse: collapse; background: #fff; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; } th { background: #f0f0f0; }
tr.flagged td { background: #fdecea; color: #a31515; font-weight: 600; }
.note { color: #666; font-size: 0.9em; max-width: 60em; }
</style>
</head>
<body><main>
<h1>{{ run_name }}: {{ r.split }} split</h1>
<p class="lead">{{ headline }}</p>
{% if confounds %}<p class="note" id="confounds"><strong>Note:</strong> {{ confounds }}</p>{% endif %}
<div class="metrics">
  <div class="metric"><b>{{ "%.3f"|format(r.auc) if r.auc == r.auc else "n/a" }}</b><span>AUC</span></div>
  <div class="metric"><b>{{ "%.1f%%"|format(100 * r.accuracy) }}</b><span>accuracy</span></div>
  <div class="metric"><b>{{ "%.3f"|format(r.f1) }}</b><span>F1</span></div>
  <div class="metric"><b>{{ "%.1f%%"|format(100 * r.share_positive) }}</b><span>called {{ r.positive }}</span></div>
  <div class="metric"><b>{{ "%.3f"|format(r.threshold) }}</b><span>threshold: {{ r.threshold_rule }}</span></div>
  <div class="metric"><b>{{ n_wrong }} / {{ r.n_photos }}</b><span>misclassified</span></div>
</div>
<p class="note">The threshold was {{ threshold_text }}. Checkpoint {{ r.checkpoint }}; photos from the cache folder “{{ cache_name }}”.</p>

<h2>The photos it got most wrong</h2>
<p class="note">{{ maps_note }}</p>
{{ gallery(wrong) }}

<h2>The photos it is most sure about</h2>
<p class="note">The highest and lowest scores; a misclassified one among them is marked so.</p>
{{ gallery(confident) }}

<h2>How well it separates {{ r.positive }} from {{ r.negative }}</h2>
<div class="pair">
<figure><img src="{{ images.roc }}" alt="ROC curve of the {{ r.split }} split"><figcaption>ROC curve; the dot is the chosen threshold.</figcaption></figure>
<figure><img src="{{ images.history }}" alt="training history"><figcaption>Training history; the dotted line marks the best checkpoint.</figcaption></figure>
</div>

<h2>Contact sheet</h2>
<figure><img src="{{ images.sheet }}" alt="contact sheet"><figcaption>The highest and lowest scores and every misclassified photo, best first; the line is the threshold.</figcaption></figure>

<h2>Bias report</h2>
<p class="note">How strongly the score follows each variable, against how strongly the photographer's labels follow it. Flagged (red): among photos of one label the score still follows the variable, and more than the labels do, so the model leans on something the labels do not. With {{ r.n_photos }} photos these numbers are rough.</p>
<div class="pair">
<figure><img src="{{ images.bias }}" alt="bias plot"></figure>
<div>{{ bias_table }}</div>
</div>

<h2>Settings of the run</h2>
{{ settings_table }}
</main></body>
</html>
"""

HEAT = '<img src="{heat}" alt="activation map of {name}">'
MAPS_NOTE = ("Each photo beside its activation map: the bright parts pushed the network's score towards the side it "
             "was called. The facts under each photo are measured on the photo; they describe it and are not the "
             "model's reasons.")
NO_MAPS_NOTE = ("Validation gave the network no weight in this run's scores (the booster alone scores), so no "
                "activation maps are drawn: the words under each photo say what moved its score.")
CARD = """<div class="card{wrong}"><div class="imgs"><img src="{photo}" alt="{name}">{heat}</div>
<div class="score">#{rank} {score:.3f} · {label} · {decision} (called {predicted}){verdict}</div><div>{name}</div><div class="reason">{reason}</div></div>"""


def report(run, file=None, split: str = "test", threshold: float | None = None,
           keep_recall: float | None = None, checkpoint="best", cache=None,
           progress: bool | None = None) -> Path:
    """Evaluate `run` on `split` and write one self-contained HTML report; returns its path.

    The file defaults to RUN/report/report-<split>-<checkpoint>.html. Threshold, keep_recall,
    checkpoint and cache are evaluate_model's.
    """
    from .bias import bias_report
    from ..workflow.scorer import Scorer
    from ..workflow.evaluation import evaluate_model
    from ..workflow.explain import explain_photos
    from .plotdata import sheet_rows
    from .plots import contact_sheet, plot_bias, plot_history, plot_roc

    for name, value in (("threshold", threshold), ("keep_recall", keep_recall)):
        check(name, value, EVALUATION)  # before opening the run, as evaluate_model checks them
    run = run if isinstance(run, Run) else open_run(run)
    if file is not None:
        check_output(file, "page", "report")  # before the work
    result = evaluate_model(run, split=split, threshold=threshold, keep_recall=keep_recall,
                            checkpoint=checkpoint, cache=cache, progress=progress)
    path = Path(file).expanduser() if file is not None else (
        own_folder(run.path, "report") / f"report-{result.split}-{result.checkpoint}.html")
    predictions = result.predictions
    ranked = sheet_rows(predictions, len(predictions), 0)
    wrong = ranked[~ranked["correct"]]
    wrong = wrong.reindex(wrong["margin"].abs().sort_values(ascending=False).index).head(2 * GALLERY)
    confident = pd.concat([ranked.head(GALLERY // 2), ranked.tail(GALLERY // 2)]).drop_duplicates("hash")
    shown = pd.concat([wrong, confident]).drop_duplicates("hash")
    bias = bias_report(result)
    with_maps = Scorer(run, checkpoint, note=False).uses_network  # a network without weight is not run for maps
    overlays = {}
    if with_maps:
        with tempfile.TemporaryDirectory() as folder:
            maps = explain_photos(run, list(shown["cached"]), out=folder, threshold=threshold,
                                  checkpoint=checkpoint, progress=progress)
            overlays = {c: _file_uri(o) for c, o in zip(shown["cached"], maps["overlay"]) if o}
    images = {
        "roc": _figure_uri(plot_roc(result)),
        "history": _figure_uri(plot_history(run)),
        "sheet": _figure_uri(contact_sheet(result)),
        "bias": _figure_uri(plot_bias(bias)),
    }
    photos = {c: _file_uri(c) for c in shown["cached"]}

    def gallery(rows) -> str:
        if rows.empty:
            return '<p class="note">None.</p>'
        cards = [CARD.format(
            wrong=" wrong" if not p.correct else "", photo=photos[p.cached],
            verdict=" · <b class=\"misclassified\">misclassified</b>" if not p.correct else "",
            heat=HEAT.format(heat=overlays[p.cached], name=html.escape(Path(p.original).name))
            if p.cached in overlays else "", name=html.escape(Path(p.original).name),
            rank=p.rank, score=p.score, label=html.escape(str(p.label)),
            predicted=html.escape(str(p.predicted)), decision=html.escape(str(p.decision)),
            reason=html.escape(str(p.reason)))
            for p in rows.itertuples()]
        return '<div class="gallery">' + "\n".join(cards) + "</div>"

    n_wrong = int((~predictions["correct"]).sum())
    environment = Environment(autoescape=True)
    environment.globals["gallery"] = lambda rows: _markup(gallery(rows))
    page = environment.from_string(TEMPLATE).render(
        r=result, run_name=run.path.name, cache_name=Path(result.cache_path).name,
        headline=_headline(result, n_wrong), n_wrong=n_wrong,
        threshold_text=_threshold_text(result), confounds=run.info.get("confounds", ""),
        maps_note=MAPS_NOTE if with_maps else NO_MAPS_NOTE,
        wrong=wrong, confident=confident, images=images,
        bias_table=_markup(_bias_table(bias)), settings_table=_markup(_settings_table(run, result)),
    )
    return write_output(path, page, "page", "report")


def _headline(result, n_wrong: int) -> str:
    kept = round(result.share_positive * result.n_photos)
    auc = "n/a" if result.auc != result.auc else f"{result.auc:.2f}"
    return (f"Of {result.n_photos} {result.split} photos it would keep {kept} and reject "
            f"{result.n_photos - kept}; it agrees with your folders on "
            f"{result.n_photos - n_wrong} ({result.accuracy:.0%}), AUC {auc}.")


def _threshold_text(result) -> str:
    if result.threshold_rule == "given":
        return f"given: {result.threshold:.3f}"
    return (f"chosen on the validation split ({result.threshold_rule}) and then applied unchanged "
            f"to the {result.split} split")


def _bias_table(bias: pd.DataFrame) -> str:
    def cell(value) -> str:
        if isinstance(value, float):
            return "" if value != value else f"{value:+.2f}"
        return html.escape(str(value))

    head = ["variable", "photos", "score", "labels", "score within a label", "flagged", "note"]
    rows = []
    for row in bias.itertuples():
        rows.append(f'<tr class="{"flagged" if row.flagged else ""}"><td>{cell(row.variable)}</td>'
                    f"<td>{row.n}</td><td>{cell(row.score_association)}</td>"
                    f"<td>{cell(row.label_association)}</td><td>{cell(row.within_class)}</td>"
                    f"<td>{'yes' if row.flagged else ''}</td><td>{cell(row.note)}</td></tr>")
    return ("<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
            + "".join(rows) + "</table>")


def _settings_table(run: Run, result) -> str:
    items = {"run": run.path.name, "batches done": run.batches_done, "checkpoint": result.checkpoint,
             **{f"setting: {k}": v for k, v in run.settings.items()},
             "cache width": run.info.get("cache", {}).get("width"),
             **{f"version: {k}": v for k, v in run.info.get("versions", {}).items()}}
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(v if isinstance(v, str) else json.dumps(v))}</td></tr>"
        for k, v in items.items())
    return f"<table>{rows}</table>"


def _markup(text: str):
    from markupsafe import Markup

    return Markup(text)


def _figure_uri(figure) -> str:
    from .plots import DPI

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _file_uri(path) -> str:
    data = Path(path).read_bytes()
    kind = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")
