"""What a user runs: training, evaluation, scoring new photos (keep / review / reject),
explanations, learning from corrections, a run's history picture.

The layers and where to change what: docs/architecture.md."""
