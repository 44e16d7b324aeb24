"""Named training recipes: which network, optimiser, schedule, batch size and run length.

A recipe is a complete set of training settings. `train_model(cache, run)` uses DEFAULT; a
keyword argument overrides one setting, except the settings a recipe fixes (the original's
network, optimiser and learning rate: it reproduces the original workflow exactly). The run
folder records the recipe's name and every setting it resolved to, so run.json alone says how
to train the run again.
"""

from __future__ import annotations

import dataclasses
import math
from copy import deepcopy

import numpy as np

from ..core.errors import PhotoqError
from ..core.parameters import SETTINGS, check, settings_object

#: The recipe `train_model` uses when none is named: chosen by measurement on realistic
#: photographs (benchmarks/bench_quality.py; figures in the README).
DEFAULT = "two-view"
#: What the default falls back to on a cache without the detail view (the overview-only default).
OVERVIEW_DEFAULT = "two-branch"

RECIPES: dict[str, dict] = {
    # The original workflow, exactly: 47,266 parameters, RMSprop 1e-4, batches of 4, 5,000 batches.
    "original": {
        "network": "original",
        "model_options": {},
        "optimizer": "rmsprop",
        "learning_rate": 1e-4,
        "weight_decay": 0.0,
        "warmup": 0.0,
        "schedule": "constant",
        "label_smoothing": 0.0,
        "batches": 5000,
        "batch_size": 4,
        "validate_every": 100,
        "booster": False,
    },
    # A GAP CNN with batch normalisation beside global image statistics (model.py); AdamW with
    # a short warm-up and cosine decay; horizontal flips; label smoothing.
    "two-branch": {
        "network": "two_branch",
        "model_options": {},
        "optimizer": "adamw",
        "learning_rate": 1e-3,
        "weight_decay": 1e-2,
        "warmup": 0.05,
        "schedule": "cosine",
        "label_smoothing": 0.05,
        # 600: the booster carries most of the quality (README), so the network's run is kept
        # short enough that the whole default run takes less time than the original's.
        "batches": 600,
        "batch_size": 8,
        "validate_every": 100,
        # Gradient-boosted trees over the image statistics, each compared with the photo's
        # scene, fitted beside the best checkpoint when training ends (booster.py).
        "booster": True,
        # Copies of every training photo, each given a random global edit (edits.py), that the
        # booster also learns from, so that an edit alone does not tell a keeper (0: none). Off:
        # on the realistic benchmark's fresh shoot one copy measured no better (README) and the
        # run took 12% longer.
        "edit_copies": 0,
    },
}

# The two-branch network beside a detail branch over the cache's native-resolution patches
# (model.two_view_network), with the same training settings.
RECIPES["two-view"] = {**RECIPES["two-branch"], "network": "two_view"}

#: Settings a recipe does not let an argument change (the rest are overridable).
FIXED = {"original": ("network", "optimizer", "learning_rate", "weight_decay", "warmup", "schedule",
                      "label_smoothing", "booster"),
         "two-branch": ("network", "optimizer", "schedule"),
         "two-view": ("network", "optimizer", "schedule")}

