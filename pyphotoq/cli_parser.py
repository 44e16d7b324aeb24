"""The command line's parser: every subcommand, its arguments and their checks (pyphotoq.cli runs
them). The options of the settings Python and R share are built from their declarations
(pyphotoq.core.parameters: type, range, default, help), so the three faces cannot drift apart.
Parsing imports neither TensorFlow nor the recipes."""

from __future__ import annotations

import argparse
import math

from .core.parameters import EVALUATION, SETTINGS, Setting
from .photos.ratings import DEFAULT_BAD as DEFAULT_BAD_RULE
from .photos.ratings import DEFAULT_GOOD as DEFAULT_GOOD_RULE


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


def _parse_text(setting: Setting):
    """The text parser of a declared setting: its kind and range (a choice is argparse's `choices`)."""
    if setting.kind == "whole":
        return _whole(int(setting.low), None if setting.high is None else int(setting.high))
    if setting.kind == "number":
        return _number(setting.low, setting.high, low_open=setting.low_open)
    return None


def _setting(parser, name: str, settings: dict = SETTINGS, default=..., help=None, **more):
    """Add the declared setting `name` as --name: its type and range, choices, default and help
    ("what it is, in its range (default ...)") from pyphotoq.core.parameters; `default` and `help`
    replace the declared ones where a command's own default differs (the demo's width)."""
    setting = settings[name]
    if default is ...:
        default = setting.default
    if help is None:
        said = setting.default_text() if default is setting.default else str(default)
        help = f"{setting.help}, {setting.span()} (default{':' if default is None else ''} {said})"
    if setting.kind == "choice":
        more["choices"] = list(setting.choices)
    else:
        more["type"] = _parse_text(setting)
    parser.add_argument(setting.option, default=default, help=help, **more)


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser; each subcommand's name is in `args.name` (pyphotoq.cli runs it)."""
    parser = _Parser(
        prog="pyphotoq",
        description="Learn a photographer's taste from good/bad folders and score new photos.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    parser.subcommands = {}
    commands.owner = parser

    cache = _command(commands, "cache", "resize photos into a cache (incremental)")
    cache.add_argument("photos", help="folder with good/ and bad/ subfolders, or a CSV of path,label; with "
                                      "--labels, the folder of your rated photos")
    cache.add_argument("cache", help="cache folder (created if needed)")
    _setting(cache, "width")
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
    _setting(cache, "wait")
    cache.add_argument("--no-detail", dest="detail", action="store_false",
                       help="keep the overview only, without the native-resolution patches the default recipe "
                            "looks at (they take about as much room again)")
    _scheduler_flag(cache)
    _progress_flag(cache)

    train = _command(commands, "train", "train (or resume) a run from a cache")
    train.add_argument("cache", help="cache folder")
    train.add_argument("run", help="run folder (resumed if it exists)")
    train.add_argument("--recipe", default=None, choices=_recipe_names(),
                       help=f"network, optimiser and schedule (default {_default_recipe()}; "
                            "'original' reproduces the original workflow exactly)")
    for name in ("batches", "batch_size", "validate_every", "learning_rate"):
        _setting(train, name)
    train.add_argument("--no-booster", dest="booster", action="store_const", const=False, default=None,
                       help="train the network alone, without the gradient-boosted trees over image statistics "
                            "compared with each photo's scene that the default recipes blend with it")
    _setting(train, "seed")
    train.add_argument("--continue-on-new-data", action="store_true",
                       help="resume even though the cache's validation split changed")
    _progress_flag(train)

    evaluate = _command(commands, "evaluate", "evaluate a run and draw its pictures")
    evaluate.add_argument("run", help="run folder")
    evaluate.add_argument("--split", default="test", choices=["train", "validation", "test"])
    _threshold_flags(evaluate, EVALUATION)
    evaluate.add_argument("--out", help="folder for roc.png, history.png, contact_sheet.png, "
                          "predictions.csv (default: RUN/report)")
    evaluate.add_argument("--all-checkpoints", action="store_true",
                          help="also score every checkpoint on every split (checkpoints.csv)")

    score = _command(commands, "score", "score a folder of new photos")
    score.add_argument("run", help="run folder")
    score.add_argument("photos", nargs="+", help="folder of photos to score (any depth), or photo files")
    _threshold_flags(score)
    score.add_argument("--out", default="scores.csv", help="CSV to write (default scores.csv)")
    score.add_argument("--keepers", help="copy the photos to keep into this folder")
    score.add_argument("--link", action="store_true", help="with --keepers: link instead of copy")
    # the culling settings (pyphotoq.Culling checks the same declarations)
    for name in ("keep_precision", "reject_recall", "best", "best_share", "burst_seconds", "weaker_in_burst"):
        _setting(score, name)
    score.add_argument("--xmp", action="store_true",
                       help="write each decision into XMP sidecars beside the photos (rating, reject, pick label) "
                            "for Lightroom, darktable and digiKam; existing sidecars are merged; undo with "
                            "pyphotoq undo PHOTOS")
    score.add_argument("--dry-run", action="store_true", help="with --xmp: show what would change, write nothing")
    score.add_argument("--replace-ratings", action="store_true",
                       help="with --xmp: also replace star ratings and pick labels you gave (by default they are "
                            "kept and photoq's decision goes into its own namespace only)")
    _scheduler_flag(score)
    _progress_flag(score)

    ask = _command(commands, "ask", "propose the photos whose label would teach the model most")
    ask.add_argument("run", help="run folder")
    ask.add_argument("photos", help="folder of photos (any depth)")
    _setting(ask, "n")
    ask.add_argument("--out", help="also write the list as CSV")
    _progress_flag(ask)

    learn = _command(commands, "learn", "learn from the photos you sorted after culling")
    learn.add_argument("run", help="run folder (trained on; its cache gets the photos)")
    learn.add_argument("photos", help="the culled shoot with photos sorted into good/ and bad/, a CSV of "
                                      "path,label, the scores CSV with its decision column edited, or the "
                                      "shoot re-rated in your program after score --xmp (changed sidecars "
                                      "are the corrections)")
    _setting(learn, "batches", help="batches to train from the best checkpoint (default: two validation "
                                    "intervals)")
    _progress_flag(learn)

    undo = _command(commands, "undo", "restore the XMP sidecars of the last score --xmp")
    undo.add_argument("photos", help="the folder that was scored (or its .photoq-undo journal)")

    review = _command(commands, "review",
                      "review a shoot in the browser: keys, bursts side by side, decisions saved at once")
    review.add_argument("run", help="run folder")
    review.add_argument("photos", nargs="+", help="the shoot: a folder of photos (any depth), or photo files")
    review.add_argument("--table", help="the scores CSV the decisions go to (default: RUN/review/FOLDER-ID.csv; "
                                        "an existing one is read back, so a review resumes)")
    review.add_argument("--xmp", action="store_true",
                        help="also write each decision into the photos' XMP sidecars (undo with pyphotoq undo PHOTOS)")
    review.add_argument("--learn", action="store_true", help="learn from the decisions when the review ends")
    review.add_argument("--no-browser", dest="browser", action="store_false", help="only print the page's URL")
    _setting(review, "port")
    review.add_argument("--checkpoint", default="best", help="checkpoint to score with (default best)")
    _progress_flag(review)

    sweep = _command(commands, "sweep", "train and compare runs of several recipes and seeds")
    sweep.add_argument("cache", help="cache folder")
    sweep.add_argument("runs", help="folder for the runs (one subfolder RECIPE-seedSEED each)")
    sweep.add_argument("--recipes", nargs="+", default=[_default_recipe()], choices=_recipe_names(),
                       help=f"recipes to train (default {_default_recipe()})")
    sweep.add_argument("--seeds", nargs="+", type=_parse_text(SETTINGS["seed"]), default=[1],
                       help="seeds (default 1)")
    _setting(sweep, "batches", help="batches per run (default: each recipe's)")
    sweep.add_argument("--out", help="CSV of the comparison (default: RUNS/sweep.csv)")
    _scheduler_flag(sweep)
    _progress_flag(sweep)

    report = _command(commands, "report", "evaluate a run and write one HTML report")
    report.add_argument("run", help="run folder")
    report.add_argument("--split", default="test", choices=["train", "validation", "test"])
    _threshold_flags(report, EVALUATION)
    report.add_argument("--out", help="HTML file (default: RUN/report/report-SPLIT-CHECKPOINT.html)")
    _progress_flag(report)

    explain = _command(commands, "explain", "draw activation maps of photos")
    explain.add_argument("run", help="run folder")
    explain.add_argument("photos", nargs="+", help="photos, or a folder of photos (any depth)")
    explain.add_argument("--out", help="folder for the overlays (default: RUN/explain)")
    explain.add_argument("--target", default="decision", choices=["decision", "good", "bad"],
                         help="side to show: the decision's (default), good or bad")
    _threshold_flags(explain, keep_recall=False)
    explain.add_argument("--table", help="also write the table as this CSV")
    _progress_flag(explain)

    demo = _command(commands, "demo", "the whole workflow on generated demo photos")
    demo.add_argument("folder", nargs="?", default="demo", help="output folder (default ./demo)")
    demo.add_argument("--photos", type=_whole(20), default=400, help="demo photos to make (default 400)")
    _setting(demo, "width", default=128)
    _setting(demo, "batches", help="training batches (default: the default recipe's)")
    _setting(demo, "seed")
    _progress_flag(demo)
    return parser


def _recipe_names():
    from .models.recipes import recipe_names

    return recipe_names()


def _default_recipe():
    from .models.recipes import DEFAULT

    return DEFAULT


def _command(commands, name, help_text):
    sub = commands.add_parser(name, help=help_text, description=help_text.capitalize() + ".")
    sub.set_defaults(name=name)
    commands.owner.subcommands[name] = sub
    return sub


def _scheduler_flag(parser):
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster: a scheduler address (tcp://host:8786) or local:N for N "
                             "worker processes here (needs pip install \"pyphotoq[dask]\")")


def _progress_flag(parser):
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                        help="no progress bar")


def _threshold_flags(parser, settings: dict = SETTINGS, keep_recall: bool = True):
    """--threshold, --keep-recall and --checkpoint, in the words of `settings` (culling's, or evaluation's
    where they also set the metrics' threshold). explain takes --keep-recall without using it (explain_photos
    has no keep_recall): kept so that existing command lines still parse, hidden from the help."""
    _setting(parser, "threshold", settings)
    _setting(parser, "keep_recall", settings, help=None if keep_recall else argparse.SUPPRESS)
    parser.add_argument("--checkpoint", default="best", help="best, latest or a batch number (default best)")
