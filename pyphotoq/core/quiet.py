"""TensorFlow without its start-up lines: photoq imports it through `import_tensorflow_quietly`.

TensorFlow's C++ libraries print device probes, CPU-feature notes and, on a machine without a
GPU, a failed CUDA call ("failed call to cuInit") as they load and first run, whatever Python's
logging says. photoq silences them for the command line, Python and R alike, whenever it is
photoq that imports TensorFlow, unless the user asked for them by setting TF_CPP_MIN_LOG_LEVEL
themselves; `import pyphotoq` itself changes nothing.
"""

from __future__ import annotations

import os
import sys


def import_tensorflow_quietly(force: bool = False) -> None:
    """Import TensorFlow (once) with its C++ log level at errors-off while it loads and the lines
    printed meanwhile sent nowhere. The level TensorFlow reads as it loads stays its level for the
    process (no "failed call to cuInit" later either), and the environment is left as it was: the
    library changes no setting of the user's. Nothing happens when the user set
    TF_CPP_MIN_LOG_LEVEL themselves, unless `force` (the command line, which sets it for its Dask
    workers, and those workers)."""
    if "tensorflow" in sys.modules:
        return
    asked = "TF_CPP_MIN_LOG_LEVEL" in os.environ
    if asked and not force:
        return
    if not asked:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
        if not asked:
            del os.environ["TF_CPP_MIN_LOG_LEVEL"]


def __getattr__(name: str):
    """`from .quiet import tf`: TensorFlow, imported quietly (photoq's modules import it so)."""
    if name == "tf":
        import_tensorflow_quietly()
        import tensorflow

        return tensorflow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
