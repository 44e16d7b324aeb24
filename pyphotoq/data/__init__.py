"""The on-disk cache: its format (one path rule, tables read and checked), how each view is made,
the opened cache, building it, the measurements kept beside it. Imports only photos and core.

The layers and where to change what: docs/architecture.md."""
