"""What learns and scores: the batch stream, the statistics, the networks and recipes, the
gradient-boosted statistics model, the run folder, scoring cached photos.

The layers and where to change what: docs/architecture.md."""
