# photoq quick start in Python: the whole workflow on demo photos, line for line the same as
# examples/quickstart.R. Usage: python examples/quickstart.py [output folder]
# (needs pyphotoq installed: pip install -e .)
import sys
from pathlib import Path

import pyphotoq as pq

out = Path(sys.argv[1] if len(sys.argv) > 1 else "quickstart-py")

photos = pq.make_demo_photos(out / "photos", n_photos=160, size=(256, 192), seed=0)
cache = pq.build_cache(photos, out / "cache", width=128)
run = pq.train_model(cache, out / "run", batches=400)  # the default recipe, a shorter run
print(run)
result = pq.evaluate_model(run, split="test")
print(result)
pq.plot_roc(result, file=out / "roc.png")
pq.plot_history(run, file=out / "history.png")
pq.contact_sheet(result, file=out / "contact_sheet.png")
new_trip = pq.make_demo_photos(out / "new_trip", n_photos=20, size=(256, 192), seed=1)
scores = pq.score_photos(run, new_trip)
scores.to_csv(out / "new_trip_scores.csv", index=False)
print((scores["decision"] == "keep").sum(), "of", len(scores), "new photos to keep")
