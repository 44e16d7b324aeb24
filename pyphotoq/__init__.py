"""photoq: learn a photographer's taste from good/bad folders and score new photos.

The cache functions import quickly; everything that needs TensorFlow is imported on first use.
"""

__version__ = "0.1.0"

from .cache import open_cache  # noqa: E402
from .cache_build import build_cache  # noqa: E402
from .culling import Culling  # noqa: E402
from .demo import make_demo_photos  # noqa: E402
from .envfile import write_conda_env  # noqa: E402
from .errors import PhotoqError  # noqa: E402
from .recipes import Recipe  # noqa: E402
from .sources import Labelling  # noqa: E402
from .splits import Splitting  # noqa: E402

_LAZY = {
    "build_model": "recipes",
    "train_model": "training",
    "open_run": "runs",
    "evaluate_model": "evaluation",
    "evaluate_checkpoints": "evaluation",
    "score_photos": "scoring",
    "plot_roc": "plots",
    "plot_history": "plots",
    "contact_sheet": "plots",
    "plot_bias": "plots",
    "roc_plot_data": "plotdata",
    "history_plot_data": "plotdata",
    "contact_sheet_data": "plotdata",
    "bias_report": "bias",
    "bias_plot_data": "bias",
    "explain_photos": "explain",
    "report": "html_report",
    "training_batches": "batches",
    "ordered_batches": "batches",
    "sweep_runs": "cluster",
    "undo_sidecars": "xmp",
    "ask_photos": "scoring",
    "learn_corrections": "learning",
    "review": "review_server",
}

__all__ = [
    "build_cache", "open_cache", "make_demo_photos", "write_conda_env", "PhotoqError", "Culling", "Labelling",
    "Splitting", "Recipe", *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        if _LAZY[name] != "xmp":
            from .quiet import import_tensorflow_quietly

            import_tensorflow_quietly()  # its start-up lines silenced, unless TF_CPP_MIN_LOG_LEVEL is set

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'pyphotoq' has no attribute {name!r}")
