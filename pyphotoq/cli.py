"""The command line: pyphotoq cache | train | evaluate | score | ask | learn | undo | review |
sweep | report | explain | demo (their arguments: pyphotoq.cli_parser).

A thin face over the public functions. User mistakes print a one-line message (no traceback)
and exit with status 2.
"""

from __future__ import annotations

import errno
import os
import shlex
import sys
from pathlib import Path

from .core.errors import PhotoqError
from .core.quiet import import_tensorflow_quietly
from .cli_parser import build_parser

# Hints in the library's messages name Python functions; on the command line, the commands.
_CLI_WORDS = {
    "build_cache": "pyphotoq cache", "train_model": "pyphotoq train",
    "evaluate_model": "pyphotoq evaluate", "score_photos": "pyphotoq score",
    "learn_corrections": "pyphotoq learn",
    "pass wait= seconds to wait for it": "pass --wait SECONDS to wait for it",
    "pass continue_on_new_data=True": "pass --continue-on-new-data",
}


def main(argv=None) -> int:
    # TensorFlow's start-up logging (device probes, CPU features) is noise on a command line;
    # whoever sets TF_CPP_MIN_LOG_LEVEL themselves gets what they asked for.
    quiet = "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # the command line's, for its Dask workers too
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # a mistyped option: the subcommand says so, with the closest one it has
        parser.subcommands[args.name].unknown(extras)
    try:
        _check_paths(args)  # before TensorFlow is imported: a wrong path answers at once
        if quiet:  # pyphotoq.core.quiet: unless the user set TF_CPP_MIN_LOG_LEVEL
            import_tensorflow_quietly(force=True)
        _HANDLERS[args.name](args)
    except PhotoqError as err:
        message = str(err)
        for words, cli in _CLI_WORDS.items():
            message = message.replace(words, cli)
        print(f"pyphotoq {args.name}: {' '.join(message.split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        if err.errno not in _WRITE_ERRORS:
            raise
        where = f" {err.filename}" if err.filename else ""
        print(f"pyphotoq {args.name}: cannot write{where}: {err.strerror or err}",
              file=sys.stderr)
        return 2
    return 0


def _check_paths(args) -> None:
    """The paths a command reads must be there: a run folder with its run.json (except the one
    train makes), a cache folder with its cache.json (train, sweep), the photos. The same
    messages as the functions give later, without their imports. Arguments come first."""
    if getattr(args, "checkpoint", None) is not None:
        _checkpoint(args.checkpoint)
    from .data.cache_format import cache_folder
    from .models.runs import run_folder

    run = getattr(args, "run", None)
    if run is not None and args.name != "train":
        run_folder(run)
    cache = getattr(args, "cache", None)
    if cache is not None and args.name in ("train", "sweep"):
        cache_folder(Path(cache).expanduser().resolve())
    photos = getattr(args, "photos", None)
    if args.name != "demo" and photos is not None:
        for path in photos if isinstance(photos, list) else [photos]:
            if not os.path.exists(os.path.expanduser(path)):
                where = os.path.abspath(os.path.expanduser(path))
                if args.name == "explain":
                    raise PhotoqError(f"No photo or folder at {where}")  # as explain_photos says it
                what = "folder or file" if args.name == "score" else "folder"
                raise PhotoqError(f"Photo {what} not found: {where}")


#: Errors of the machine, not of photoq, that a command reports in one line: a read-only or full
#: disk, a quota, a permission.
_WRITE_ERRORS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM}


def _cache(args):
    from .data.cache_build import build_cache
    from .photos.sources import Labelling
    from .photos.splits import Splitting

    # the flat flags of the command line are the settings objects' fields
    labels = Labelling(source=args.labels or "folders", positive=args.positive, negative=args.negative,
                       good=args.good, bad=args.bad)
    built = build_cache(args.photos, args.cache, width=args.width, labels=labels, split=Splitting(method=args.split),
                        wait=args.wait, progress=args.progress, detail=args.detail, client=args.scheduler)
    if args.progress is False:  # build_cache is silent then; a command always says what it did
        print(built.summary)


