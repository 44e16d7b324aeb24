"""Score a folder of new photos straight from the source files, streamed (score_photos), and the
photos whose label would teach the run most (ask_photos)."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from ..core.progress import tqdm

from ..models.booster import overview_part, photo_statistics, statistic_names
from ..photos.camera import photo_exif
from ..data.views import source_views, view_kind
from ..core.errors import PhotoqError, check_whole
from ..core.parameters import check
from .culling import EXIF_NUMBERS, Culling, drift_text, shot_exif
from ..core.files import encode_path, fsync_folder, is_inside, printable
from ..core.outputs import check_output, write_output
from .facts import FACT_COLUMNS, add_facts, photo_facts
from ..photos.images import UnusablePhoto, is_image_name, read_photo_bytes
from ..models.runs import Run, open_run, view_specs
from .scorer import Scorer
from ..photos.sources import camera_pairs, photos_to_score

SCORE_COLUMNS = ["path", "score", "decision", "rule", "rating", "pick", "margin", *FACT_COLUMNS, "reason", "taken",
                 "camera", "burst", "best_in_burst", "duplicate_of", "sequence", "pair"]
#: The columns of the scores table that hold file names.
_NAME_COLUMNS = ("path", "duplicate_of", "pair")
#: The most photos scored in one pass of the network (more would not fit a laptop's memory).
_MAX_BATCH = 256
#: Photos batched together by shape; the next chunk opens while one is scored.
_CHUNK = 16


def score_photos(
    run,
    photos,
    culling: Culling | dict | None = None,
    checkpoint="best",
    batch_size: int = 16,
    workers: int | None = None,
    progress: bool | None = None,
    client=None,
    xmp: bool = False,
    dry_run: bool = False,
    replace_ratings: bool = False,
) -> pd.DataFrame:
    """Score every photo below the folder `photos` (no labels needed) and cull them.

    `photos` may also be one photo file, or a list of files and folders (sources.photos_to_score);
    sidecars and their undo journal then go with the folder that holds them all.

    Returns a table, best first, of path, score, decision ('keep', 'review', 'reject', or
    'skipped' with the reason), rule (which rule made the decision), rating and pick (what an
    XMP sidecar carries: 5 to -1 stars; accepted, pending or rejected), margin (score minus the
    keep line), the measured facts of `pyphotoq.workflow.facts`, a short `reason` text, the capture time
    and camera, and the culling columns burst, best_in_burst, duplicate_of, sequence (a
    protected bracket or panorama) and pair (the other file of a RAW+JPEG pair). The facts
    describe the photo, not the model's reasons.

    The decisions follow `culling` (a pyphotoq.Culling, a dict of its settings, or None for the
    defaults): photos at or above the keep line (validation photos that high are
    `keep_precision` good, 0.9) are kept, photos below the reject line (which keeps
    `reject_recall`, 0.95, of the good validation photos) are rejected, the rest go to review;
    `best` or `best_share` keep that many best photos instead of the keep line. A `threshold`,
    or `keep_recall` alone, makes one cut (keep or reject) instead; the burst and sequence rules
    still apply. For example `culling=Culling(keep_recall=0.95)` or `culling={"best": 20}`. The
    lines come from the validation scores stored in the run folder (the cache is not needed).
    Bursts keep their best shot (the others that would be kept go to `weaker_in_burst`), exact
    duplicates are rejected, brackets and panoramas are kept together or reviewed together.

    `xmp` writes each decision into XMP sidecars beside the photos (pyphotoq.photos.xmp: star rating,
    reject, digiKam's pick label; existing sidecars merged, a journal kept so that
    `undo_sidecars(photos)` restores them); `dry_run` only plans it. Either way the plan (what
    changes in which sidecar) is in `table.attrs["sidecars"]`. The originals are never written.
    A rating or pick a person gave is kept (photoq's decision then goes into its own namespace
    only); `replace_ratings` replaces them, journalled.
    A run with a booster compares each photo with its scene among the photos scored together
    (taken within 30 s of each other, or looking alike): score a whole shoot at once.
    `client` scores on a Dask cluster (a distributed.Client, a scheduler address or
    "local:N"; see pyphotoq.cluster): each worker loads the model once and measures chunks of
    photos, which it must see at the same paths; the table is the one local scoring gives.
    """
    culling = Culling.of(culling)
    for name, value in (("xmp", xmp), ("dry_run", dry_run), ("replace_ratings", replace_ratings)):
        if not isinstance(value, (bool, np.bool_)):
            raise PhotoqError(f"{name} must be True or False, got {value!r}")
    batch_size = check_whole(batch_size, "batch_size", 1)
    if batch_size > _MAX_BATCH:
        raise PhotoqError(f"batch_size must be at most {_MAX_BATCH} (memory), got {batch_size}")
    workers = check("workers", workers)
    run = run if isinstance(run, Run) else open_run(run)
    listed, root = photos_to_score(photos)
    paths, pairs = camera_pairs(listed)  # a RAW+JPEG pair is one photo: its JPEG
    if not paths:
        raise PhotoqError(f"No photos to score in {root}")
    # the one scorer (pyphotoq.workflow.scorer): a booster that gives the network no weight
    # scores without it, and the model is not loaded
    scoring = Scorer(run, checkpoint)
    network = scoring.uses_network
    specs, views = view_specs(run), scoring.views
    # the booster's statistics are measured once per photo; a network that measures them too is
    # given them (prediction.fed_scorer) instead of measuring them again
    statistics = scoring.measures_statistics
    bar = tqdm(total=len(paths), desc="Scoring", unit="photo", disable=None if progress is None else not progress)
    measured, skipped = [], []
    if client is None:
        for chunk in _opened_chunks(paths, specs, views, statistics, network, workers):
            measured += score_chunk(scoring, chunk, views, batch_size, skipped)
            bar.update(len(chunk))
    else:
        from ..core.dask_plumbing import chunk_size, dask_client, in_order

        dask = dask_client(client)
        # the network's chunks are the local ones (a network that measures its statistics itself
        # scores a photo by its batch, and the table is the local one bit for bit); without the
        # network a photo's numbers are its own, and smaller chunks spread over every worker
        size = _CHUNK if network else chunk_size(dask, len(paths), _CHUNK)
        chunks = [paths[start : start + size] for start in range(0, len(paths), size)]
        futures = [dask.submit(score_chunk_task, str(scoring.run.path), checkpoint, specs, views,
                               statistics, batch_size, chunk, pure=False) for chunk in chunks]
        try:
            for found, unusable in in_order(dask, futures, lambda r: bar.update(len(r[0]) + len(r[1]))):
                measured += found
                skipped += unusable
        finally:
            dask.cancel(futures)
    together = pd.DataFrame([{"hash": m["path"], **m["scene"]} for m in measured], columns=["hash", "taken", "look"])
    statistics = (np.stack([m["statistics"] for m in measured]) if measured and statistics
                  else np.zeros((len(measured), len(statistic_names(views))), np.float32))
    scores = scoring.combine(np.array([m["network"] for m in measured], dtype=float), statistics, together)
    bar.close()
    run = scoring.run
    classes = run.info["classes"]
    shots = pd.DataFrame([{"path": m["path"], "hash": m["hash"], **m["scene"], **m["exif"]} for m in measured],
                         columns=["path", "hash", "taken", "look", "camera", *EXIF_NUMBERS])
    shots["score"] = scores
    decided, lines = scoring.decide(shots, culling)
    facts = pd.DataFrame([m["facts"] for m in measured], columns=FACT_COLUMNS)
    scored = add_facts(decided, facts, lines["keep"], classes["positive"], classes["negative"],
                       run.info.get("keeper_facts"))
    if scoring.booster is not None and measured:  # the booster's words for what moved each score
        from .reasons import with_reasons

        why = dict(zip([m["path"] for m in measured], scoring.reasons(statistics, together)))
        scored["reason"] = [with_reasons(r, why.get(p, "")) for r, p in zip(scored["reason"], scored["path"])]
    scored["pair"] = scored["path"].map(lambda p: pairs.get(p, ""))
    scored = scored.sort_values("score", ascending=False, kind="stable")
    rejected = pd.DataFrame(skipped, columns=["path", "reason"]).assign(score=np.nan, decision="skipped")
    parts = [scored] + ([rejected.reindex(columns=SCORE_COLUMNS)] if len(rejected) else [])
    table = pd.concat(parts, ignore_index=True)[SCORE_COLUMNS]
    table["pair"] = table["pair"].fillna("").where(table["decision"] != "skipped",
                                                   table["path"].map(lambda p: pairs.get(p, "")))
    table.attrs["threshold"] = float(lines["keep"])
    table.attrs["reject_threshold"] = float(lines["reject"])
    table.attrs["rule"] = lines["rule"]
    table.attrs["drift"] = drift_text(
        run, scored.assign(megapixels=scored["path"].map({m["path"]: m["scene"]["megapixels"] for m in measured})),
        scoring.validation, photo_exif)
    if xmp or dry_run:
        from ..photos.xmp import plan_sidecars, write_sidecars

        decisions = table.loc[table["decision"] != "skipped", ["path", "rating", "pick", "pair", "score", "rule"]]
        decisions = decisions.astype({"rating": int})
        table.attrs["sidecars"] = (plan_sidecars(decisions, photos=root, replace_ratings=replace_ratings) if dry_run
                                   else write_sidecars(decisions, photos=root, replace_ratings=replace_ratings))
        table.attrs["photos"] = root
    return table


ASK_COLUMNS = ["path", "score", "decision", "margin", "scene", "why"]


def ask_photos(run, photos, n: int = 20, checkpoint="best", progress: bool | None = None, **score_args) -> pd.DataFrame:
    """The `n` photos below `photos` whose label would teach the model most: those scored
    closest to the keep line (on the logit scale, where a step means the same everywhere), at
    most one per scene (shots within 30 s of each other, `splits.scene_groups`) until every
    scene has given one, so that the answers are not twenty frames of one burst. Returns a table
    of path, score, decision, margin (score minus the keep line), scene and why, the most
    uncertain first. `score_args` go to score_photos (e.g. culling, client). Label them by
    sorting the shoot into good/ and bad/, then learn from it: learning.learn_corrections."""
    from ..models.booster import logit
    from ..photos.splits import DEFAULT_SECONDS, scene_groups

    n = check("n", n)
    table = score_photos(run, photos, checkpoint=checkpoint, progress=progress, **score_args)
    line = float(table.attrs["threshold"])
    scored = table[table["decision"] != "skipped"].reset_index(drop=True)
    if scored.empty:
        raise PhotoqError(f"No usable photos to ask about in {photos}")
    scenes = scene_groups(pd.DataFrame({"hash": scored["path"], "taken": scored["taken"].fillna("")}),
                          DEFAULT_SECONDS["scene"])
    scored["scene"] = pd.factorize(scenes)[0] + 1

    distance = np.abs(logit(scored["score"]) - logit(line))
    order = np.argsort(distance, kind="stable")
    chosen, seen = [], set()
    for i in order:  # one per scene first ...
        if scored.loc[i, "scene"] not in seen:
            chosen.append(i)
            seen.add(scored.loc[i, "scene"])
        if len(chosen) == n:
            break
    for i in order:  # ... then the next most uncertain
        if len(chosen) == n:
            break
        if i not in chosen:
            chosen.append(i)
    chosen.sort(key=lambda i: distance[i])
    asked = scored.loc[chosen].copy()
    asked["margin"] = asked["score"] - line
    asked["why"] = [f"{'above' if m >= 0 else 'below'} the keep line by {abs(m):.3f}; scene {s}"
                    for m, s in zip(asked["margin"], asked["scene"])]
    return asked[ASK_COLUMNS].reset_index(drop=True)


def measure_photo(path: str, specs: dict, views, statistics: bool = True, pixels: bool = True) -> dict | str:
    """What scoring needs of one photo, from its source file: its pixels for each view (the
    network's input; with `pixels`), its measured facts, its capture time and look (its scene),
    and with `statistics` the booster's statistics; or the reason it cannot be used. Every view
    is made from the source file and passed through its cached encoding by the function the
    cache uses, so a new photo is seen exactly as a cached one."""
    try:
        data = read_photo_bytes(path)
        views_pixels, scene = source_views(data, specs, views)
    except UnusablePhoto as err:
        return str(err)
    measured = photo_statistics(views_pixels, views) if statistics else None
    # the facts that are statistics of the overview are read from them (facts.SHARED)
    overview = overview_part(measured, views) if measured is not None else None
    return {"path": path, "pixels": views_pixels if pixels else None,
            "facts": photo_facts(views_pixels[0], overview),
            "scene": scene, "statistics": measured, "hash": hashlib.sha256(data).hexdigest(), "exif": shot_exif(data)}


def _opened_chunks(paths, specs, views, statistics: bool, pixels: bool, workers):
    """Lists of _CHUNK (path, measure_photo(path)) in the order of `paths`, each photo measured
    in a pool of threads (all the work of a photo in one thread: decoding, facts and statistics
    spread evenly over the cores), with at most two chunks open at once (memory stays flat)."""
    with ThreadPoolExecutor(workers or os.cpu_count() or 1) as pool:
        pending: deque = deque()
        remaining = iter(paths)

        def fill():
            while len(pending) < 2 * _CHUNK:
                path = next(remaining, None)
                if path is None:
                    return
                pending.append((path, pool.submit(measure_photo, path, specs, views, statistics, pixels)))

        fill()
        chunk = []
        while pending:
            path, future = pending.popleft()
            chunk.append((path, future.result()))
            fill()
            if len(chunk) == _CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def score_chunk(scoring, chunk, views, batch_size: int, skipped: list) -> list[dict]:
    """The measured photos of one chunk of (path, measure_photo(path)) with their network score
    by `scoring` (a Scorer; "network": NaN when the network has no part), batched by shape in
    the order shapes first appear; the unusable ones are appended to `skipped` as (path, reason)."""
    by_shape: dict[tuple, list] = {}
    for path, opened in chunk:
        if isinstance(opened, str):
            skipped.append((path, opened))
        else:
            key = opened["pixels"][0].shape if opened["pixels"] is not None else ()
            by_shape.setdefault(key, []).append(opened)
    measured = []
    for group in by_shape.values():
        for start in range(0, len(group), batch_size):
            part = group[start : start + batch_size]
            if not scoring.uses_network:
                network = np.full(len(part), np.nan)
            else:
                stacked = [np.stack([m["pixels"][k] for m in part]) for k in range(len(views))]
                images = stacked[0] if len(views) == 1 else {view_kind(v).input: pixels for v, pixels in zip(views, stacked)}
                given = (np.stack([m["statistics"] for m in part])
                         if all(m["statistics"] is not None for m in part) else None)
                network = scoring.network_scores(images, given)
            for m, value in zip(part, network):
                measured.append({**m, "pixels": None, "network": float(value)})
    return measured


def check_outputs(photos, out=None, keepers=None) -> None:
    """Refuse, before anything is written, outputs that would land on a photo being scored or
    mix files into the photo tree: `out` (the scores table) and `keepers` (a folder)."""
    listed, common = photos_to_score(photos)
    sources = {os.path.realpath(p) for p in listed}
    root = Path(common)
    if out is not None:
        resolved = os.path.realpath(Path(out).expanduser())
        if resolved in sources:
            raise PhotoqError(f"Refused output {out}: it is one of the photos being scored ({resolved})")
        if os.path.isdir(resolved):
            raise PhotoqError(f"Refused output {out}: it is a folder; name a CSV file")
        if is_image_name(str(out)) and root.is_dir() and is_inside(root, resolved):
            raise PhotoqError(
                f"Refused output {out}: an image name inside the photos being scored ({root}); "
                "name a .csv file"
            )
        check_output(out, "table")  # a photo, a device, a link or another file outside is refused too
    if keepers is not None:
        folder = Path(keepers).expanduser()
        if os.path.realpath(folder) in sources or (folder.exists() and not folder.is_dir()):
            raise PhotoqError(f"Refused keepers folder {keepers}: it is a file, not a folder")
        if root.is_dir() and is_inside(root, folder):
            raise PhotoqError(
                f"Refused keepers folder {keepers}: it is inside the photos being scored ({root}); "
                "copies there would be scored as new photos next time. Choose a folder outside it"
            )


def write_scores(table: pd.DataFrame, out) -> None:
    """The scores table as CSV, written atomically. File names (path, duplicate_of, pair) are
    written as the cache's tables write them (files.encode_path: `%`, control characters and bytes
    that are not valid UTF-8 as `%XX`), so learn_corrections reads every name back; in the rule and
    reason texts, bytes that are not valid UTF-8 are shown `%XX`."""
    write_output(out, scores_text(table), "table")


def scores_text(table: pd.DataFrame, header: bool = True) -> str:
    """The scores table as write_scores writes it (CSV text; `header`: with its first line)."""
    named = {c: table[c].map(lambda v: (encode_path(v) if c in _NAME_COLUMNS else printable(v))
                             if isinstance(v, str) and v else v)
             for c in ("path", "rule", "duplicate_of", "pair", "reason") if c in table}
    return table.assign(**named).to_csv(index=False, lineterminator="\n", header=header)


def copy_keepers(table: pd.DataFrame, folder, link: bool = False) -> int:
    """Copy (or hard-link, where possible) the photos decided 'keep' into `folder`.

    Originals are never moved or changed. Idempotent: a photo whose content is already in the
    folder under its name (or a numbered variant) is not copied again. Nothing is written
    through a link planted in the folder. Returns how many files were placed.
    """
    target = Path(folder).expanduser()
    target.mkdir(parents=True, exist_ok=True)
    placed = 0
    for path in table.loc[table["decision"] == "keep", "path"]:
        destination = _free_name(target / Path(path).name, path, link)
        if destination is None:
            continue  # already there
        if link:
            try:
                os.link(path, destination)
            except OSError:
                os.symlink(os.path.abspath(path), destination)
        else:
            _copy_no_follow(path, destination)
        placed += 1
    return placed


def _copy_no_follow(source, destination: Path) -> None:
    """Copy to a fresh temporary name in the destination's folder, then link it into place
    (which never replaces or follows whatever is at `destination`)."""
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with open(source, "rb") as reader, os.fdopen(os.open(temporary, flags, 0o644), "wb") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)
        writer.flush()
        os.fsync(writer.fileno())
    try:
        shutil.copystat(source, temporary)
        os.link(temporary, destination)
    finally:
        os.unlink(temporary)
    fsync_folder(destination.parent)


def _same_file_content(existing: Path, source, link: bool) -> bool:
    if existing.is_symlink():
        return link and os.readlink(existing) == os.path.abspath(source)
    try:
        if not existing.is_file() or existing.stat().st_size != os.stat(source).st_size:
            return False
        with open(existing, "rb") as a, open(source, "rb") as b:
            while True:
                x, y = a.read(1 << 20), b.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False


def _free_name(path: Path, source, link: bool) -> Path | None:
    """The first of NAME, NAME_1, ... that is free (nothing there, not even a dangling link), or
    None when one of them already holds the same content."""
    candidate, number = path, 1
    while os.path.lexists(candidate):
        if _same_file_content(candidate, source, link):
            return None
        candidate = path.with_name(f"{path.stem}_{number}{path.suffix}")
        number += 1
    return candidate


# ---- on a Dask worker -----------------------------------------------------------------------

_SCORERS: dict = {}
_SCORERS_LOCK = threading.Lock()


def _worker_scorer(run_path: str, checkpoint) -> Scorer:
    """The run's scorer, loaded once per worker process (and per checkpoint file)."""
    run = open_run(run_path)
    file = str(run.checkpoint_path(checkpoint))
    key = (file, os.stat(file).st_mtime_ns)
    with _SCORERS_LOCK:
        if key not in _SCORERS:
            _SCORERS.clear()
            _SCORERS[key] = Scorer(run, checkpoint, note=False)
        return _SCORERS[key]


def score_chunk_task(run_path: str, checkpoint, specs: dict, views, statistics: bool,
                     batch_size: int, paths: list) -> tuple[list, list]:
    """On a worker: (measured photos without pixels, skipped (path, reason)) for one chunk of
    paths, exactly as local scoring measures and batches the same chunk."""
    from ..core.dask_plumbing import quiet_worker

    quiet_worker()
    scoring = _worker_scorer(run_path, checkpoint)
    chunk = [(path, measure_photo(path, specs, views, statistics, scoring.uses_network)) for path in paths]
    skipped: list = []
    return score_chunk(scoring, chunk, views, batch_size, skipped), skipped
