"""TensorFlow without its start-up lines: photoq imports it through `import_tensorflow_quietly`.

TensorFlow's C++ libraries print device probes, CPU-feature notes and, on a machine without a
GPU, a failed CUDA call ("failed call to cuInit") as they load and first run, whatever Python's
logging says. photoq silences them for the command line, Python and R alike, unless the user
asked for them by setting TF_CPP_MIN_LOG_LEVEL themselves.
"""

from __future__ import annotations

import os
import sys


_OURS = False  # whether photoq set TF_CPP_MIN_LOG_LEVEL (the user did not)


def silence() -> None:
    """Set TensorFlow's C++ log level to errors-off, unless the user set it: called when pyphotoq
    is imported, so that TensorFlow, whoever imports it next, reads it as it loads."""
    global _OURS
    if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        _OURS = True


def import_tensorflow_quietly(force: bool = False) -> None:
    """Import TensorFlow (once) with the lines its libraries print while they load sent nowhere;
    nothing happens when the user set TF_CPP_MIN_LOG_LEVEL themselves (unless `force`: a Dask
    worker inherits the level photoq set)."""
    silence()
    if "tensorflow" in sys.modules or not (_OURS or force):
        return
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def __getattr__(name: str):
    """`from .quiet import tf`: TensorFlow, imported quietly (photoq's modules import it so)."""
    if name == "tf":
        import_tensorflow_quietly()
        import tensorflow

        return tensorflow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
