"""The command line: pyphotoq cache | train | evaluate | score | ask | learn | undo | sweep |
report | explain | demo.

A thin face over the public functions. User mistakes print a one-line message (no traceback)
and exit with status 2.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import shlex
import sys
from pathlib import Path

from .errors import PhotoqError
from .quiet import import_tensorflow_quietly
from .ratings import DEFAULT_BAD as DEFAULT_BAD_RULE
from .ratings import DEFAULT_GOOD as DEFAULT_GOOD_RULE

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
    parser = _parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # a mistyped option: the subcommand says so, with the closest one it has
        parser.subcommands[args.name].unknown(extras)
    try:
        _check_paths(args)  # before TensorFlow is imported: a wrong path answers at once
        if quiet:  # pyphotoq.quiet: unless the user set TF_CPP_MIN_LOG_LEVEL
            import_tensorflow_quietly(force=True)
        args.command(args)
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
    from .cache import cache_folder
    from .runs import run_folder

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


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake reported on one line (no usage block) and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")

    def unknown(self, extras: list[str]) -> None:
        """One line for arguments this (sub)command does not take, with the closest option's name."""
        import difflib

        options = [name for action in self._actions for name in action.option_strings if name.startswith("--")]
        first = extras[0]
        close = difflib.get_close_matches(first.split("=")[0], options, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        self.error(f"unrecognized argument{'s' if len(extras) > 1 else ''}: {' '.join(extras)}{hint}")


def _whole(minimum, maximum=None):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {text}")
        return value
    return parse


#: The recipes' limits (recipes.LIMITS), without importing the recipes (and TensorFlow) to parse.
_BATCH_SIZE_MAX, _SEED_MAX = 256, 2**32 - 1


def _number(low=None, high=None, low_open=False):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if low is not None and (value <= low if low_open else value < low):
            raise argparse.ArgumentTypeError(f"must be {'above' if low_open else 'at least'} {low}, got {text}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}, got {text}")
        return value
    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pyphotoq",
        description="Learn a photographer's taste from good/bad folders and score new photos.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    parser.subcommands = {}
    commands.owner = parser

    cache = _command(commands, "cache", _cache, "resize photos into a cache (incremental)")
    cache.add_argument("photos", help="folder with good/ and bad/ subfolders, or a CSV of path,label; with "
                                      "--labels, the folder of your rated photos")
    cache.add_argument("cache", help="cache folder (created if needed)")
    cache.add_argument("--width", type=_whole(64), default=480, help="cached width in pixels (default 480)")
    cache.add_argument("--positive", default="good", help="folder/label of keepers (default good)")
    cache.add_argument("--negative", default="bad", help="folder/label of rejects (default bad)")
    cache.add_argument("--split", choices=["scene", "burst", "hash"], default="scene",
                       help="split rule: keep scenes together (shots within 30 s, or alike; the "
                            "default), keep bursts together, or by content hash")
    cache.add_argument("--labels", default=None, metavar="SOURCE",
                       help="label the photos by the ratings you gave them: 'xmp' (XMP sidecars, else the XMP "
                            "in the photo), or a darktable library.db, digiKam digikam4.db or Lightroom .lrcat "
                            "(read only, never written)")
    cache.add_argument("--good", default=DEFAULT_GOOD_RULE,
                       help=f"with --labels: what counts as good (default {DEFAULT_GOOD_RULE!r}; conditions "
                            "rating>=N, rating<=N, rating=N, accepted, rejected, pending, comma-separated)")
    cache.add_argument("--bad", default=DEFAULT_BAD_RULE,
                       help=f"with --labels: what counts as bad (default {DEFAULT_BAD_RULE!r}; one star is not "
                            "bad by default: darktable gives every imported photo one star)")
    cache.add_argument("--wait", type=_number(0), default=0, help="seconds to wait for another build")
    cache.add_argument("--no-detail", dest="detail", action="store_false",
                       help="keep the overview only, without the native-resolution patches the default recipe "
                            "looks at (they take about as much room again)")
    _scheduler_flag(cache)
    _progress_flag(cache)

    train = _command(commands, "train", _train, "train (or resume) a run from a cache")
    train.add_argument("cache", help="cache folder")
    train.add_argument("run", help="run folder (resumed if it exists)")
    train.add_argument("--recipe", default=None, choices=_recipe_names(),
                       help=f"network, optimiser and schedule (default {_default_recipe()}; "
                            "'original' reproduces the original workflow exactly)")
    train.add_argument("--batches", type=_whole(1), default=None,
                       help="batches in the whole run (default: the recipe's)")
    train.add_argument("--batch-size", type=_whole(1, _BATCH_SIZE_MAX), default=None,
                       help=f"photos per batch, at most {_BATCH_SIZE_MAX} (default: the recipe's)")
    train.add_argument("--validate-every", type=_whole(1), default=None,
                       help="batches between validation and checkpoint (default: the recipe's)")
    train.add_argument("--learning-rate", type=_number(0, low_open=True), default=None,
                       help="peak learning rate (default: the recipe's)")
    train.add_argument("--no-booster", dest="booster", action="store_const", const=False, default=None,
                       help="train the network alone, without the gradient-boosted trees over image statistics "
                            "compared with each photo's scene that the default recipes blend with it")
    train.add_argument("--seed", type=_whole(0, _SEED_MAX), default=0)
    train.add_argument("--continue-on-new-data", action="store_true",
                       help="resume even though the cache's validation split changed")
    _progress_flag(train)

    evaluate = _command(commands, "evaluate", _evaluate, "evaluate a run and draw its pictures")
    evaluate.add_argument("run", help="run folder")
    evaluate.add_argument("--split", default="test", choices=["train", "validation", "test"])
    _threshold_flags(evaluate)
    evaluate.add_argument("--out", help="folder for roc.png, history.png, contact_sheet.png, "
                          "predictions.csv (default: RUN/report)")
    evaluate.add_argument("--all-checkpoints", action="store_true",
                          help="also score every checkpoint on every split (checkpoints.csv)")

    score = _command(commands, "score", _score, "score a folder of new photos")
    score.add_argument("run", help="run folder")
    score.add_argument("photos", nargs="+", help="folder of photos to score (any depth), or photo files")
    _threshold_flags(score)
    score.add_argument("--out", default="scores.csv", help="CSV to write (default scores.csv)")
    score.add_argument("--keepers", help="copy the photos to keep into this folder")
    score.add_argument("--link", action="store_true", help="with --keepers: link instead of copy")
    score.add_argument("--keep-precision", type=_number(0, 1, low_open=True), default=0.9,
                       help="keep line: validation photos at or above it are this share good (default 0.9)")
    score.add_argument("--reject-recall", type=_number(0, 1, low_open=True), default=0.95,
                       help="reject line: keeps this share of the good validation photos above it (default 0.95)")
    score.add_argument("--best", type=_whole(0), help="keep the N best photos instead of the keep line")
    score.add_argument("--best-share", type=_number(0, 1), help="keep this share of the best photos instead")
    score.add_argument("--burst-seconds", type=_number(0), default=2.0,
                       help="shots this close that look alike form a burst (default 2)")
    score.add_argument("--weaker-in-burst", choices=["review", "reject", "keep"], default="review",
                       help="what happens to a burst's weaker shots that would be kept (default review)")
    score.add_argument("--xmp", action="store_true",
                       help="write each decision into XMP sidecars beside the photos (rating, reject, pick label) "
                            "for Lightroom, darktable and digiKam; existing sidecars are merged; undo with "
                            "pyphotoq undo PHOTOS")
    score.add_argument("--dry-run", action="store_true", help="with --xmp: show what would change, write nothing")
    score.add_argument("--replace-ratings", action="store_true",
                       help="with --xmp: also replace star ratings and pick labels you gave (by default they are "
                            "kept and photoq's decision goes into its own namespace only)")
    _scheduler_flag(score)

    ask = _command(commands, "ask", _ask, "propose the photos whose label would teach the model most")
    ask.add_argument("run", help="run folder")
    ask.add_argument("photos", help="folder of photos (any depth)")
    ask.add_argument("--n", type=_whole(1), default=20, help="how many photos (default 20)")
    ask.add_argument("--out", help="also write the list as CSV")
    _progress_flag(ask)

    learn = _command(commands, "learn", _learn, "learn from the photos you sorted after culling")
    learn.add_argument("run", help="run folder (trained on; its cache gets the photos)")
    learn.add_argument("photos", help="the culled shoot with photos sorted into good/ and bad/, a CSV of "
                                      "path,label, the scores CSV with its decision column edited, or the "
                                      "shoot re-rated in your program after score --xmp (changed sidecars "
                                      "are the corrections)")
    learn.add_argument("--batches", type=_whole(1), default=None,
                       help="batches to train from the best checkpoint (default: two validation intervals)")
    _progress_flag(learn)

    undo = _command(commands, "undo", _undo, "restore the XMP sidecars of the last score --xmp")
    undo.add_argument("photos", help="the folder that was scored (or its .photoq-undo journal)")
    _progress_flag(score)

    review = _command(commands, "review", _review,
                      "review a shoot in the browser: keys, bursts side by side, decisions saved at once")
    review.add_argument("run", help="run folder")
    review.add_argument("photos", nargs="+", help="the shoot: a folder of photos (any depth), or photo files")
    review.add_argument("--table", help="the scores CSV the decisions go to (default: RUN/review/FOLDER-ID.csv; "
                                        "an existing one is read back, so a review resumes)")
    review.add_argument("--xmp", action="store_true",
                        help="also write each decision into the photos' XMP sidecars (undo with pyphotoq undo PHOTOS)")
    review.add_argument("--learn", action="store_true", help="learn from the decisions when the review ends")
    review.add_argument("--no-browser", dest="browser", action="store_false", help="only print the page's URL")
    review.add_argument("--port", type=_whole(0, 65535), default=0, help="port on 127.0.0.1 (default: a free one)")
    review.add_argument("--checkpoint", default="best", help="checkpoint to score with (default best)")
    _progress_flag(review)

    sweep = _command(commands, "sweep", _sweep, "train and compare runs of several recipes and seeds")
    sweep.add_argument("cache", help="cache folder")
    sweep.add_argument("runs", help="folder for the runs (one subfolder RECIPE-seedSEED each)")
    sweep.add_argument("--recipes", nargs="+", default=[_default_recipe()], choices=_recipe_names(),
                       help=f"recipes to train (default {_default_recipe()})")
    sweep.add_argument("--seeds", nargs="+", type=_whole(0, _SEED_MAX), default=[1], help="seeds (default 1)")
    sweep.add_argument("--batches", type=_whole(1), default=None, help="batches per run (default: each recipe's)")
    sweep.add_argument("--out", help="CSV of the comparison (default: RUNS/sweep.csv)")
    _scheduler_flag(sweep)
    _progress_flag(sweep)

    report = _command(commands, "report", _report, "evaluate a run and write one HTML report")
    report.add_argument("run", help="run folder")
    report.add_argument("--split", default="test", choices=["train", "validation", "test"])
    _threshold_flags(report)
    report.add_argument("--out", help="HTML file (default: RUN/report/report-SPLIT-CHECKPOINT.html)")
    _progress_flag(report)

    explain = _command(commands, "explain", _explain, "draw activation maps of photos")
    explain.add_argument("run", help="run folder")
    explain.add_argument("photos", nargs="+", help="photos, or a folder of photos (any depth)")
    explain.add_argument("--out", help="folder for the overlays (default: RUN/explain)")
    explain.add_argument("--target", default="decision", choices=["decision", "good", "bad"],
                         help="side to show: the decision's (default), good or bad")
    _threshold_flags(explain)
    explain.add_argument("--table", help="also write the table as this CSV")
    _progress_flag(explain)

    demo = _command(commands, "demo", _demo, "the whole workflow on generated demo photos")
    demo.add_argument("folder", nargs="?", default="demo", help="output folder (default ./demo)")
    demo.add_argument("--photos", type=_whole(20), default=400, help="demo photos to make (default 400)")
    demo.add_argument("--width", type=_whole(64), default=128, help="cached width (default 128)")
    demo.add_argument("--batches", type=_whole(1), default=None,
                      help="training batches (default: the default recipe's)")
    demo.add_argument("--seed", type=_whole(0, _SEED_MAX), default=0)
    _progress_flag(demo)
    return parser


def _recipe_names():
    from .recipes import recipe_names

    return recipe_names()


def _default_recipe():
    from .recipes import DEFAULT

    return DEFAULT


def _command(commands, name, function, help_text):
    sub = commands.add_parser(name, help=help_text, description=help_text.capitalize() + ".")
    sub.set_defaults(command=function, name=name)
    commands.owner.subcommands[name] = sub
    return sub


def _scheduler_flag(parser):
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster: a scheduler address (tcp://host:8786) or local:N for N "
                             "worker processes here (needs pip install \"pyphotoq[dask]\")")


def _progress_flag(parser):
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                        help="no progress bar")


