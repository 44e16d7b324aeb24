"""The bottom layer: one-line errors, the shared settings declared once, atomic writes inside a
folder, the output-path rule, progress bars, a quiet TensorFlow import, the Dask client and a
picture's canvas. It imports nothing else of photoq.

The layers and where to change what: docs/architecture.md."""
