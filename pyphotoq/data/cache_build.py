"""Building a cache incrementally from labelled photos (build_cache), and adding the photos a
user sorted after culling (add_corrections)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..photos.detail import DEFAULT_SPEC as DETAIL_SPEC
from ..photos.detail import DETAIL
from ..core.errors import PhotoqError
from ..core.files import printable
from ..photos.sources import Labelling
from ..photos.splits import Splitting, assign_splits, split_counts
from .cache_format import (
    FORMAT_VERSION,
    MANIFEST_COLUMNS,
    FILES_COLUMNS,
    SOURCES_COLUMNS,
    SKIPPED_COLUMNS,
    CONFLICT_COLUMNS,
    CORRECTIONS_COLUMNS,
    read_info,
    read_manifest,
    _write_table,
    _read_table,
)
from .cache_folder import (
    _declared_views,
    _write_info,
    _load_or_create_info,
    _locked,
    _remove_stale_temporaries,
    _remove_orphans,
    read_corrections,
    _with_corrections,
)
from .cache import BuildSummary, Cache, open_cache
from .cache_builder import _Builder


def build_cache(
    photos,
    cache,
    width: int = 480,
    labels: Labelling | dict | str | None = None,
    split: Splitting | dict | str | None = None,
    quality: int = 95,
    workers: int | None = None,
    wait: float = 0,
    progress: bool | None = None,
    verify: str = "quick",
    detail: bool = True,
    client=None,
) -> Cache:
    """Resize every photo once to `width` pixels wide into the cache folder `cache`.

    `labels` says where the labels come from (None: class folders), a pyphotoq.Labelling, a dict
    of its settings, or its source alone: by default `photos` is a folder with good/ and bad/
    subfolders or a CSV of path,label; with `labels="xmp"` or a catalogue file (a darktable
    `library.db`, digiKam `digikam4.db` or Lightroom Classic `.lrcat`, strictly read-only) it is
    the folder of your photos, labelled by the ratings you gave them (pyphotoq.photos.ratings), by the
    rules `Labelling(good=, bad=)`; where each label came from is kept in the cache's labels.csv.
    `split` is how the photos are split into train / validation / test (None: scenes kept
    together, 80/10/10), a pyphotoq.Splitting, a dict of its settings, or a method's name; a
    cache keeps the rule it was first built with.
    Incremental: known files are not read again, new ones are added, vanished ones dropped.
    Every cached file is checked (`verify="quick"`: present, its recorded size, and its
    checksum when its time stamp changed; `"full"`: every checksum); a missing or damaged one
    is made again and reported. A version-1 cache is upgraded in place.
    `detail` also keeps the detail view: a few native-resolution patches per photo (detail.py),
    which the default recipe's second branch looks at; declaring it on an existing cache makes
    only the patches (the overviews are kept). `detail=False` never removes a declared view.
    `wait` is how many seconds to wait for another build holding the cache.
    `progress` shows a progress bar (None: only on a terminal), and then the build's summary at
    the end: `progress=False` is silent (the summary is still the result's `summary`).
    `client` builds on a Dask cluster (a distributed.Client, a scheduler address or "local:N";
    see pyphotoq.cluster): the workers make the view files, which they must see at the cache's
    path; this process writes the tables, and the manifest is the one a local build makes.
    """
    from ..core.parameters import check

    folder = Path(cache).expanduser().resolve()
    labelling = Labelling.of(labels)
    splitting = Splitting.of(split)
    if not isinstance(detail, (bool, np.bool_)):
        raise PhotoqError(f"detail must be TRUE or FALSE, got {detail!r}")
    if verify not in ("quick", "full"):
        raise PhotoqError(f"verify must be 'quick' or 'full', got {verify!r}")
    width = check("width", width)
    quality = check("quality", quality)
    wait = check("wait", wait)
    workers = check("workers", workers)
    if folder.exists() and not folder.is_dir():
        raise PhotoqError(f"The cache must be a folder, but {folder} is a file")
    started = time.monotonic()
    # photoq cache and run folders below the photos are never read as photos (sources.py)
    listing = labelling.listing(photos)
    _check_outside(folder, listing)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder, wait):
        _remove_stale_temporaries(folder)
        info = _load_or_create_info(
            folder, width, labelling.positive, labelling.negative, splitting.method,
            splitting.fractions, splitting.seconds, quality,
        )
        if detail and DETAIL not in info["views"]:
            info["views"][DETAIL] = dict(DETAIL_SPEC)  # written with the rest at the end
        _record_labels(folder, listing.attrs.get("labels"))
        cache_handle = _update(folder, info, _with_corrections(listing, folder), photos, started,
                               workers, progress, verify, client)
    if progress is not False:  # where progress shows, so does what the build did
        print(cache_handle.summary)
    return cache_handle


def _record_labels(folder: Path, table) -> None:
    """labels.csv: where each label from ratings came from; removed when labels come from folders."""
    path = folder / "labels.csv"
    if table is None:
        if path.exists():
            path.unlink()
        return
    _write_table(path, table.astype({"rating": "string"}).fillna(""), FORMAT_VERSION)


def _check_outside(folder: Path, listing: pd.DataFrame) -> None:
    prefix = str(folder) + os.sep
    held = [p for p in listing["path"] if str(p).startswith(prefix)]
    if held:
        raise PhotoqError(
            f"The cache folder {folder} holds photos to cache (e.g. {printable(held[0])}): "
            "choose a new or empty folder for the cache"
        )


def _update(folder: Path, info: dict, listing: pd.DataFrame, photos, started: float, workers, progress,
            verify: str, client=None) -> Cache:
    """Bring the cache (locked by the caller) to `listing`: cache what is new, write the tables."""
    builder = _Builder(folder, info, workers, progress, verify)
    if client is not None:
        from ..core.dask_plumbing import dask_client

        builder.client = dask_client(client)
    sources = builder.update_sources(listing)
    sources.attrs["pairs"] = listing.attrs.get("pairs", pd.DataFrame(columns=["used", "other"]))
    sources.attrs["label_lines"] = listing.attrs.get("lines", [])
    return _finish(folder, info, sources, started, photos, builder)


def add_corrections(cache, listing: pd.DataFrame, source, wait: float = 0, progress: bool | None = None,
                    workers: int | None = None) -> Cache:
    """Record the photos of `listing` (path, label), sorted by the user from `source` (a folder or
    a table), as corrections of the cache, and cache them.

    What was learned from the same `source` before is replaced (a photo moved again, or out of the
    folder, is taken as it is now), and corrections whose files are gone are dropped. Corrected photos new to the cache join the training split; a
    photo already cached keeps its split and takes the corrected label. Every later build_cache
    keeps the corrections (corrections.csv). Returns the updated cache, with its build summary.
    """
    handle = cache if isinstance(cache, Cache) else open_cache(cache)
    folder = handle.path
    source = str(Path(source).expanduser().resolve())
    labels = {handle.positive, handle.info["classes"]["negative"]}
    unknown = sorted(set(listing["label"]) - labels)
    if unknown:
        raise PhotoqError(f"Corrections with labels the cache {folder} does not have: {', '.join(unknown[:5])}")
    _check_outside(folder, listing)
    started = time.monotonic()
    with _locked(folder, wait):
        _remove_stale_temporaries(folder)
        info = read_info(folder)
        old = read_corrections(folder)
        kept = old[old["source"] != source]
        fresh = listing[["path", "label"]].drop_duplicates("path", keep="last").assign(source=source)
        kept = kept[np.array([os.path.lexists(p) for p in kept["path"]], dtype=bool)]  # files gone since
        corrections = pd.concat([kept[~kept["path"].isin(set(fresh["path"]))], fresh], ignore_index=True)
        corrections = corrections[CORRECTIONS_COLUMNS].sort_values(["source", "path"]).reset_index(drop=True)
        _write_table(folder / "corrections.csv", corrections, FORMAT_VERSION)
        # The cache's own listing: its sources index (with every cached photo, should the index be
        # damaged), less the photos corrected before and the files gone since.
        known = _read_table(folder / "sources.csv", SOURCES_COLUMNS, int(info["stored_version"]), tolerant=True)
        cached = handle.manifest.rename(columns={"original": "path"})
        known = pd.concat([known[["path", "label"]], cached.loc[~cached["path"].isin(set(known["path"])),
                                                                 ["path", "label"]]], ignore_index=True)
        exists = np.array([os.path.lexists(p) for p in known["path"]], dtype=bool)
        base = known[~known["path"].isin(set(old["path"])).to_numpy() & exists].reset_index(drop=True)
        updated = _update(folder, info, _with_corrections(base, folder), source, started, workers, progress, "quick")
    return updated


def _finish(folder: Path, info: dict, sources: pd.DataFrame, started: float, photos, builder) -> Cache:
    """Derive manifest, files, skipped and conflicts tables from the sources index and write them."""
    version = info["stored_version"]
    try:
        previous = read_manifest(folder, info) if (folder / "manifest.csv").exists() else None
    except PhotoqError:
        previous = None  # a damaged manifest is rebuilt from the sources index
    if previous is None:
        previous = pd.DataFrame(columns=MANIFEST_COLUMNS)
    positive = info["classes"]["positive"]
    usable = sources[sources["status"] == "ok"]
    skipped = sources.loc[sources["status"] != "ok", SKIPPED_COLUMNS].reset_index(drop=True)
    corrected = set(read_corrections(folder)["path"])
    # Per hash, the kept copy is a corrected one (a user's correction relabels that content), else
    # the first path among the positive-labelled ones, else the first.
    ordered = usable.assign(_uncorrected=~usable["path"].isin(corrected), _negative=usable["label"] != positive)
    ordered = ordered.sort_values(["hash", "_uncorrected", "_negative", "path"])
    first = ~ordered["hash"].duplicated()
    kept = ordered[first]
    manifest = kept.assign(original=kept["path"])[
        [c for c in MANIFEST_COLUMNS if c not in ("split", "group")]
    ].reset_index(drop=True)
    others = ordered[~first]
    kept_by_hash = kept.set_index("hash")
    conflicts_table = pd.DataFrame({
        "hash": others["hash"],
        "kind": "duplicate",
        "kept_label": others["hash"].map(kept_by_hash["label"]),
        "kept_path": others["hash"].map(kept_by_hash["path"]),
        "other_label": others["label"],
        "other_path": others["path"],
    }, columns=CONFLICT_COLUMNS)
    conflicts_table.loc[conflicts_table["kept_label"] != conflicts_table["other_label"], "kind"] = "label conflict"
    conflicts_table = conflicts_table.sort_values(["hash", "other_path"]).reset_index(drop=True)
    split = info["split"]
    assigned = dict(zip(previous["hash"], previous["split"]))
    for path, digest in zip(usable["path"], usable["hash"]):
        if path in corrected:
            assigned.setdefault(digest, "train")  # a correction new to the cache teaches
    manifest = assign_splits(
        manifest, assigned,
        split["method"], split["fractions"], split["burst_seconds"],
    )
    manifest = manifest[MANIFEST_COLUMNS].sort_values("original").reset_index(drop=True)
    if manifest.empty:
        raise PhotoqError(
            f"No usable photos in {photos}: all {len(sources)} files were skipped"
            + (f" (first: {printable(skipped.iloc[0]['path'])}: {skipped.iloc[0]['reason']})" if len(skipped) else "")
        )
    current, before = set(manifest["hash"]), set(previous["hash"])
    for digest in current:  # every kept photo's files were checked or written this build
        if not builder._all_views_ok(digest):
            raise PhotoqError(f"The cached files of {digest} could not be made in {folder}")
    # files.csv first, cache.json last: a build killed in between is finished by the next one.
    _write_table(folder / "files.csv", builder.files_table(current)[FILES_COLUMNS + ["mtime_ns"]], FORMAT_VERSION)
    _write_table(folder / "manifest.csv", manifest, FORMAT_VERSION)
    _write_table(folder / "skipped.csv", skipped, FORMAT_VERSION)
    _write_table(folder / "conflicts.csv", conflicts_table, FORMAT_VERSION)
    _write_table(folder / "sources.csv", sources, FORMAT_VERSION)
    if version < FORMAT_VERSION or _declared_views(folder) != info["views"]:
        _write_info(folder, info)  # an upgrade, or a newly declared view: now complete
    _remove_orphans(folder, info, current)
    repaired = pd.DataFrame(sorted(builder.repaired.items()), columns=["file", "reason"])
    summary = BuildSummary(
        photos=len(manifest), added=len(current - before), reused=len(current & before),
        removed=len(before - current), skipped=skipped, conflicts=conflicts_table,
        seconds=time.monotonic() - started, repaired=repaired,
        upgraded_from=version if version < FORMAT_VERSION else None,
        pairs=sources.attrs.get("pairs", pd.DataFrame(columns=["used", "other"])),
        splits=split_counts(manifest), labels=list(sources.attrs.get("label_lines", [])),
    )
    cache = open_cache(folder)
    cache.summary = summary
    return cache