def _sweep(args):
    from .cluster import sweep_runs

    train_args = {} if args.batches is None else {"batches": args.batches}
    from .core.outputs import check_output, write_output

    out = Path(args.out) if args.out else Path(args.runs) / "sweep.csv"
    if args.out:
        check_output(out, "table")  # before the work
    table = sweep_runs(args.cache, args.runs, recipes=args.recipes, seeds=args.seeds, client=args.scheduler,
                  progress=args.progress, **train_args)
    write_output(out, table.to_csv(index=False, lineterminator="\n"), "table")
    shown = table.drop(columns=["run"]).round({"validation_auc": 3, "test_auc": 3, "seconds": 1})
    print(shown.to_string(index=False))
    print(f"table in {out}")


def _train(args):
    from .models.recipes import Recipe
    from .workflow.training import train_model

    # the flat flags of the command line are the Recipe's fields
    recipe = Recipe(name=args.recipe, learning_rate=args.learning_rate, booster=args.booster)
    run = train_model(args.cache, args.run, recipe=recipe, batches=args.batches, batch_size=args.batch_size,
                      validate_every=args.validate_every, seed=args.seed, progress=args.progress,
                      continue_on_new_data=args.continue_on_new_data)
    print(_run_summary(run))


def _run_summary(run) -> str:
    best = run.state.get("best_auc")
    best_text = f"; best validation AUC {best:.3f} at batch {run.state['best_batch']}" if best is not None else ""
    recipe = run.settings.get("recipe", "original")
    return f"{run.batches_done} batches done in {run.path} (recipe {recipe}){best_text}{run.booster_text()}"


def _evaluate(args):
    from .workflow.evaluation import evaluate_checkpoints, evaluate_model
    from .core.outputs import check_output_folder, own_folder, write_output
    from .models.runs import open_run

    checkpoint = _checkpoint(args.checkpoint)
    run = open_run(args.run)
    out = check_output_folder(args.out) if args.out else own_folder(run.path, "report")
    result = evaluate_model(run, split=args.split, threshold=args.threshold,
                            keep_recall=args.keep_recall, checkpoint=checkpoint)
    _write_report(result, out)
    print(result.summary())
    if args.all_checkpoints:
        table = evaluate_checkpoints(args.run)
        write_output(out / "checkpoints.csv", table.to_csv(index=False, lineterminator="\n"), "table")
        print(table.pivot(index="batch", columns="split", values="auc").round(3).to_string())
    print(f"pictures and predictions.csv in {out}")


def _write_report(result, out: Path) -> None:
    from .core.outputs import check_output
    from .reporting.plots import contact_sheet, plot_history, plot_roc

    from .core.outputs import write_output

    for name in ("predictions.csv", "roc.png", "history.png", "contact_sheet.png"):  # all checked first
        check_output(out / name, "table" if name.endswith(".csv") else "picture")
    write_output(out / "predictions.csv", result.predictions.to_csv(index=False, lineterminator="\n"), "table")
    plot_roc(result, out / "roc.png")
    plot_history(result.run_path, out / "history.png")
    contact_sheet(result, out / "contact_sheet.png")


def _printable(path) -> str:
    from .core.files import printable

    return printable(path)


def _checkpoint(value: str):
    if value.isdigit():
        return int(value)
    if value not in ("best", "latest"):
        raise PhotoqError(f"--checkpoint must be best, latest or a batch number, got {value!r}")
    return value


