"""The booster's files, checked before LightGBM's native parser sees them.

A run folder shared as "my model" is untrusted input, and LightGBM's C++ model parser trusts its
text: a NUL byte hangs it, a huge `tree_sizes=` list or an edited `leaf_value` line crashes the
process. So photoq reads a booster file with its own parser first:

* size bounded (MAX_BYTES), plain text (no NUL or other control bytes);
* the header: a binary objective with one class, `max_feature_idx` matching the features that
  booster.json names, `feature_names` and `tree_sizes` of the right counts (at most MAX_TREES);
* every tree block exactly where `tree_sizes` says, named `Tree=i` in order, with only the keys
  photoq's trees have, no categorical or linear trees, arrays of the lengths `num_leaves` implies,
  finite numbers, features inside the feature range, and children that form one tree;
* `end of trees` after the last tree.

LightGBM then parses only that checked text (header and trees: what follows `end of trees` is
dropped), so nothing a file adds past what was checked reaches native code. `check_info` types
and ranges booster.json.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..core.errors import PhotoqError

MAX_BYTES = 64 * 1024 * 1024
MAX_TREES = 100_000
MAX_LEAVES = 131_072
MAX_FEATURES = 100_000
_HEADER_KEYS = {"version", "num_class", "num_tree_per_iteration", "label_index", "max_feature_idx", "objective",
                "average_output", "feature_names", "monotone_constraints", "feature_infos", "tree_sizes"}
_INTERNAL = ("split_feature", "split_gain", "threshold", "decision_type", "left_child", "right_child",
             "internal_value", "internal_weight", "internal_count")
_LEAF = ("leaf_value", "leaf_weight", "leaf_count")
_TREE_KEYS = {"num_leaves", "num_cat", "is_linear", "shrinkage", *_INTERNAL, *_LEAF}
_REQUIRED_INTERNAL = ("split_feature", "threshold", "decision_type", "left_child", "right_child")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_END = "end of trees"


class _Damaged(Exception):
    """What is wrong with the file (without its name)."""


def checked_model_text(path: Path, features: int) -> str:
    """The text of the LightGBM model file at `path` (for `features` input columns), checked as the
    module says and cut after its trees; PhotoqError naming the file and what is wrong."""
    try:
        data = _read(path)
        return _check(data, features)
    except _Damaged as damage:
        raise PhotoqError(f"The booster file {path} is damaged ({damage}): run train_model on the run again "
                          "to refit it from its cache") from None


#: The version of booster.json's layout.
FORMAT = 1
#: Scenes smaller than this get the booster without scene comparisons.
MIN_SCENE = 5


def check_info(info, path: Path, views_known, statistic_names) -> dict:
    """booster.json's values typed and ranged (`statistic_names(views)`: the features a booster
    of those views reads); PhotoqError naming the file otherwise."""

    def damaged(what: str):
        return PhotoqError(f"The booster file {path} is damaged ({what}): run train_model on the run again to refit "
                           "it from its cache")

    if not isinstance(info, dict):
        raise damaged("not a JSON object")
    if info.get("format") != FORMAT:
        raise damaged(f"format {str(info.get('format'))[:20]!r}, expected {FORMAT}")
    views = info.get("views")
    if not isinstance(views, list) or not views or not all(isinstance(v, str) and v in views_known for v in views):
        raise damaged("views must name the cache's views")
    if info.get("features") != statistic_names(views):
        raise damaged("its features are not the statistics of its views")
    if "network_weight" not in info:
        raise damaged("network_weight is missing")
    weight = info.get("network_weight")
    if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))
                               or not math.isfinite(weight) or not 0 <= weight <= 1):
        raise damaged(f"network_weight must be a number from 0 to 1, got {str(weight)[:24]!r}")
    checkpoint = info.get("checkpoint")
    if checkpoint is not None and not isinstance(checkpoint, str):
        raise damaged("checkpoint must be a checkpoint's name")
    if info.get("min_scene", MIN_SCENE) != MIN_SCENE:
        raise damaged(f"min_scene must be {MIN_SCENE}")
    return info


def _read(path: Path) -> bytes:
    import os

    try:
        with open(path, "rb", opener=lambda p, f: os.open(p, f | getattr(os, "O_NOFOLLOW", 0))) as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise _Damaged(f"cannot be read: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise _Damaged(f"over {MAX_BYTES // (1024 * 1024)} MiB")
    if _CONTROL.search(data):
        raise _Damaged("it holds a NUL or control byte; a model file is plain text")
    try:
        data.decode("ascii")
    except UnicodeDecodeError:
        raise _Damaged("it is not plain ASCII text") from None
    return data


def _check(data: bytes, features: int) -> str:
    text = data.decode("ascii")
    blank = text.find("\n\n")
    if not text.startswith("tree\n") or blank < 0:
        raise _Damaged("no LightGBM model header")
    header = _pairs(text[len("tree\n"):blank].split("\n"), _HEADER_KEYS, "header")
    if header.get("num_class") != "1" or header.get("num_tree_per_iteration") != "1":
        raise _Damaged("not a one-class model")
    if not header.get("objective", "").startswith("binary"):
        raise _Damaged("not a binary objective")
    if _integer(header.get("max_feature_idx"), "max_feature_idx", 0, MAX_FEATURES) != features - 1:
        raise _Damaged(f"max_feature_idx is not {features - 1} (booster.json names {features} features)")
    if len(header.get("feature_names", "").split(" ")) != features:
        raise _Damaged(f"feature_names does not list {features} features")
    sizes_text = header.get("tree_sizes", "")
    if not sizes_text or sizes_text.count(" ") >= MAX_TREES:
        raise _Damaged(f"tree_sizes must list 1 to {MAX_TREES} trees")
    sizes = [_integer(size, "tree_sizes", 1, MAX_BYTES) for size in sizes_text.split(" ")]
    position = blank + 2
    if sum(sizes) > len(text) - position:
        raise _Damaged("tree_sizes adds up to more than the file holds")
    for number, size in enumerate(sizes):
        block = text[position : position + size]
        if not block.startswith(f"Tree={number}\n"):
            raise _Damaged(f"tree {number} is not where tree_sizes puts it")
        _check_tree(block, number, features)
        position += size
    if not text[position:].startswith(_END):
        raise _Damaged(f"'{_END}' is not where tree_sizes puts the end of the trees")
    return text[: position + len(_END)] + "\n"


def _check_tree(block: str, number: int, features: int) -> None:
    lines = block.rstrip("\n").split("\n")[1:]
    tree = _pairs(lines, _TREE_KEYS, f"tree {number}")
    leaves = _integer(tree.get("num_leaves"), f"tree {number} num_leaves", 1, MAX_LEAVES)
    if tree.get("num_cat", "0") != "0" or tree.get("is_linear", "0") != "0":
        raise _Damaged(f"tree {number} has categorical or linear splits, which photoq never fits")
    _floats(tree.get("shrinkage", "1"), f"tree {number} shrinkage", 1)
    _floats(tree.get("leaf_value"), f"tree {number} leaf_value", leaves)
    for key in ("leaf_weight", "leaf_count"):
        if tree.get(key, ""):
            _floats(tree[key], f"tree {number} {key}", leaves)
    internal = leaves - 1
    for key in _INTERNAL:
        if key in _REQUIRED_INTERNAL and internal and key not in tree:
            raise _Damaged(f"tree {number} lacks {key}")
        if tree.get(key, ""):
            _floats(tree[key], f"tree {number} {key}", internal)
    if not internal:
        return
    split = [_integer(v, f"tree {number} split_feature", 0, features - 1) for v in tree["split_feature"].split(" ")]
    kinds = [_integer(v, f"tree {number} decision_type", 0, 15) for v in tree["decision_type"].split(" ")]
    if any(kind & 1 for kind in kinds) or len(split) != internal:
        raise _Damaged(f"tree {number} has categorical splits, which photoq never fits")
    children = [_integer(v, f"tree {number} children", -leaves, internal - 1)
                for key in ("left_child", "right_child") for v in tree[key].split(" ")]
    # one tree: from the root, every other node and every leaf is reached exactly once
    seen_nodes, seen_leaves, stack = {0}, set(), [0]
    while stack:
        node = stack.pop()
        for child in (children[node], children[internal + node]):
            if child < 0:
                if ~child in seen_leaves:
                    raise _Damaged(f"tree {number} reaches a leaf twice")
                seen_leaves.add(~child)
            else:
                if child in seen_nodes:
                    raise _Damaged(f"tree {number} is not a tree (a node is reached twice)")
                seen_nodes.add(child)
                stack.append(child)
    if len(seen_nodes) != internal or len(seen_leaves) != leaves:
        raise _Damaged(f"tree {number} has nodes its root does not reach")


def _pairs(lines, known: set, where: str) -> dict:
    found = {}
    for line in lines:
        key, equals, value = line.partition("=")
        if not equals or key not in known or key in found:
            raise _Damaged(f"{where}: unexpected line {line[:40]!r}")
        found[key] = value
    return found


def _integer(text, what: str, low: int, high: int) -> int:
    if text is None or not re.fullmatch(r"-?\d{1,12}", text):
        raise _Damaged(f"{what} is not a whole number")
    value = int(text)
    if not low <= value <= high:
        raise _Damaged(f"{what} {value} is outside {low} to {high}")
    return value


def _floats(text, what: str, count: int) -> None:
    values = (text or "").split(" ") if text else []
    if len(values) != count:
        raise _Damaged(f"{what} holds {len(values)} values, expected {count}")
    for value in values:
        try:
            number = float(value)
        except ValueError:
            raise _Damaged(f"{what} holds {value[:20]!r}, not a number") from None
        if not math.isfinite(number):
            raise _Damaged(f"{what} holds {value[:20]!r}, not a finite number")
