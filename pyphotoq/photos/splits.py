"""Assign photos to the train / validation / test splits, once and stably.

Three rules, each a way of grouping photos; a group's split follows from its key (a content
hash), so adding photos later never moves the ones already assigned:

* scene (the default): photos taken within `burst_seconds` (30 by default) of each other, in any
  folder, chained, and photos that look alike (their `look` hashes differ in at most
  LOOK_DISTANCE of 64 bits) form one group. A photographer's folders are full of near-identical
  shots of one scene; kept together, validation measures what test will: new scenes.
* burst: shots of one burst (same folder, capture times `burst_seconds`, 3 by default, apart).
* hash: every photo on its own.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd

from ..core.errors import PhotoqError, check_number
from ..core.parameters import settings_object

SPLITS = ("train", "validation", "test")

#: A validation or test split with fewer photos of a class than this is too small to trust: the
#: build warns, training says the AUC's interval, and the keep and reject lines are widened.
SMALL_SPLIT = 30
METHODS = ("scene", "burst", "hash")
#: Seconds between two shots of one group, by method, unless given.
DEFAULT_SECONDS = {"scene": 30.0, "burst": 3.0, "hash": 3.0}
#: Two photos whose look hashes differ in at most this many bits are one scene.
LOOK_DISTANCE = 4


def split_for_key(key: str, fractions=(0.8, 0.1, 0.1)) -> str:
    """The split a hexadecimal key falls into: its first 12 digits as a uniform number in [0, 1)."""
    position = int(key[:12], 16) / 16**12
    train, validation = fractions[0], fractions[0] + fractions[1]
    if position < train:
        return "train"
    return "validation" if position < validation else "test"


def check_fractions(fractions) -> tuple[float, float, float]:
    """Three non-negative fractions that sum to 1, as floats; else one line naming them."""
    import numbers

    values = tuple(fractions) if isinstance(fractions, (list, tuple, np.ndarray)) else ()
    if len(values) != 3 or not all(isinstance(f, numbers.Real) and not isinstance(f, bool) for f in values) \
            or not np.isfinite(values).all() or min(values) < 0 or abs(sum(values) - 1) > 1e-6:
        raise PhotoqError(f"fractions must be three non-negative numbers (train, validation, test) summing to 1, "
                          f"got {fractions!r}")
    return tuple(float(f) for f in values)


@dataclasses.dataclass(frozen=True)
class Splitting:
    """How build_cache splits the photos into train / validation / test (the module text): one
    object that `build_cache(split=)` takes, as `score_photos` takes a pyphotoq.Culling, so that the
    cache's own settings (width, quality) stay apart from the rule that groups the photos.

    method         "scene" (the default), "burst" or "hash"
    fractions      the shares of train, validation and test, summing to 1
    burst_seconds  seconds between two shots of one group (None: 30 for "scene", 3 for "burst")

    Every value is checked when the object is made (one line naming the setting). A dict of the
    same names (what R's splitting() sends), or a method's name alone, is accepted wherever a
    Splitting is (`Splitting.of`). A cache keeps the rule it was first built with (cache.json).
    """

    method: str = "scene"
    fractions: tuple = (0.8, 0.1, 0.1)
    burst_seconds: float | None = None

    def __post_init__(self):
        if not isinstance(self.method, str) or self.method not in METHODS:
            raise PhotoqError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        object.__setattr__(self, "fractions", check_fractions(self.fractions))
        if self.burst_seconds is not None:
            object.__setattr__(self, "burst_seconds", check_number(self.burst_seconds, "burst_seconds", low=0))

    @classmethod
    def of(cls, split) -> "Splitting":
        """`split` as a Splitting: None gives the defaults, a method's name ("hash") that method,
        a dict its named settings."""
        if isinstance(split, str):
            return cls(method=split)
        return settings_object(cls, split, "split", more=", or a method's name")

    @property
    def seconds(self) -> float:
        """The gap between two shots of one group: burst_seconds, or the method's default."""
        return DEFAULT_SECONDS[self.method] if self.burst_seconds is None else self.burst_seconds


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


def look_hash(image) -> str:
    """A 64-bit difference hash of a picture (PIL image) as 16 hex digits: brightness steps
    between neighbours of a 9x8 grey thumbnail. Shifts of framing, exposure and focus barely
    change it; another scene changes about half its bits."""
    from PIL import Image

    grey = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.BOX), dtype=np.int16)
    bits = (grey[:, 1:] > grey[:, :-1]).ravel()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def look_distance(a, b) -> int:
    """Bits that differ between two look hashes (16 hex digits); 64 when one is missing."""
    try:
        return bin(int(a, 16) ^ int(b, 16)).count("1") if len(a) == 16 and len(b) == 16 else 64
    except (TypeError, ValueError):
        return 64