def _score(args):
    from .workflow.scoring import check_outputs, copy_keepers, score_photos, write_scores

    photos = args.photos[0] if len(args.photos) == 1 else args.photos
    check_outputs(photos, out=args.out, keepers=args.keepers)  # before anything is written
    from .workflow.culling import Culling

    culling = Culling(threshold=args.threshold, keep_recall=args.keep_recall, keep_precision=args.keep_precision,
                      reject_recall=args.reject_recall, best=args.best, best_share=args.best_share,
                      burst_seconds=args.burst_seconds, weaker_in_burst=args.weaker_in_burst)
    table = score_photos(args.run, photos, culling, checkpoint=_checkpoint(args.checkpoint), progress=args.progress,
                         client=args.scheduler, xmp=args.xmp and not args.dry_run, dry_run=args.dry_run,
                         replace_ratings=args.replace_ratings)
    write_scores(table, args.out)
    counts = table["decision"].value_counts()
    lines = table.attrs
    where = (f"at threshold {lines['threshold']:.3f}" if lines["threshold"] == lines["reject_threshold"]
             else f"keep line {lines['threshold']:.3f}, reject line {lines['reject_threshold']:.3f}")
    print(f"{len(table)} photos scored ({where}): {counts.get('keep', 0)} keep, {counts.get('review', 0)} review, "
          f"{counts.get('reject', 0)} reject, {counts.get('skipped', 0)} skipped; table in {args.out}")
    named = {column: table[column].fillna("") for column in ("burst", "sequence", "duplicate_of")}
    groups = [f"{named['burst'][named['burst'] != ''].nunique()} bursts",
              f"{named['sequence'][named['sequence'] != ''].nunique()} protected sequences",
              f"{(named['duplicate_of'] != '').sum()} exact duplicates"]
    print("  " + ", ".join(groups))
    if lines.get("drift"):
        print(f"  note: {lines['drift']}")
    if "sidecars" in lines:
        _print_sidecars(lines["sidecars"], args.dry_run, lines["photos"])
    for row in table[table["decision"] == "skipped"].itertuples():
        print(f"  skipped {_printable(row.path)}: {row.reason}")
    if args.keepers:
        placed = copy_keepers(table, args.keepers, link=args.link)
        print(f"{placed} keepers {'linked' if args.link else 'copied'} into {args.keepers}")


def _print_sidecars(plan, dry_run: bool, photos: str) -> None:
    actions = plan["action"]
    failed = plan["action"].isin(["create", "merge"]) & ~plan["written"] if not dry_run else actions != actions
    counts = actions[~failed].value_counts()
    verb = "would be" if dry_run else "were"
    print(f"XMP sidecars: {counts.get('create', 0)} {verb} created, {counts.get('merge', 0)} merged, "
          f"{counts.get('unchanged', 0)} unchanged, {counts.get('refused', 0) + int(failed.sum())} refused"
          + ("" if dry_run else f"; undo with: pyphotoq undo {shlex.quote(photos)}"))
    kept = plan.attrs.get("kept", 0)
    if kept:
        print(f"  {kept} photo{'s' if kept > 1 else ''} kept your rating or pick (photoq's decision is in its own "
              "namespace only; --replace-ratings replaces them)")
    for name in plan.attrs.get("cleaned", []):
        print(f"  removed {_printable(name)}, left by a write that was stopped")
    for row in plan[failed].itertuples():
        print(f"  refused {row.reason}")
    if dry_run:
        changing = plan[plan["action"].isin(["create", "merge"])]
        for row in changing.head(_LISTED).itertuples():
            print(f"  {row.action:6} {_printable(row.sidecar)}: rating {_mark(row.rating_before)} -> "
                  f"{_mark(row.rating_after)}, pick {row.pick_before or 'none'} -> {row.pick_after or 'none'}"
                  + (f" ({row.reason.rpartition(': ')[2]})" if row.reason else ""))
        if len(changing) > _LISTED:
            print(f"  and {len(changing) - _LISTED} more")
    for row in plan[plan["action"] == "refused"].itertuples():
        print(f"  refused {row.reason}")


#: How many rows a dry run lists before "and N more".
_LISTED = 40


def _mark(value) -> str:
    import pandas as pd

    return "none" if value is None or pd.isna(value) else str(int(value))


def _ask(args):
    from .workflow.scoring import ask_photos
    from .workflow.scoring import write_scores

    if args.out:
        from .core.outputs import check_output

        check_output(args.out, "table")  # before the work
    table = ask_photos(args.run, args.photos, n=args.n, progress=args.progress)
    if args.out:
        write_scores(table, args.out)
    print(f"{len(table)} photos to label, the most uncertain first (sort the shoot into good/ and bad/, "
          f"then: pyphotoq learn {shlex.quote(args.run)} {shlex.quote(args.photos)}):")
    for row in table.itertuples():
        print(f"  {_printable(row.path)}: {row.score:.3f}, {row.why}")


def _learn(args):
    from .workflow.learning import learn_corrections

    learn_corrections(args.run, args.photos, batches=args.batches, progress=args.progress)


