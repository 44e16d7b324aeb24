"""Photos and their folders: the view registry, opening any photo upright (JPEG, RAW, HEIC), its
EXIF, the detail view's patches, walking photo folders and reading their labels, scenes and
splits, XMP sidecars and catalogues. Imports only core.

The layers and where to change what: docs/architecture.md."""
