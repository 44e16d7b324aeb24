"""The public settings that Python, R and the command line share, declared once: each one's kind,
range, default and one line of help.

Why one table: a setting written in argparse, in a Python check and again in R drifts (a default
changed in one place only, a help text that no longer says what the code does). From this table
the CLI builds its options and their checks (pyphotoq.cli_parser), the public functions check
their values (`check`), and R's help for the shared arguments is written
(pyphotoq.r_help writes R/parameters.R; a test fails when that file is stale).
R passes the values through and shows Python's one-line error.

A setting whose default is None says in `none` what None means. Where one name means a little
more in one place (evaluate_model's threshold also sets the metrics' threshold), that place's
declaration is the shared one with other words (`EVALUATION`): the range stays the same by
construction.

This module sits at the bottom of the layers: it imports nothing of pyphotoq but its errors.
"""

from __future__ import annotations

import dataclasses

from .errors import PhotoqError, check_number, check_whole

KINDS = ("whole", "number", "choice")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One public setting: `kind` is "whole" (an integer), "number" (a finite float) or "choice"
    (one of `choices`); `low` and `high` are inclusive unless `low_open`; `none`, when given, is
    what None means (None is then allowed); `help` is one line, without the range or default."""

    name: str
    kind: str
    help: str
    default: object = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple = ()
    none: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.default is None and self.none is None:
            raise ValueError(f"{self.name}: a default of None needs `none`, what None means")

    @property
    def option(self) -> str:
        """The command line's option: --keep-precision for keep_precision."""
        return "--" + self.name.replace("_", "-")

    def check(self, value):
        """`value` checked (whole numbers as int, numbers as float); else a PhotoqError, one line
        naming the setting."""
        if value is None and self.none is not None:
            return None
        if self.kind == "whole":
            return check_whole(value, self.name, int(self.low), None if self.high is None else int(self.high))
        if self.kind == "number":
            return check_number(value, self.name, self.low, self.high, low_open=self.low_open)
        if not isinstance(value, str) or value not in self.choices:
            raise PhotoqError(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
        return value

    def span(self) -> str:
        """The allowed values in words: "in (0, 1]", "at least 1", "one of review, reject, keep"."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        low = _number_text(self.low)
        if self.high is None:
            return f"above {low}" if self.low_open else f"at least {low}"
        return f"in {'(' if self.low_open else '['}{low}, {_number_text(self.high)}]"

    def default_text(self) -> str:
        """The default in words, as the command line's help says it."""
        return self.none if self.default is None else _number_text(self.default)

    def r_default(self) -> str:
        """The default as R code: NULL, 0.9, "review"."""
        if self.default is None:
            return "NULL"
        if isinstance(self.default, str):
            return f'"{self.default}"'
        return _number_text(self.default)

    def r_help(self) -> str:
        """The argument's roxygen text: what it is, its range, its default."""
        if self.kind == "choice":
            allowed = "One of " + ", ".join(f'`"{c}"`' for c in self.choices)
        else:
            allowed = ("A whole number " if self.kind == "whole" else "A number ") + _r_code(self.span())
        if self.default is None:
            default = f"`NULL` (the default): {self.none}"
        else:
            default = f"default `{self.r_default()}`"
        return f"{_sentence(self.help)} {allowed}; {default}."


def _r_code(span: str) -> str:
    """An interval as code in R's help: roxygen's markdown would read [0, 1] as a link."""
    return span.replace("in ", "in `", 1) + "`" if span.startswith("in ") else span


def _sentence(text: str) -> str:
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def _number_text(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if value != 0 else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


#: Every shared setting, by name. The CLI's option is --name with dashes.
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    # the cache
    Setting("width", "whole", "cached width in pixels", default=480, low=64, high=16384),
    Setting("quality", "whole", "JPEG quality of the cached images", default=95, low=1, high=100),
    Setting("workers", "whole", "threads that open photos", low=1, none="one per CPU"),
    Setting("wait", "number", "seconds to wait for another build holding the cache", default=0, low=0),
    # training (the recipes fill in what is not given)
    Setting("batches", "whole", "batches in the whole run", low=1, high=10_000_000, none="the recipe's"),
    Setting("batch_size", "whole", "photos per batch", low=1, high=256, none="the recipe's"),
    Setting("validate_every", "whole", "batches between validation and checkpoint", low=1, high=10_000_000,
            none="the recipe's"),
    Setting("learning_rate", "number", "peak learning rate (the original recipe fixes it)", low=0, low_open=True,
            none="the recipe's"),
    Setting("seed", "whole", "seed of the random choices (photos drawn for the batches, weights, dropout)",
            default=0, low=0, high=2**32 - 1),
    # culling: how scores become keep / review / reject (pyphotoq.Culling)
    Setting("keep_precision", "number", "the keep line: validation photos at or above it are this share good",
            default=0.9, low=0, high=1, low_open=True),
    Setting("reject_recall", "number",
            "the reject line: it keeps this share of the good validation photos above it",
            default=0.95, low=0, high=1, low_open=True),
    Setting("threshold", "number", "one cut (keep or reject) at this score instead of the keep and reject lines",
            low=0, high=1, none="the keep and reject lines"),
    Setting("keep_recall", "number",
            "one cut keeping this share of the good validation photos instead of the keep and reject lines",
            low=0, high=1, low_open=True, none="the keep and reject lines"),
    Setting("best", "whole", "keep this many best photos instead of the keep line", low=0, none="the keep line"),
    Setting("best_share", "number", "keep this share of the best photos instead of the keep line", low=0, high=1,
            none="the keep line"),
    Setting("burst_seconds", "number",
            "shots this close in time that look alike form a burst (its best shot is marked)", default=2.0,
            low=0),
    Setting("weaker_in_burst", "choice", "what happens to a burst's weaker shots that would be kept",
            default="review", choices=("review", "reject", "keep")),
    # asking and reviewing
    Setting("n", "whole", "how many photos to propose", default=20, low=1),
    Setting("port", "whole", "port on 127.0.0.1 (0: a free one)", default=0, low=0, high=65535),
)}