#: Settings that are whole numbers at least 1 (checked against pyphotoq.core.parameters), and rates in [0, 1).
_COUNTS = ("batches", "batch_size", "validate_every")
#: The largest values accepted, as pyphotoq.core.parameters declares them: a batch larger than that does not
#: fit a laptop's memory at 480 px with the detail view; a seed is a 32-bit number; a run of more
#: batches would never end.
LIMITS = {name: SETTINGS[name].high for name in ("batch_size", "seed", "batches", "validate_every")}
_RATES = ("weight_decay", "warmup", "label_smoothing")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What a run trains: a recipe (RECIPES) and the settings of it that it lets change, in one
    object that `train_model(recipe=)` takes, as `score_photos` takes a pyphotoq.Culling; how long
    a run trains and its random stream (batches, batch_size, validate_every, seed) stay
    train_model's own arguments.

    name           the recipe (None: the default, "two-view", or "two-branch" on a cache
                   without the detail view)
    learning_rate  the optimiser's peak rate (None: the recipe's), which the original fixes
    model_options  options of the recipe's network, a dict (see build_model)
    booster        fit the gradient-boosted trees over the image statistics and blend them with
                   the network (None: the recipe's): True in the default recipes

    Checked when the object is made (one line naming the setting); whether the recipe lets a
    setting change is checked with the rest of the run's settings (`resolve`). A dict of the
    same names (what R's recipe() sends), or a recipe's name alone, is accepted wherever a
    Recipe is (`Recipe.of`). run.json records the settings resolved, as with a name.
    """

    name: str | None = None
    learning_rate: float | None = None
    model_options: dict | None = None
    booster: bool | None = None

    def __post_init__(self):
        if self.name is not None and (not isinstance(self.name, str) or self.name not in RECIPES):
            raise PhotoqError(f"name must be a recipe, one of {', '.join(RECIPES)}, got {self.name!r}")
        object.__setattr__(self, "learning_rate", check("learning_rate", self.learning_rate))
        if self.model_options is not None and not isinstance(self.model_options, dict):
            raise PhotoqError(f"model_options must be a dict of network options, got {self.model_options!r}")
        if self.booster is not None and not isinstance(self.booster, (bool, np.bool_)):
            raise PhotoqError(f"booster must be TRUE or FALSE, got {self.booster!r}")
        object.__setattr__(self, "booster", None if self.booster is None else bool(self.booster))

    @classmethod
    def of(cls, recipe) -> "Recipe":
        """`recipe` as a Recipe: None gives the default recipe, a name that recipe, a dict its
        named settings."""
        if isinstance(recipe, str):
            if recipe not in RECIPES:
                raise PhotoqError(f"Unknown recipe {recipe!r}: use one of {', '.join(RECIPES)}")
            return cls(name=recipe)
        return settings_object(cls, recipe, "recipe", more=", or a recipe's name")

    def overrides(self) -> dict:
        """The settings it changes, for `resolve` (None: the recipe's)."""
        return {"learning_rate": self.learning_rate, "model_options": self.model_options, "booster": self.booster}


def recipe_names() -> list[str]:
    return list(RECIPES)


def resolve(recipe: str | Recipe | None = None, **overrides) -> dict:
    """Every setting of `recipe` (a name or a Recipe; None: DEFAULT) with `overrides` (and the
    Recipe's own settings) applied and checked.

    Overrides set to None are ignored (they mean "the recipe's"). Returns a plain dict with the
    recipe's name under "recipe" and the seed under "seed", as run.json records it.
    """
    if isinstance(recipe, Recipe):
        twice = [key for key, value in recipe.overrides().items() if value is not None
                 and overrides.get(key) is not None]
        if twice:
            raise PhotoqError(f"{twice[0]} is given twice: in the Recipe and as an argument")
        overrides = {**overrides, **{k: v for k, v in recipe.overrides().items() if v is not None}}
        recipe = recipe.name
    name = DEFAULT if recipe is None else recipe
    if not isinstance(name, str) or name not in RECIPES:
        raise PhotoqError(f"Unknown recipe {recipe!r}: use one of {', '.join(RECIPES)}")
    settings = deepcopy(RECIPES[name])
    from .model import NETWORKS

    network_options = _option_names(NETWORKS[settings["network"]])
    given = {k: v for k, v in overrides.items() if v is not None}
    seed = given.pop("seed", 0)
    model_options = given.pop("model_options", None) or {}
    if not isinstance(model_options, dict):
        raise PhotoqError(f"model_options must be a dict of network options, got {model_options!r}")
    model_options = dict(model_options)
    # network options may be given directly too (build_model(filters=16))
    for key in list(given):
        if key in network_options:
            model_options[key] = given.pop(key)
    for key, value in given.items():
        if key not in settings:
            raise PhotoqError(
                f"The recipe {name!r} has no setting {key!r} (settings: "
                f"{', '.join(k for k in settings if k != 'model_options')}; network options: "
                f"{', '.join(network_options) or 'none'})"
            )
        if key in FIXED[name] and value != settings[key]:
            raise PhotoqError(
                f"The recipe {name!r} fixes {key}={settings[key]!r} (asked for {value!r}); "
                f"use another recipe to change it"
            )
        settings[key] = value
    unknown = [k for k in model_options if k not in network_options]
    if unknown:
        raise PhotoqError(
            f"The recipe {name!r} ({settings['network']} network) has no model option "
            f"{', '.join(map(repr, unknown))} (options: {', '.join(network_options)})"
        )
    settings["model_options"] = model_options
    _check(settings)
    return {"recipe": name, **settings, "seed": check("seed", seed)}


def _option_names(builder) -> list[str]:
    import inspect

    return [p for p in inspect.signature(builder).parameters if p != "seed"]


def _whole(value, name: str, low: int = 1, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or int(value) != value or value < low:
        raise PhotoqError(f"{name} must be a whole number >= {low}, got {value!r}")
    if high is not None and value > high:
        raise PhotoqError(f"{name} must be at most {high}, got {value!r}")
    return int(value)


def _check(settings: dict) -> None:
    if not isinstance(settings["booster"], (bool, np.bool_)):
        raise PhotoqError(f"booster must be TRUE or FALSE, got {settings['booster']!r}")
    settings["booster"] = bool(settings["booster"])
    for key in _COUNTS:
        settings[key] = check(key, settings[key])
    if "edit_copies" in settings:
        settings["edit_copies"] = _whole(settings["edit_copies"], "edit_copies", low=0, high=4)
    settings["learning_rate"] = check("learning_rate", settings["learning_rate"])
    for key in _RATES:
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
            raise PhotoqError(f"{key} must be a number in [0, 1), got {value!r}")
        settings[key] = float(value)


def compile_for(model, settings: dict) -> None:
    """Compile `model` with the optimiser, schedule and loss that `settings` name."""
    from ..core.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras

    rate = settings["learning_rate"]
    if settings["schedule"] == "cosine":
        total = int(settings["batches"])
        warmup = max(1, int(round(settings["warmup"] * total)))
        rate = keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=rate / 10, decay_steps=max(1, total - warmup), alpha=0.02,
            warmup_target=rate, warmup_steps=warmup,
        )
    if settings["optimizer"] == "rmsprop":
        optimizer = keras.optimizers.RMSprop(learning_rate=rate)
    else:
        optimizer = keras.optimizers.AdamW(learning_rate=rate, weight_decay=settings["weight_decay"])
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.BinaryCrossentropy(label_smoothing=settings["label_smoothing"]),
        metrics=["binary_accuracy"],
    )


def build_model(recipe: str | Recipe | None = None, seed: int | None = 0, **options):
    """The network of `recipe` (None: the default recipe), a name or a pyphotoq.Recipe, compiled
    with its optimiser, as train_model would train it.

    `options` override the recipe's settings: its network's own options (for "original":
    filters, last_filters, strided_layers, dropout; for the default: widths, dropout,
    statistics) and its training settings (learning_rate, and batches, which sets the length
    of a decaying schedule). A setting the recipe does not have, or one it fixes, is refused.
    `build_model("original")` is the original 47,266-parameter network with RMSprop 1e-4.
    """
    settings = resolve(recipe, seed=0 if seed is None else seed, **options)
    return network_for(settings, seed)


def network_for(settings: dict, seed: int | None = 0):
    """The compiled network (a keras.Model) that resolved recipe `settings` describe."""
    import keras

    from .model import NETWORKS

    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    builder = NETWORKS[settings["network"]]
    model = builder(seed=seed, **settings["model_options"])
    compile_for(model, settings)
    return model