def scene_groups(frame: pd.DataFrame, seconds: float, distance: int = LOOK_DISTANCE) -> pd.Series:
    """A scene id for every row (columns hash, taken and, if present, look): the hash of the
    group's first photo by capture time (then hash). Groups join photos taken within `seconds`
    of each other, chained, and photos whose look hashes are within `distance` bits."""
    n = len(frame)
    parent = np.arange(n)

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i, j):
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    taken = pd.to_datetime(frame["taken"], errors="coerce", format="%Y-%m-%d %H:%M:%S")
    timed = np.flatnonzero(taken.notna().to_numpy())
    if len(timed) > 1:
        order = timed[np.argsort(taken.iloc[timed].to_numpy(), kind="stable")]
        gaps = np.diff(taken.iloc[order].to_numpy()).astype("timedelta64[ms]").astype(float) / 1000
        for k in np.flatnonzero(gaps <= seconds):
            union(order[k], order[k + 1])
    if "look" in frame.columns:
        looks = frame["look"].to_numpy()
        # A look with almost all bits equal is a featureless picture (a gradient sky, a black
        # frame): many unrelated photos share it, so it joins nothing.
        valid = [i for i in range(n) if isinstance(looks[i], str) and len(looks[i]) == 16
                 and 8 <= bin(int(looks[i], 16)).count("1") <= 56]
        values = np.array([int(looks[i], 16) for i in valid], dtype=np.uint64)
        # Eight bands of eight bits: two hashes within 7 bits share at least one band exactly,
        # so only photos sharing a band are compared (no n-squared work for large caches).
        candidates = set()
        for band in range(8):
            keys = (values >> np.uint64(8 * band)) & np.uint64(0xFF)
            buckets: dict[int, list[int]] = {}
            for position, key in enumerate(keys.tolist()):
                buckets.setdefault(key, []).append(position)
            for members in buckets.values():
                if 1 < len(members) <= 2000:
                    for a in range(len(members)):
                        for b in range(a + 1, len(members)):
                            candidates.add((members[a], members[b]))
        for a, b in candidates:
            if bin(int(values[a] ^ values[b])).count("1") <= distance:
                union(valid[a], valid[b])
    roots = np.array([find(i) for i in range(n)])
    sort_taken = taken.fillna(pd.Timestamp.max)
    ordered = frame.assign(_root=roots, _taken=sort_taken).sort_values(["_root", "_taken", "hash"])
    first = ordered.groupby("_root")["hash"].transform("first")
    return first.reindex(frame.index)


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
    if method == "scene":
        result["group"] = scene_groups(result, burst_seconds)
    elif method == "burst":
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
    if not previous:  # a new cache: few scenes must still give validation and test both classes
        _fill_small_splits(result, fractions)
    return result


def _fill_small_splits(result: pd.DataFrame, fractions) -> None:
    """On a first build, a validation or test split (with a fraction above 0) that lacks a class
    takes the training group holding that class whose key lies nearest to that split's share,
    as long as training keeps another group of the class: with a handful of scenes the hashed
    shares alone can leave validation empty. Deterministic (keys are content hashes); a later
    build keeps every split as it is."""
    if "label" not in result:
        return
    bounds = {"validation": fractions[0], "test": fractions[0] + fractions[1]}
    for split, share in (("validation", fractions[1]), ("test", fractions[2])):
        if share <= 0:
            continue
        for label in sorted(result["label"].unique()):
            if ((result["split"] == split) & (result["label"] == label)).any():
                continue
            train = result[(result["split"] == "train") & (result["label"] == label)]
            groups = sorted(train["group"].unique(),
                            key=lambda g: (abs(int(g[:12], 16) / 16**12 - bounds[split]), g))
            if len(groups) < 2:
                continue
            moving = result["group"] == groups[0]
            left = result.loc[~moving & (result["split"] == "train"), "label"]
            if set(left) >= set(result.loc[moving, "label"]):  # training keeps every class it had
                result.loc[moving, "split"] = split


def split_counts(manifest: pd.DataFrame) -> pd.DataFrame:
    """Photos per split (rows train, validation, test) and label (columns)."""
    counts = pd.crosstab(manifest["split"], manifest["label"])
    return counts.reindex(index=list(SPLITS), fill_value=0)


def split_lines(counts: pd.DataFrame) -> list[str]:
    """The split sizes in one line, and a warning for each validation or test split too small to
    trust (fewer than SMALL_SPLIT photos of a class), with what to do."""
    if counts.empty:
        return []
    labels = list(counts.columns)
    lines = ["splits: " + "; ".join(
        f"{split} " + ", ".join(f"{int(counts.loc[split, label])} {label}" for label in labels)
        for split in counts.index)]
    for split in ("validation", "test"):
        small = [f"{int(counts.loc[split, label])} {label}" for label in labels
                 if counts.loc[split, label] < SMALL_SPLIT]
        if small:
            use = ("the keep and reject lines and the best checkpoint rest on them" if split == "validation"
                   else "the test AUC rests on them")
            lines.append(f"  warning: the {split} split holds only {' and '.join(small)} photos (fewer than "
                         f"{SMALL_SPLIT} of a class): {use}, so they are uncertain; sort more photos, or give "
                         "it a larger share of the split's fractions")
    return lines
