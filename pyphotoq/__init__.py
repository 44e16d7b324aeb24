"""photoq: learn a photographer's taste from good/bad folders and score new photos.

The cache functions import quickly; everything that needs TensorFlow is imported on first use.
"""

__version__ = "0.1.0"

from .data.cache import open_cache  # noqa: E402
from .data.cache_build import build_cache  # noqa: E402
from .workflow.culling import Culling  # noqa: E402
from .demo import make_demo_photos  # noqa: E402
from .core.envfile import write_conda_env  # noqa: E402
from .core.errors import PhotoqError  # noqa: E402
from .models.recipes import Recipe  # noqa: E402
from .photos.sources import Labelling  # noqa: E402
from .photos.splits import Splitting  # noqa: E402

_LAZY = {
    "build_model": "models.recipes",
    "train_model": "workflow.training",
    "open_run": "models.runs",
    "evaluate_model": "workflow.evaluation",
    "evaluate_checkpoints": "workflow.evaluation",
    "score_photos": "workflow.scoring",
    "plot_roc": "reporting.plots",
    "plot_history": "reporting.plots",
    "contact_sheet": "reporting.plots",
    "plot_bias": "reporting.plots",
    "roc_plot_data": "reporting.plotdata",
    "history_plot_data": "reporting.plotdata",
    "contact_sheet_data": "reporting.plotdata",
    "bias_report": "reporting.bias",
    "bias_plot_data": "reporting.bias",
    "explain_photos": "workflow.explain",
    "report": "reporting.html_report",
    "training_batches": "models.batches",
    "ordered_batches": "models.batches",
    "sweep_runs": "cluster",
    "undo_sidecars": "photos.xmp",
    "ask_photos": "workflow.scoring",
    "learn_corrections": "workflow.learning",
    "review": "reporting.review_server",
}

__all__ = [
    "build_cache", "open_cache", "make_demo_photos", "write_conda_env", "PhotoqError", "Culling", "Labelling",
    "Splitting", "Recipe", *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        if _LAZY[name] != "photos.xmp":
            from .core.quiet import import_tensorflow_quietly

            import_tensorflow_quietly()  # its start-up lines silenced, unless TF_CPP_MIN_LOG_LEVEL is set

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'pyphotoq' has no attribute {name!r}")
