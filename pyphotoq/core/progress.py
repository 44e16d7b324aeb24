"""Progress on long work, wherever it runs: one owner for every bar photoq shows.

`tqdm(...)` takes tqdm's arguments. `disable=None` (the `progress=None` default of photoq's
functions) means "show progress the way this place can":

* on a terminal, tqdm's bar;
* in a notebook, tqdm's notebook bar;
* anywhere else (output piped to a file or a log, Rscript, a scheduler), a plain line on stderr
  every `LINE_SECONDS` seconds, and one at the end: what is done, of how much, the rate, the time
  left and the figures the work reports (a validation AUC), e.g.
  `Training: 300/1000 batch (30%), 1.52 batch/s, about 7m40s left, val_auc=0.912`.

`disable=True` (`progress=False`) is silent; `disable=False` (`progress=True`) is tqdm's bar.
"""

from __future__ import annotations

import sys

from tqdm import tqdm as _plain
from tqdm.auto import tqdm as _auto

#: Whether tqdm.auto chose its notebook bar (photoq runs in a Jupyter kernel).
_NOTEBOOK = any("notebook" in cls.__module__ for cls in _auto.__mro__)

#: Seconds between progress lines where no bar can be drawn.
LINE_SECONDS = 30.0


class _Lines(_plain):
    """tqdm, drawn as whole lines (no carriage returns) at most every LINE_SECONDS."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("mininterval", LINE_SECONDS)
        kwargs.setdefault("miniters", 1)
        kwargs["file"] = _WholeLines(kwargs.get("file") or sys.stderr)
        super().__init__(*args, **kwargs)

    def display(self, msg=None, pos=None):  # noqa: ARG002 - tqdm's signature
        if self.n == getattr(self, "_shown", 0):  # nothing new (and nothing done yet)
            return True
        self._shown = self.n
        self.fp.write(self._line() + "\n")
        self.fp.flush()
        return True

    def _line(self) -> str:
        stats = self.format_dict
        total, rate = stats.get("total"), stats.get("rate")
        done = f"{self.n}/{total} {self.unit}" + (f" ({self.n / total:.0%})" if total else "")
        parts = [f"{self.desc or 'Working'}: {done}"]
        if rate:
            parts.append(f"{rate:.3g} {self.unit}/s")
            if total:
                left = (total - self.n) / rate
                parts.append(f"about {int(left // 60)}m{int(left % 60):02d}s left")
        if stats.get("postfix"):
            parts.append(str(stats["postfix"]))
        return ", ".join(parts)


class _WholeLines:
    """A stream that passes whole lines only: tqdm's bare line ends and carriage returns are dropped."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str):
        if text.strip("\r\n"):
            self.stream.write(text)

    def flush(self):
        self.stream.flush()


def tqdm(*args, disable=None, **kwargs):
    """A progress bar (see the module's text): `disable=None` chooses by where it runs."""
    if disable is None:
        if _NOTEBOOK:
            return _auto(*args, disable=False, **kwargs)
        stream = kwargs.get("file") or sys.stderr
        if getattr(stream, "isatty", lambda: False)():
            return _plain(*args, disable=False, **kwargs)
        return _Lines(*args, **kwargs)
    return _plain(*args, disable=disable, **kwargs)
