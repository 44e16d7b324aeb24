"""The view registry: one declaration per kind of view of a photo, which every part of photoq
loops over (add a view here).

A view is a picture of each photo kept in the cache (`views/<name>/`, declared in cache.json).
Its declaration (ViewKind) says everything the rest of photoq needs to know of it:

* how the cache makes its file from a source photo (`make`, `maker`: views.VIEW_MAKERS);
* the model input it feeds (`input`), how many dimensions one photo's pixels have there
  (`rank`: 3 for a picture, 4 for a stack of patches) and their shape (`shape`, from the view's
  entry in cache.json; None: a whole picture whose size varies, the overview);
* how a decoded file becomes those pixels (`parts`: e.g. the detail view's strip of patches
  split into patches; None: the picture as it is);
* how the booster pools its statistics (`pools`: () measures the whole picture; otherwise the
  statistics of every part pooled by each of "mean", "max", "min") and which layer of a network
  outputs the same numbers (`statistics_layer`, for prediction.fed_network).

The overview (views.py) and the detail view (detail.py) are declared beside their makers. A new
view is one new file with its maker and a `declare_view(ViewKind(...))`, imported by views.py;
tests/python/test_view_kinds.py adds a toy view that way and follows it through the cache, the
batch stream and the booster's statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

#: The view every cache holds and every model reads first.
OVERVIEW = "overview"


@dataclass(frozen=True)
class ViewKind:
    """One kind of view (see the module's text)."""

    name: str
    make: str
    maker: Callable
    input: str
    statistics_layer: str
    pools: tuple = ()
    rank: int = 3
    shape: Callable | None = None
    parts: Callable | None = None

    def pixels(self, decoded, spec: dict):
        """A decoded file's (height, width, 3) pixels as the model input takes them for one photo."""
        return self.parts(decoded, spec) if self.parts is not None else decoded

    def statistic_names(self, names) -> list[str]:
        """The booster's columns for this view, given the names of the statistics of one picture."""
        if not self.pools:
            return [f"{self.name}_{n}" for n in names]
        return [f"{self.name}_{pool}_{n}" for pool in self.pools for n in names]


#: Every declared view, the overview first, in the order declared.
VIEWS: dict[str, ViewKind] = {}


def declare_view(kind: ViewKind) -> ViewKind:
    """Register a kind of view (a second declaration of a name replaces the first); the
    overview stays first whatever the order of imports."""
    VIEWS[kind.name] = kind
    if OVERVIEW in VIEWS and next(iter(VIEWS)) != OVERVIEW:
        VIEWS[OVERVIEW] = VIEWS.pop(OVERVIEW)
        for name in [n for n in VIEWS if n != OVERVIEW]:
            VIEWS[name] = VIEWS.pop(name)
    return kind


def view_kind(name: str) -> ViewKind:
    """The declaration of the view `name`; ValueError naming the declared ones when unknown."""
    if name not in VIEWS:
        raise ValueError(f"no view {name!r} is declared (views: {', '.join(VIEWS)})")
    return VIEWS[name]


def view_of_input(name: str) -> str | None:
    """The view feeding the model input `name` (Keras may suffix an input's name: "patches_1"),
    or None."""
    for kind in VIEWS.values():
        if name == kind.input or name.startswith(kind.input + "_"):
            return kind.name
    return None


def input_views(names) -> tuple[str, ...]:
    """The declared views, in declaration order, whose inputs are among the model input `names`."""
    found = {view_of_input(str(n)) for n in names}
    return tuple(view for view in VIEWS if view in found)


def kind_of_spec(spec: dict) -> ViewKind | None:
    """The declared kind that makes a view of this cache.json entry (by its `make`), or None."""
    for kind in VIEWS.values():
        if kind.make == spec.get("make"):
            return kind
    return None