def _undo(args):
    from .photos.xmp import undo_sidecars

    table = undo_sidecars(args.photos)
    counts = table["action"].value_counts()
    print(f"{counts.get('restored', 0)} sidecars restored, {counts.get('removed', 0)} removed, "
          f"{counts.get('unchanged', 0)} unchanged, {counts.get('refused', 0)} left as they are")
    for name in table.attrs.get("cleaned", []):
        print(f"  removed {_printable(name)}, left by a write that was stopped")
    for row in table[table["action"] == "refused"].itertuples():
        print(f"  {row.reason}")


def _review(args):
    from .reporting.review_server import review

    photos = args.photos[0] if len(args.photos) == 1 else args.photos
    review(args.run, photos, table=args.table, xmp=args.xmp, learn=args.learn, browser=args.browser,
           port=args.port, checkpoint=_checkpoint(args.checkpoint), progress=args.progress)


def _report(args):
    from .reporting.html_report import report

    path = report(args.run, file=args.out, split=args.split, threshold=args.threshold,
                  keep_recall=args.keep_recall, checkpoint=_checkpoint(args.checkpoint),
                  progress=args.progress)
    print(f"report in {path}")


def _explain(args):
    from .workflow.explain import explain_photos

    from .core.outputs import check_output, write_output

    if args.table:
        check_output(args.table, "table")  # before the work
    photos = args.photos[0] if len(args.photos) == 1 else args.photos
    table = explain_photos(args.run, photos, out=args.out, target=args.target,
                           threshold=args.threshold, checkpoint=_checkpoint(args.checkpoint),
                           progress=args.progress)
    if args.table:
        write_output(args.table, table.to_csv(index=False, lineterminator="\n"), "table")
    for row in table.itertuples():
        where = f"peak at {row.peak_x:.0%} across, {row.peak_y:.0%} down" if row.overlay else row.decision
        print(f"{row.path}: {row.score:.3f} {row.decision}, {row.explained} side; {where}"
              + (f"; {row.reason}" if row.reason else ""))
    print(f"{len(table)} overlays in {Path(table['overlay'].iloc[0]).parent if table['overlay'].any() else args.out}")


def _demo(args):
    from .data.cache_build import build_cache
    from .demo import make_demo_photos
    from .workflow.evaluation import evaluate_model
    from .workflow.scoring import score_photos
    from .workflow.training import train_model

    folder = Path(args.folder)
    print(f"1/5 making {args.photos} demo photos in {folder / 'photos'}")
    photos = make_demo_photos(folder / "photos", n_photos=args.photos, seed=args.seed,
                              progress=args.progress)
    print(f"2/5 caching them at {args.width} px wide in {folder / 'cache'}")
    cache = build_cache(photos, folder / "cache", width=args.width, progress=args.progress)
    print(f"3/5 training into {folder / 'run'} (the default recipe)")
    run = train_model(cache, folder / "run", batches=args.batches, seed=args.seed,
                      progress=args.progress)
    print(_run_summary(run))
    print(f"4/5 evaluating on the test split; pictures in {folder / 'report'}")
    result = evaluate_model(run, split="test")
    (folder / "report").mkdir(exist_ok=True)
    _write_report(result, folder / "report")
    print(result.summary())
    from .reporting.html_report import report

    print(f"HTML report in {report(run, folder / 'report' / 'report.html', progress=args.progress)}")
    print(f"5/5 scoring a new trip in {folder / 'new_trip'}")
    new_trip = make_demo_photos(folder / "new_trip", n_photos=40, seed=args.seed + 1)
    table = score_photos(run, new_trip, progress=args.progress)
    table.to_csv(folder / "report" / "new_trip_scores.csv", index=False)
    print(f"{(table['decision'] == 'keep').sum()} of {len(table)} new photos to keep; "
          f"scores in {folder / 'report' / 'new_trip_scores.csv'}")


#: What each subcommand runs.
_HANDLERS = {"cache": _cache, "train": _train, "evaluate": _evaluate, "score": _score, "ask": _ask, "learn": _learn, "undo": _undo, "review": _review, "sweep": _sweep, "report": _report, "explain": _explain, "demo": _demo}
