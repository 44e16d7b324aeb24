"""What a user reads: the one source of every plot's table, the pictures, the bias report, the
HTML report and the review page.

The layers and where to change what: docs/architecture.md."""
