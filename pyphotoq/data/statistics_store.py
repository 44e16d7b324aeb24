"""The booster's statistics kept with the cache: each cached photo measured once.

Training (both boosters), evaluation, learning (its refits), the report and the benchmarks all
need the booster's statistics of cached photos (booster.measure_statistics). They are measured
from the cached views once and kept in the cache folder's `statistics.csv`, one row per photo
and set of views:

    hash        the photo (as in manifest.csv)
    version     booster.STATISTICS_VERSION: what the statistics measure; a row of another version
                is measured again
    views       the views measured, joined by '+' (overview, or overview+detail); `edited:` before
                them for the randomly edited copies a booster also learns from (a recipe's
                edit_copies), whose `hash` is then that of the photo's hash and its edit
    spec        12 hex digits naming how those views are made (cache.json's declarations): a cache
                built again with other settings measures again
    <feature>   one column per statistic (booster.statistic_names), as text that reads back to the
                same float32 (9 significant digits)

The file is rewritten atomically (never appended to), after each chunk of photos measured, so a
run killed while measuring keeps what it measured and the next one goes on from there; two runs
on one cache at once lose nothing but the other's newest rows (measured again later). A damaged
file is said in one line and measured again; a cache folder that cannot be written is measured
each time, as before. R reads it with read.csv (the hash as text).

The facts shown beside each score (pyphotoq.workflow.facts) are kept the same way, in `facts.csv`: the
same key columns (views: `overview`, the view they are measured on; version: facts.FACTS_VERSION),
then one column per fact, 17 significant digits (they are float64: read back bit for bit).
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np
import pandas as pd

from ..core.files import printable, write_atomic

FILE = "statistics.csv"
#: The file of the facts (pyphotoq.workflow.facts), kept by the same functions with `file=FACTS_FILE, digits=17`.
FACTS_FILE = "facts.csv"
KEY_COLUMNS = ["hash", "version", "views", "spec"]
#: Photos measured between two writes of the file (what a killed run loses at most).
CHUNK = 256


def views_spec(cache, views) -> str:
    """The 12 hex digits naming how `views` are made in `cache` (their cache.json declarations)."""
    declared = {view: cache.info["views"].get(view) for view in views}
    return hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()[:12]


def _read_raw(cache, quiet: bool = False, file: str = FILE) -> pd.DataFrame | None:
    """The kept `file` as read (every column), None when there is none or (said in one line, unless
    `quiet`) it is damaged."""
    path = cache.path / file
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path, dtype={"hash": str, "views": str, "spec": str}, keep_default_na=False,
                            na_values=["", "nan"])
    except (OSError, ValueError) as error:
        if quiet:
            return None
        print(f"The {_what(file)} kept in {printable(path)} cannot be read ({str(error).strip()[:80]}): "
              "measuring again", file=sys.stderr)
        return None
    if list(table.columns[: len(KEY_COLUMNS)]) != KEY_COLUMNS:
        if quiet:
            return None
        print(f"The {_what(file)} kept in {printable(path)} are damaged (its first columns are not "
              f"{', '.join(KEY_COLUMNS)}): measuring again", file=sys.stderr)
        return None
    return table


def _what(file: str) -> str:
    return "facts" if file == FACTS_FILE else "statistics"


def read_store(cache, views, names: list[str], file: str = FILE, tag: str = "") -> pd.DataFrame:
    """The kept rows of `views` (KEY_COLUMNS then `names`); empty when there are none, or when the
    file holds other statistics (another definition: measured again)."""
    table = _read_raw(cache, file=file)
    empty = pd.DataFrame(columns=KEY_COLUMNS + names)
    if table is None or not set(names) <= set(table.columns):
        return empty
    table = table[table["views"] == tag + "+".join(views)]
    values = table[names].apply(pd.to_numeric, errors="coerce")
    version = pd.to_numeric(table["version"], errors="coerce")
    good = values.notna().all(axis=1) & version.notna() & table["hash"].str.fullmatch(r"[0-9a-f]{64}").fillna(False)
    if not good.all():
        print(f"{int((~good).sum())} damaged row(s) in {printable(cache.path / file)}: those photos are measured again",
              file=sys.stderr)
    table = table[good].assign(**{n: values.loc[good, n] for n in names}, version=version[good].astype(int))
    return table[KEY_COLUMNS + names].drop_duplicates(KEY_COLUMNS, keep="last").reset_index(drop=True)


def stored(cache, frame: pd.DataFrame, views, names: list[str], version: int, file: str = FILE,
           digits: int = 9, tag: str = "") -> tuple[np.ndarray, np.ndarray]:
    """(values of every row of `frame`, NaN where not kept; a mask of the rows kept). float32 values
    (`digits` 9), float64 ones (17); `tag` names edited copies (the module text)."""
    table = read_store(cache, views, names, file, tag)
    table = table[(table["version"] == version) & (table["spec"] == views_spec(cache, views))]
    found = table.set_index("hash")[names].reindex(frame["hash"].to_numpy())
    values = found.to_numpy(dtype=_dtype(digits))
    return values, ~np.isnan(values).any(axis=1)


def _dtype(digits: int):
    return np.float32 if digits <= 9 else np.float64


def keep(cache, hashes, values: np.ndarray, views, names: list[str], version: int, file: str = FILE,
         digits: int = 9, tag: str = "") -> None:
    """Add the values of `hashes` to the cache's `file` (rewritten atomically), with `digits`
    significant digits (9 read float32 back bit for bit, 17 float64); a folder that cannot be written
    is left as it is."""
    if len(hashes) == 0:
        return
    path = cache.path / file
    new = pd.DataFrame(np.asarray(values, dtype=_dtype(digits)), columns=names)
    new.insert(0, "spec", views_spec(cache, views))
    new.insert(0, "views", tag + "+".join(views))
    new.insert(0, "version", version)
    new.insert(0, "hash", list(hashes))
    old = _read_raw(cache, quiet=True, file=file)  # said when it was read
    table = new if old is None else pd.concat([old, new]).drop_duplicates(KEY_COLUMNS, keep="last")
    text = table.to_csv(index=False, lineterminator="\n", float_format=f"%.{digits}g")
    try:
        write_atomic(path, text, root=cache.path)
    except OSError:
        pass  # a read-only cache: measured again next time
