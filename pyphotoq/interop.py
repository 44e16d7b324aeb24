"""Plain Python values for the R package: no numpy array or scalar, no pandas object.

The R package talks to pyphotoq through reticulate. reticulate 1.28 (Debian's) cannot read
numpy 2 arrays or numpy scalars, and a pandas DataFrame reaches R as an opaque object. So every
result R needs is turned here into dicts, lists, str, float, int, bool and None only:

* a table becomes ``{"columns": [...], "types": [...], "data": {name: [values]}}`` where each
  type is one of "str", "int", "float", "bool" (so R can type an empty column) and a missing
  value (NaN, NA, NaT) is None, which R reads as NA;
* a float that is NaN becomes None; infinities stay floats (R's Inf);
* paths become str.

Nothing here reaches back up the data flow: it only reshapes results that the other modules
made.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import PurePath

import numpy as np
import pandas as pd

from .core.errors import PhotoqError

__all__ = [
    "cache_result",
    "call",
    "checkpoints_result",
    "evaluation_result",
    "failure_info",
    "learn_result",
    "model_result",
    "run_result",
    "settings_fields",
    "score_result",
    "table_columns",
    "undo_result",
    "to_plain",
]


class Failure:
    """An exception raised by a pyphotoq function called from R, as plain text.

    R gets this back instead of a Python exception: no exception object (nor its traceback)
    crosses to R, and R raises an R error with the same message.
    """

    __slots__ = ("message", "name", "photoq", "type")

    def __init__(self, error: BaseException):
        cls = type(error)
        self.type = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
        self.name = cls.__name__
        self.message = str(error)
        self.photoq = isinstance(error, PhotoqError)

    def __repr__(self) -> str:
        return f"<pyphotoq failure {self.type}: {self.message}>"


def call(name: str, /, *args, _json=(), **kwargs):
    """pyphotoq.<name>(*args, **kwargs), or a Failure describing the exception it raised.

    The keyword arguments named in `_json` arrive as JSON text and are decoded first: R sends
    lists and dicts that way, so that it never builds Python containers element by element.
    """
    import pyphotoq

    function = getattr(pyphotoq, name)
    try:
        for key in [_json] if isinstance(_json, str) else _json:
            kwargs[key] = json.loads(kwargs[key])
        return function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 (all of them, for R; not KeyboardInterrupt)
        return Failure(error)


def failure_info(value) -> dict | None:
    """None for a result; for a Failure, its type, name, message and whether it is a PhotoqError."""
    if not isinstance(value, Failure):
        return None
    return {"type": value.type, "name": value.name, "message": value.message,
            "photoq": value.photoq}


def to_plain(value):
    """`value` with every numpy/pandas type replaced by plain Python (NaN -> None)."""
    if value is None:
        return None
    if isinstance(value, np.generic):  # before str: numpy.str_ is a str subclass
        return to_plain(value.item())
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return _utf8(str(value))
    if isinstance(value, pd.DataFrame):
        return table_columns(value)
    if isinstance(value, pd.Series):
        return [to_plain(v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        return [to_plain(v) for v in value.tolist()]
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in value]
    if isinstance(value, PurePath):
        return str(value)
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _column_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    values = [v for v in series.tolist() if not _missing(v)]
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "bool"
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                      for v in values):
        return "int"
    if values and all(isinstance(v, (int, float, np.integer, np.floating))
                      and not isinstance(v, (bool, np.bool_)) for v in values):
        return "float"
    return "str"


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, (float, np.floating)) and math.isnan(value))
    except TypeError:
        return False


def _cell(value, kind: str):
    if _missing(value):
        return None
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    plain = to_plain(value)
    return plain if isinstance(plain, str) else str(plain)


def table_columns(frame: pd.DataFrame) -> dict:
    """A DataFrame as plain columns: {"columns", "types", "data": {name: list}}."""
    columns = [str(c) for c in frame.columns]
    types, data = [], {}
    for name, column in zip(columns, frame.columns):
        series = frame[column]
        kind = _column_type(series)
        types.append(kind)
        data[name] = [_cell(v, kind) for v in series.tolist()]
    return {"columns": columns, "types": types, "data": data}


def learn_result(frame: pd.DataFrame) -> dict:
    """learn_corrections' one-row table, and its summary line."""
    return {"table": table_columns(frame), "summary": frame.attrs.get("summary", "")}


def cache_result(cache) -> dict:
    """What R needs of a Cache beyond its files: its folder and the summary of the last build."""
    summary = getattr(cache, "summary", None)
    build = None
    if summary is not None:
        build = {
            "photos": int(summary.photos),
            "added": int(summary.added),
            "reused": int(summary.reused),
            "removed": int(summary.removed),
            "skipped": len(summary.skipped),
            "conflicts": len(summary.conflicts),
            "seconds": float(summary.seconds),
            "text": str(summary),
        }
    return {"path": str(cache.path), "id": str(cache.id), "build": build}


def run_result(run) -> dict:
    """A Run's folder (R reads run.json, state.json and history.csv itself)."""
    return {"path": str(run.path), "batches_done": int(run.batches_done)}


def evaluation_result(result) -> dict:
    """An Evaluation with its metrics, ROC table and predictions as plain values."""
    return {
        "split": str(result.split),
        "checkpoint": str(result.checkpoint),
        "threshold": to_plain(float(result.threshold)),
        "threshold_rule": str(result.threshold_rule),
        "auc": to_plain(float(result.auc)),
        "accuracy": to_plain(float(result.accuracy)),
        "f1": to_plain(float(result.f1)),
        "share_positive": to_plain(float(result.share_positive)),
        "n_photos": int(result.n_photos),
        "positive": str(result.positive),
        "negative": str(result.negative),
        "roc": table_columns(result.roc),
        "predictions": table_columns(result.predictions),
        "cache_path": str(result.cache_path),
        "run_path": str(result.run_path),
        "summary": result.summary(),
    }


def settings_fields(settings) -> dict:
    """A settings object's fields (pyphotoq.Culling, Labelling, Splitting, Recipe) as a plain dict:
    what R's culling(), labelling(), splitting() and recipe() return."""
    import dataclasses

    return {name: to_plain(value) for name, value in dataclasses.asdict(settings).items()}


def score_result(table: pd.DataFrame) -> dict:
    """score_photos' table, the lines it applied (keep and reject; equal for one cut), the rule
    that chose them and the drift note ('' when nothing stands out)."""
    def line(name):
        value = table.attrs.get(name)
        return None if value is None else to_plain(float(value))

    return {
        "table": table_columns(table),
        "threshold": line("threshold"),
        "reject_threshold": line("reject_threshold"),
        "rule": str(table.attrs.get("rule", "")),
        "drift": str(table.attrs.get("drift", "")),
        "sidecars": table_columns(table.attrs["sidecars"]) if "sidecars" in table.attrs else None,
    }


def undo_result(frame: pd.DataFrame) -> dict:
    """undo_sidecars' table."""
    return table_columns(frame)


def checkpoints_result(frame: pd.DataFrame) -> dict:
    """evaluate_checkpoints' table."""
    return table_columns(frame)


def model_result(model) -> dict:
    """A Keras model's name, parameter counts and layers (for printing in R)."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {
        "name": str(model.name),
        "parameters": int(model.count_params()),
        "trainable_parameters": int(trainable),
        "layers": [str(layer.name) for layer in model.layers],
    }


def _utf8(text: str) -> str:
    """`text`, with a file name's bytes that are not valid UTF-8 written %XX (R needs UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        from .core.files import encode_path

        return encode_path(text)
    return text