def _threshold_flags(parser):
    parser.add_argument("--threshold", type=_number(0, 1),
                        help="score threshold from 0 to 1 (default: max F1 on validation)")
    parser.add_argument("--keep-recall", type=_number(0, 1, low_open=True),
                        help="instead, the threshold keeping this share of good photos on validation, e.g. 0.95")
    parser.add_argument("--checkpoint", default="best", help="best, latest or a batch number (default best)")


def _cache(args):
    from .cache import build_cache

    build_cache(args.photos, args.cache, width=args.width, positive=args.positive,
                negative=args.negative, split_method=args.split, wait=args.wait,
                progress=args.progress, detail=args.detail, client=args.scheduler,
                labels=args.labels, good=args.good, bad=args.bad)


def _sweep(args):
    from .cluster import sweep_runs

    train_args = {} if args.batches is None else {"batches": args.batches}
    from .outputs import check_output, write_output

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
    from .training import train_model

    run = train_model(args.cache, args.run, recipe=args.recipe, batches=args.batches, batch_size=args.batch_size,
                      validate_every=args.validate_every, learning_rate=args.learning_rate,
                      booster=args.booster, seed=args.seed, progress=args.progress,
                      continue_on_new_data=args.continue_on_new_data)
    print(_run_summary(run))


def _run_summary(run) -> str:
    best = run.state.get("best_auc")
    best_text = f"; best validation AUC {best:.3f} at batch {run.state['best_batch']}" if best is not None else ""
    recipe = run.settings.get("recipe", "original")
    return f"{run.batches_done} batches done in {run.path} (recipe {recipe}){best_text}{run.booster_text()}"


