"""Learning from corrections: the photos a user sorted after culling teach the run more.

After score_photos, the user moves photos between good/ and bad/ folders of the shoot (or edits
the decision column of the scores table). `learn_corrections(run, photos)`:

1. reads the sorted photos (sources.corrected_photos) and records them as the cache's
   corrections (cache.add_corrections): new photos join the training split, photos already
   cached take the corrected label, and every later build of the cache keeps them;
2. measures the run's validation AUC as it scores now (the best checkpoint, with its booster);
3. trains more batches from the best checkpoint on the corrected training photos
   (training.continue_training), which fits the booster again on them;
4. measures the validation AUC again, on the same photos, and says both.

Every checkpoint is kept and the best is chosen by validation AUC over all of them, so a
continuation that does not help the network leaves its best checkpoint as it was.
"""

from __future__ import annotations

import sys

import pandas as pd

from ..data.cache_build import add_corrections
from ..core.errors import PhotoqError
from ..core.parameters import check
from ..core.files import printable
from .evaluation import validation_auc
from ..models.runs import Run, lock_run, open_run
from ..photos.sources import corrected_photos

#: The columns of learn_corrections' table (one row).
LEARN_COLUMNS = [
    "photos", "added", "relabelled", "training_photos", "from_batch", "to_batch",
    "best_batch_before", "best_batch_after", "validation_auc_before", "validation_auc_after",
]


def learn_corrections(run, photos, batches: int | None = None, progress: bool | None = None,
                      verbose: bool = True) -> pd.DataFrame:
    """Learn from the photos a user sorted after culling, and say how validation AUC moved.

    `photos` is the culled shoot with the photos sorted into `good/` and `bad/` subfolders (the
    run's class names; one of them is enough), a CSV of path,label, or the scores table that
    score_photos wrote with its `decision` column edited (every 'keep' row learns as good and
    every 'reject' row as bad, in any case, the class names too; 'review' and 'skipped' rows are
    left out); or the shoot itself, without class folders, after the photographer re-rated the
    sidecars photoq wrote (score_photos(xmp=True)) in their own program: photos whose rating or
    pick now differs from photoq's decision are the corrections (labelled by the default rules of
    pyphotoq.photos.ratings from the mark that changed), unchanged ones the shoot as accepted (keep
    good, reject bad, review left out). What cannot be learned (files not there, unreadable photos, unknown decisions) is
    said on stderr, one line each, and left out. Learning again from the same folder or table
    replaces what was learned from it before.

    The photos are added to the run's cache (new ones to its training split), then `batches`
    more batches are trained from the best checkpoint (None: two of the recipe's validation
    intervals) and the booster is fitted again. Returns a one-row table: photos read, added to
    the cache, relabelled (cached photos whose label changed), training photos now, the batches
    trained (from_batch to to_batch), the best checkpoint's batch and the validation AUC of the
    run's scores before and after. The run folder is locked meanwhile. The booster is fitted again,
    so validation AUC can go down (the line says so); deleting the cache's corrections.csv, then
    build_cache and train_model again, takes learning back.
    """
    run = run if isinstance(run, Run) else open_run(run)
    if run.batches_done == 0:
        raise PhotoqError(f"The run {run.path} has no checkpoint yet: train it before learning from corrections")
    lock = lock_run(run.path)  # no training may use the run (or change its cache) meanwhile
    try:
        run = open_run(run.path)  # as it is now that it is ours
        return _learn(run, photos, batches, progress, verbose)
    finally:
        lock.close()


def _learn(run: Run, photos, batches, progress, verbose: bool) -> pd.DataFrame:
    from .training import continue_training, run_settings

    settings = run_settings(run)
    batches = 2 * int(settings["validate_every"]) if batches is None else check("batches", batches)
    cache = run.open_cache()
    negative = cache.info["classes"]["negative"]
    listing = corrected_photos(photos, cache.positive, negative)
    before_manifest = cache.manifest.set_index("hash")["label"]
    before_originals = cache.manifest.set_index("hash")["original"]
    for line in listing.attrs.get("left_out", []):
        print(line, file=sys.stderr)
    cache = add_corrections(cache, listing, photos, progress=progress)
    skipped = cache.summary.skipped if cache.summary is not None else pd.DataFrame()
    listed = set(listing["path"])
    bad = skipped[skipped["path"].isin(listed)] if len(skipped) else skipped
    for row in bad.itertuples():
        print(f"Skipped {row.path}: {row.reason}", file=sys.stderr)
    if len(bad) == len(listing):
        raise PhotoqError(f"None of the {len(listing)} sorted photos in {photos} could be read "
                          f"(first: {bad.iloc[0]['path']}: {bad.iloc[0]['reason']})")
    after_manifest = cache.manifest.set_index("hash")["label"]
    for digest, original in cache.manifest.set_index("hash")["original"].items():
        if original in listed and digest in before_originals.index and before_originals[digest] != original:
            print(f"{printable(original)} is the same photo as the cached {printable(before_originals[digest])}: "
                  f"that photo is now {after_manifest[digest]}", file=sys.stderr)
    added = int((~after_manifest.index.isin(before_manifest.index)).sum())
    common = after_manifest.index.intersection(before_manifest.index)
    relabelled = int((after_manifest[common] != before_manifest[common]).sum())
    best_before = int(run.state.get("best_batch", 0))
    before = validation_auc(run, cache)
    done = run.batches_done
    run = continue_training(cache, run, batches, progress=progress)
    after = validation_auc(run, cache)
    table = pd.DataFrame([{
        "photos": len(listing) - len(bad), "added": added, "relabelled": relabelled,
        "training_photos": int((cache.manifest["split"] == "train").sum()),
        "from_batch": done, "to_batch": run.batches_done,
        "best_batch_before": best_before, "best_batch_after": int(run.state.get("best_batch", 0)),
        "validation_auc_before": float(before), "validation_auc_after": float(after),
    }], columns=LEARN_COLUMNS)
    table.attrs["summary"] = learn_text(table.to_dict("records")[0], run)
    if verbose:
        print(table.attrs["summary"])
    return table


def learn_text(row: dict, run) -> str:
    """The one line that says what learning did (`row`: learn_corrections' row as a dict)."""
    photos = row["photos"]
    best = ("the best checkpoint is now batch {0}".format(row["best_batch_after"])
            if row["best_batch_after"] != row["best_batch_before"]
            else "the best checkpoint is still batch {0}".format(row["best_batch_before"]))
    before, after = row["validation_auc_before"], row["validation_auc_after"]
    change = ("" if after >= before else
              ": lower. The sorted photos disagree with the validation photos, or are too few to "
              "outweigh chance; check their labels. Learning is taken back by deleting the cache's "
              "corrections.csv, then build_cache and train_model again")
    return (
        f"Learned from {photos} sorted photo{'s' if photos != 1 else ''} ({row['added']} new to the cache, "
        f"{row['relabelled']} relabelled; {row['training_photos']} training photos now): trained "
        f"{row['to_batch'] - row['from_batch']} more batches, numbered {row['from_batch'] + 1} to "
        f"{row['to_batch']}, starting from the weights of the best checkpoint so far (batch "
        f"{row['best_batch_before']}), {best}, and fitted the booster again. Validation AUC {before:.3f} before, {after:.3f} after{change} ({run.path})"
    )