_EVALUATION_DEFAULT = ("the threshold maximising F1 on validation for the metrics, the keep and reject lines "
                       "for the decisions")
#: evaluate_model's and report's words for threshold and keep_recall: there they also set the
#: threshold of the metrics (predicted, accuracy, F1), which without them maximises F1 on validation,
#: while the decision column follows the keep and reject lines as score_photos does.
EVALUATION: dict[str, Setting] = {
    "threshold": dataclasses.replace(
        SETTINGS["threshold"],
        help="a score threshold: the metrics' threshold and one cut (keep or reject) for the decisions",
        none=_EVALUATION_DEFAULT),
    "keep_recall": dataclasses.replace(
        SETTINGS["keep_recall"],
        help="the threshold keeping this share of the good validation photos, for the metrics and as one cut "
             "for the decisions",
        none=_EVALUATION_DEFAULT),
}


def check(name: str, value, settings: dict[str, Setting] = SETTINGS):
    """`value` checked against the declaration of setting `name` (one line naming it if wrong)."""
    return settings[name].check(value)


def default(name: str):
    """The declared default of setting `name`."""
    return SETTINGS[name].default


def settings_object(cls, value, name: str, more: str = ""):
    """`value` as an object of the settings class `cls` (Culling, Labelling, Splitting, Recipe):
    None gives the defaults, a dict its named settings (what R's constructors send), an object of
    `cls` itself. Why one rule: every grouped argument (culling=, labels=, split=, recipe=) takes the
    same three forms and refuses the rest in the same one line, naming the argument; `more` names
    what else the caller takes (a plain string), which the caller has handled before."""
    import dataclasses

    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        known = [field.name for field in dataclasses.fields(cls)]
        unknown = [str(key) for key in value if key not in known]
        if unknown:
            raise PhotoqError(f"{name} has no setting {', '.join(map(repr, unknown))}: its settings are "
                              f"{', '.join(known)}")
        return cls(**value)
    raise PhotoqError(f"{name} must be a pyphotoq.{cls.__name__} (or a dict of its settings{more}), got "
                      f"{type(value).__name__}")