def _evaluate(args):
    from .evaluation import evaluate_checkpoints, evaluate_model
    from .outputs import check_output_folder, own_folder, write_output
    from .runs import open_run

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
    from .outputs import check_output
    from .plots import contact_sheet, plot_history, plot_roc

    from .outputs import write_output

    for name in ("predictions.csv", "roc.png", "history.png", "contact_sheet.png"):  # all checked first
        check_output(out / name, "table" if name.endswith(".csv") else "picture")
    write_output(out / "predictions.csv", result.predictions.to_csv(index=False, lineterminator="\n"), "table")
    plot_roc(result, out / "roc.png")
    plot_history(result.run_path, out / "history.png")
    contact_sheet(result, out / "contact_sheet.png")


def _printable(path) -> str:
    from .files import printable

    return printable(path)


def _checkpoint(value: str):
    if value.isdigit():
        return int(value)
    if value not in ("best", "latest"):
        raise PhotoqError(f"--checkpoint must be best, latest or a batch number, got {value!r}")
    return value


def _score(args):
    from .scoring import check_outputs, copy_keepers, score_photos, write_scores

    photos = args.photos[0] if len(args.photos) == 1 else args.photos
    check_outputs(photos, out=args.out, keepers=args.keepers)  # before anything is written
    table = score_photos(args.run, photos, threshold=args.threshold, keep_recall=args.keep_recall,
                         checkpoint=_checkpoint(args.checkpoint), progress=args.progress,
                         client=args.scheduler, keep_precision=args.keep_precision,
                         reject_recall=args.reject_recall, best=args.best, best_share=args.best_share,
                         burst_seconds=args.burst_seconds, weaker_in_burst=args.weaker_in_burst,
                         xmp=args.xmp and not args.dry_run, dry_run=args.dry_run,
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
    from .culling import ask_photos
    from .scoring import write_scores

    if args.out:
        from .outputs import check_output

        check_output(args.out, "table")  # before the work
    table = ask_photos(args.run, args.photos, n=args.n, progress=args.progress)
    if args.out:
        write_scores(table, args.out)
    print(f"{len(table)} photos to label, the most uncertain first (sort the shoot into good/ and bad/, "
          f"then: pyphotoq learn {shlex.quote(args.run)} {shlex.quote(args.photos)}):")
    for row in table.itertuples():
        print(f"  {_printable(row.path)}: {row.score:.3f}, {row.why}")


def _learn(args):
    from .learning import learn_corrections

    learn_corrections(args.run, args.photos, batches=args.batches, progress=args.progress)


def _undo(args):
    from .xmp import undo_sidecars

    table = undo_sidecars(args.photos)
    counts = table["action"].value_counts()
    print(f"{counts.get('restored', 0)} sidecars restored, {counts.get('removed', 0)} removed, "
          f"{counts.get('unchanged', 0)} unchanged, {counts.get('refused', 0)} left as they are")
    for name in table.attrs.get("cleaned", []):
        print(f"  removed {_printable(name)}, left by a write that was stopped")
    for row in table[table["action"] == "refused"].itertuples():
        print(f"  {row.reason}")


def _review(args):
    from .review_server import review

    photos = args.photos[0] if len(args.photos) == 1 else args.photos
    review(args.run, photos, table=args.table, xmp=args.xmp, learn=args.learn, browser=args.browser,
           port=args.port, checkpoint=_checkpoint(args.checkpoint), progress=args.progress)


def _report(args):
    from .html_report import report

    path = report(args.run, file=args.out, split=args.split, threshold=args.threshold,
                  keep_recall=args.keep_recall, checkpoint=_checkpoint(args.checkpoint),
                  progress=args.progress)
    print(f"report in {path}")


def _explain(args):
    from .explain import explain_photos

    from .outputs import check_output, write_output

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
    from .cache import build_cache
    from .demo import make_demo_photos
    from .evaluation import evaluate_model
    from .scoring import score_photos
    from .training import train_model

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
    from .html_report import report

    print(f"HTML report in {report(run, folder / 'report' / 'report.html', progress=args.progress)}")
    print(f"5/5 scoring a new trip in {folder / 'new_trip'}")
    new_trip = make_demo_photos(folder / "new_trip", n_photos=40, seed=args.seed + 1)
    table = score_photos(run, new_trip, progress=args.progress)
    table.to_csv(folder / "report" / "new_trip_scores.csv", index=False)
    print(f"{(table['decision'] == 'keep').sum()} of {len(table)} new photos to keep; "
          f"scores in {folder / 'report' / 'new_trip_scores.csv'}")
