"""The command line: pyphotoq cache | train | evaluate | score | demo.

A thin face over the public functions. User mistakes print a one-line message (no traceback)
and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import PhotoqError


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        args.command(args)
    except PhotoqError as err:
        print(f"pyphotoq {args.name}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyphotoq",
        description="Learn a photographer's taste from good/bad folders and score new photos.",
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    cache = _command(commands, "cache", _cache, "resize photos into a cache (incremental)")
    cache.add_argument("photos", help="folder with good/ and bad/ subfolders, or a CSV of path,label")
    cache.add_argument("cache", help="cache folder (created if needed)")
    cache.add_argument("--width", type=int, default=480, help="cached width in pixels (default 480)")
    cache.add_argument("--positive", default="good", help="folder/label of keepers (default good)")
    cache.add_argument("--negative", default="bad", help="folder/label of rejects (default bad)")
    cache.add_argument("--split", choices=["hash", "burst"], default="hash",
                       help="split rule: by content hash, or keep bursts together (default hash)")
    cache.add_argument("--wait", type=float, default=0, help="seconds to wait for another build")
    _progress_flag(cache)

    train = _command(commands, "train", _train, "train (or resume) a run from a cache")
    train.add_argument("cache", help="cache folder")
    train.add_argument("run", help="run folder (resumed if it exists)")
    train.add_argument("--batches", type=int, default=5000, help="batches in the whole run (default 5000)")
    train.add_argument("--batch-size", type=int, default=4, help="photos per batch (default 4)")
    train.add_argument("--validate-every", type=int, default=100,
                       help="batches between validation and checkpoint (default 100)")
    train.add_argument("--learning-rate", type=float, default=1e-4, help="RMSprop rate (default 1e-4)")
    train.add_argument("--seed", type=int, default=0)
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
    score.add_argument("photos", help="folder of photos to score (any depth)")
    _threshold_flags(score)
    score.add_argument("--out", default="scores.csv", help="CSV to write (default scores.csv)")
    score.add_argument("--keepers", help="copy the photos to keep into this folder")
    score.add_argument("--link", action="store_true", help="with --keepers: link instead of copy")
    _progress_flag(score)

    demo = _command(commands, "demo", _demo, "the whole workflow on generated demo photos")
    demo.add_argument("folder", nargs="?", default="demo", help="output folder (default ./demo)")
    demo.add_argument("--photos", type=int, default=400, help="demo photos to make (default 400)")
    demo.add_argument("--width", type=int, default=128, help="cached width (default 128)")
    demo.add_argument("--batches", type=int, default=1500, help="training batches (default 1500)")
    demo.add_argument("--seed", type=int, default=0)
    _progress_flag(demo)
    return parser


def _command(commands, name, function, help_text):
    sub = commands.add_parser(name, help=help_text, description=help_text.capitalize() + ".")
    sub.set_defaults(command=function, name=name)
    return sub


def _progress_flag(parser):
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                        help="no progress bar")


def _threshold_flags(parser):
    parser.add_argument("--threshold", type=float, help="score threshold (default: max F1 on validation)")
    parser.add_argument("--keep-recall", type=float,
                        help="instead, the threshold keeping this share of good photos on validation, e.g. 0.95")
    parser.add_argument("--checkpoint", default="best", help="best, latest or a batch number (default best)")


def _cache(args):
    from .cache import build_cache

    build_cache(args.photos, args.cache, width=args.width, positive=args.positive,
                negative=args.negative, split_method=args.split, wait=args.wait,
                progress=args.progress)


def _train(args):
    from .training import train_model

    run = train_model(args.cache, args.run, batches=args.batches, batch_size=args.batch_size,
                      validate_every=args.validate_every, learning_rate=args.learning_rate,
                      seed=args.seed, progress=args.progress)
    print(_run_summary(run))


def _run_summary(run) -> str:
    best = run.state.get("best_auc")
    best_text = f"; best validation AUC {best:.3f} at batch {run.state['best_batch']}" if best is not None else ""
    return f"{run.batches_done} batches done in {run.path}{best_text}"


def _evaluate(args):
    from .evaluation import evaluate_checkpoints, evaluate_model

    result = evaluate_model(args.run, split=args.split, threshold=args.threshold,
                            keep_recall=args.keep_recall, checkpoint=_checkpoint(args.checkpoint))
    out = Path(args.out) if args.out else Path(args.run) / "report"
    _write_report(result, out)
    print(result.summary())
    if args.all_checkpoints:
        table = evaluate_checkpoints(args.run)
        table.to_csv(out / "checkpoints.csv", index=False)
        print(table.pivot(index="batch", columns="split", values="auc").round(3).to_string())
    print(f"pictures and predictions.csv in {out}")


def _write_report(result, out: Path) -> None:
    from .plots import contact_sheet, plot_history, plot_roc

    out.mkdir(parents=True, exist_ok=True)
    result.predictions.to_csv(out / "predictions.csv", index=False)
    plot_roc(result, out / "roc.png")
    plot_history(result.run_path, out / "history.png")
    contact_sheet(result, out / "contact_sheet.png")


def _checkpoint(value: str):
    return int(value) if value.isdigit() else value


def _score(args):
    from .scoring import copy_keepers, score_photos

    table = score_photos(args.run, args.photos, threshold=args.threshold, keep_recall=args.keep_recall,
                         checkpoint=_checkpoint(args.checkpoint), progress=args.progress)
    table.to_csv(args.out, index=False)
    counts = table["decision"].value_counts()
    print(f"{len(table)} photos scored at threshold {table.attrs['threshold']:.3f}: "
          f"{counts.get('keep', 0)} keep, {counts.get('reject', 0)} reject, "
          f"{counts.get('skipped', 0)} skipped; table in {args.out}")
    for row in table[table["decision"] == "skipped"].itertuples():
        print(f"  skipped {row.path}: {row.reason}")
    if args.keepers:
        placed = copy_keepers(table, args.keepers, link=args.link)
        print(f"{placed} keepers {'linked' if args.link else 'copied'} into {args.keepers}")


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
    print(f"3/5 training {args.batches} batches into {folder / 'run'}")
    run = train_model(cache, folder / "run", batches=args.batches, batch_size=8,
                      learning_rate=1e-3, seed=args.seed, progress=args.progress)
    print(_run_summary(run))
    print(f"4/5 evaluating on the test split; pictures in {folder / 'report'}")
    result = evaluate_model(run, split="test")
    _write_report(result, folder / "report")
    print(result.summary())
    print(f"5/5 scoring a new trip in {folder / 'new_trip'}")
    new_trip = make_demo_photos(folder / "new_trip", n_photos=40, seed=args.seed + 1)
    table = score_photos(run, new_trip, progress=args.progress)
    table.to_csv(folder / "report" / "new_trip_scores.csv", index=False)
    print(f"{(table['decision'] == 'keep').sum()} of {len(table)} new photos to keep; "
          f"scores in {folder / 'report' / 'new_trip_scores.csv'}")
