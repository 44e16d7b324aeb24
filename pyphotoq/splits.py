"""Assign photos to the train / validation / test splits, once and stably.

A photo's split follows from its content hash, so adding photos later never moves the ones
already assigned. The burst-aware method keeps shots of one burst (same folder, EXIF capture
times a few seconds apart) together, so near-identical frames cannot leak from training into
test.
"""

from __future__ import annotations

import os

import pandas as pd

from .errors import PhotoqError

SPLITS = ("train", "validation", "test")
METHODS = ("hash", "burst")


def split_for_key(key: str, fractions=(0.8, 0.1, 0.1)) -> str:
    """The split a hexadecimal key falls into: its first 12 digits as a uniform number in [0, 1)."""
    position = int(key[:12], 16) / 16**12
    train, validation = fractions[0], fractions[0] + fractions[1]
    if position < train:
        return "train"
    return "validation" if position < validation else "test"


def check_fractions(fractions) -> tuple[float, float, float]:
    """Validate three non-negative fractions that sum to 1."""
    values = tuple(float(f) for f in fractions)
    if len(values) != 3 or min(values) < 0 or abs(sum(values) - 1) > 1e-6:
        raise PhotoqError(
            f"split fractions must be three non-negative numbers summing to 1, got {fractions}"
        )
    return values


def burst_groups(frame: pd.DataFrame, burst_seconds: float) -> pd.Series:
    """A burst id for every row of `frame` (columns hash, original, taken).

    Photos in one folder whose capture times are at most `burst_seconds` apart, chained, share
    the id (the hash of the burst's first shot). Photos without a capture time stand alone.
    """
    groups = frame["hash"].copy()
    taken = pd.to_datetime(frame["taken"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    folders = frame["original"].map(os.path.dirname)
    timed = frame.assign(_taken=taken, _folder=folders).dropna(subset=["_taken"])
    for _, shots in timed.sort_values(["_folder", "_taken", "hash"]).groupby("_folder", sort=False):
        gaps = shots["_taken"].diff().dt.total_seconds()
        starts = gaps.isna() | (gaps > burst_seconds)
        burst_number = starts.cumsum()
        first_hash = shots["hash"].groupby(burst_number).transform("first")
        groups.loc[shots.index] = first_hash
    return groups


def assign_splits(
    manifest: pd.DataFrame,
    previous: dict[str, str],
    method: str = "hash",
    fractions=(0.8, 0.1, 0.1),
    burst_seconds: float = 3.0,
) -> pd.DataFrame:
    """Return `manifest` with `group` and `split` columns.

    `previous` maps hash -> split for photos assigned in an earlier build: they keep it. A new
    photo that joins a burst already assigned takes that burst's split.
    """
    if method not in METHODS:
        raise PhotoqError(f"split method must be one of {METHODS}, got {method!r}")
    fractions = check_fractions(fractions)
    result = manifest.copy()
    if method == "burst":
        result["group"] = burst_groups(result, burst_seconds)
    else:
        result["group"] = result["hash"]
    result["split"] = result["hash"].map(previous).fillna("")
    assigned_by_group = (
        result[result["split"] != ""].groupby("group")["split"].first().to_dict()
    )
    new = result["split"] == ""
    result.loc[new, "split"] = [
        assigned_by_group.get(group) or split_for_key(group, fractions)
        for group in result.loc[new, "group"]
    ]
    return result
