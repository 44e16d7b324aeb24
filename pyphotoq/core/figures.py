"""A picture's canvas and how it is saved, the same for every picture photoq draws: its own
matplotlib Figure with the Agg canvas (no display, no pyplot state), saved through a temporary
file and a rename, a PNG tagged with photoq's name."""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .files import write_atomic
from .outputs import PICTURE_SOFTWARE, check_output

DPI = 120


def new_figure(width: float, height: float, layout: str | None = None) -> Figure:
    """A figure of `width` x `height` inches on its own Agg canvas."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(figure)
    return figure


def finish(figure: Figure, file) -> Figure:
    """Save `figure` to `file` (if given; the format from its extension) through a temporary file
    and a rename, and return it."""
    if file is not None:
        path = check_output(file, "picture", "picture")
        kind = path.suffix.lstrip(".").lower() or "png"
        buffer = io.BytesIO()
        figure.savefig(buffer, format=kind, dpi=DPI,
                       metadata={"Software": PICTURE_SOFTWARE} if kind == "png" else None)
        write_atomic(path, buffer.getvalue())
    return figure
