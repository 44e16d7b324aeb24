"""Facts beside the score, the bias report and activation maps."""

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw, ImageFilter

import pyphotoq
from pyphotoq.workflow.culling import band
from pyphotoq.workflow.scorer import Scorer
from pyphotoq.workflow.facts import FACT_COLUMNS, SHARED, photo_facts, reason_text


def scene(tilt=0.0, size=(320, 240), seed=0):
    """A sky over land, the horizon tilted `tilt` degrees counter-clockwise, with fine texture."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    horizon = h / 2 - (x - w / 2) * np.tan(np.radians(tilt))
    pixels = np.where((y > horizon)[..., None], [60, 110, 40], [150, 180, 230]).astype(float)
    pixels += rng.normal(0, 6, pixels.shape)
    return np.uint8(np.clip(pixels, 0, 255))


def test_a_fact_that_is_a_statistic_is_read_from_the_statistics_layer():
    from pyphotoq.models.booster import overview_statistics
    from pyphotoq.models.statistics import NAMES

    burnt = scene()
    burnt[:60] = 255  # blown sky: the clipping facts are not zero
    burnt[-30:] = 0
    facts, statistics = photo_facts(burnt), overview_statistics(burnt)
    for name, scale in SHARED.items():
        assert facts[name] == pytest.approx(float(statistics[NAMES.index(name)]) * scale, rel=1e-6), name
    assert facts["clipped_highlights"] > 0.2 and facts["clipped_shadows"] > 0.1
    # given the statistics already measured, the facts read them and measure them no more
    given = statistics.copy()
    given[NAMES.index("brightness")] = 0.123
    assert photo_facts(burnt, given)["brightness"] == pytest.approx(0.123)
    # one measurement, one name: a fact measured otherwise bears no statistic's name
    assert not (set(FACT_COLUMNS) - set(SHARED) - {"portrait"}) & set(NAMES)


def test_facts_measure_what_they_say():
    level, tilted = photo_facts(scene()), photo_facts(scene(tilt=6))
    assert set(level) == set(FACT_COLUMNS)
    assert abs(level["tilt_degrees"]) < 0.5 and tilted["tilt_degrees"] == pytest.approx(6, abs=0.7)
    assert photo_facts(scene(tilt=-6))["tilt_degrees"] == pytest.approx(-6, abs=0.7)
    blurred = photo_facts(Image.fromarray(scene()).filter(ImageFilter.GaussianBlur(4)))
    assert blurred["sharpness"] < level["sharpness"] / 5
    assert blurred["noise"] < level["noise"]
    burnt = scene()
    burnt[:60] = 255
    facts = photo_facts(burnt)
    assert facts["clipped_highlights"] == pytest.approx(0.25, abs=0.01)
    assert facts["brightness"] > level["brightness"]
    grey = np.full((100, 150, 3), 128, np.uint8)
    assert photo_facts(grey)["colourfulness"] == 0 and photo_facts(grey)["saturation"] == 0
    assert photo_facts(grey)["portrait"] is False and photo_facts(grey[:, :80])["portrait"] is True
    text = reason_text(0.2, 0.5, {**facts, "tilt_degrees": 6.0})
    assert text.startswith("called bad (0.300 below the threshold)")
    assert "tilted +6.0°" in text and "25% blown highlights" in text


def macro(seed=0):
    """A butterfly-like macro: a bright curved subject on a dark, blurred background, no horizon."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (320, 240), (20, 30, 25))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 40, 260, 220), fill=(230, 160, 40))
    draw.ellipse((120, 70, 300, 200), fill=(250, 200, 60))
    pixels = np.asarray(image.filter(ImageFilter.GaussianBlur(1)), dtype=float) + rng.normal(0, 4, (240, 320, 3))
    return np.uint8(np.clip(pixels, 0, 255))


def test_a_tilt_is_measured_only_on_a_horizon_found_with_confidence():
    assert photo_facts(macro())["tilt_degrees"] == 0  # a curved subject is no horizon
    assert photo_facts(scene(tilt=30))["tilt_degrees"] == 0  # a diagonal is a composition, not a tilt
    assert photo_facts(scene(tilt=3))["tilt_degrees"] == pytest.approx(3, abs=0.7)


def test_reasons_name_a_fact_only_when_it_is_unusual_against_the_keepers():
    from pyphotoq.workflow.facts import keeper_ranges

    keepers = pd.DataFrame([photo_facts(scene(seed=seed)) for seed in range(20)]
                           + [photo_facts(macro(seed)) for seed in range(20)])
    ranges = keeper_ranges(keepers)
    assert ranges["tilt_degrees"][2] < 1.5 and ranges["brightness"][0] < ranges["brightness"][2]
    usual = photo_facts(macro(seed=99))  # dark background, muted: as the keepers are
    assert reason_text(0.2, 0.5, usual, keepers=ranges).endswith("; nothing stands out in the facts")
    dark = photo_facts(np.uint8(scene() * 0.2))
    text = reason_text(0.2, 0.5, dark, keepers=ranges)
    assert "darker than 95% of your keepers" in text and "tilted" not in text


def test_evaluation_and_scores_carry_facts_and_a_reason(trained_run, demo_photos):
    result = pyphotoq.evaluate_model(trained_run)
    predictions = result.predictions
    kept = pyphotoq.open_run(trained_run.path).info["keeper_facts"]  # measured once, at training
    assert set(kept) >= {"sharpness", "brightness", "tilt_degrees"} and all(len(v) == 3 for v in kept.values())
    assert list(predictions.columns[-len(FACT_COLUMNS) - 2:]) == ["margin", *FACT_COLUMNS, "reason"]
    assert np.allclose(predictions["margin"], predictions["score"] - result.threshold)
    # one decision policy: evaluation's verdict is score_photos' by score, from the same two lines
    lines = Scorer(trained_run.path).lines()
    assert (predictions["decision"] == band(predictions["score"], lines)).all()
    assert all(reason.startswith(f"{d} (") for reason, d in zip(predictions["reason"], predictions["decision"]))
    assert predictions["brightness"].between(0, 1).all()
    scores = pyphotoq.score_photos(trained_run, demo_photos / "bad", progress=False)
    assert (scores.attrs["threshold"], scores.attrs["reject_threshold"]) == (lines["keep"], lines["reject"])
    assert {"margin", *FACT_COLUMNS, "reason"} <= set(scores.columns)
    # a culled photo's reason starts with its own decision, never "called bad" on a photo in review
    scored = scores[scores["decision"] != "skipped"]
    assert all(reason.startswith(f"{decision} (") for reason, decision in zip(scored["reason"], scored["decision"]))
    row = scores.iloc[0]
    with Image.open(row["path"]) as photo:
        expected = photo_facts(photo.convert("RGB").resize(
            (trained_run.info["cache"]["width"], row_height(photo, trained_run)), Image.LANCZOS))
    assert row["brightness"] == pytest.approx(expected["brightness"], abs=0.02)


def row_height(photo, run):
    width = run.info["cache"]["width"]
    return round(photo.height * width / photo.width)


@pytest.fixture(scope="module")
def train_result(trained_run):
    return pyphotoq.evaluate_model(trained_run, split="train")


def test_bias_report_flags_a_score_that_follows_brightness(train_result):
    predictions = train_result.predictions.copy()
    brightness = predictions["brightness"]
    # planted: the score is the brightness itself, whatever the label
    predictions["score"] = (brightness - brightness.min()) / (brightness.max() - brightness.min())
    planted = pyphotoq.bias_report(dataclasses.replace(train_result, predictions=predictions))
    row = planted.set_index("variable").loc["brightness"]
    assert row["flagged"] and row["score_association"] > 0.95
    assert row["within_class"] > 0.9
    # clean: the score follows the labels and nothing else
    rng = np.random.default_rng(0)
    clean = predictions.assign(score=0.6 * (predictions["label"] == "good") + 0.4 * rng.random(len(predictions)))
    report = pyphotoq.bias_report(dataclasses.replace(train_result, predictions=clean))
    assert not report["flagged"].any(), report
    assert list(report["variable"]) == ["brightness", "saturation", "colourfulness", "aspect_ratio",
                                        "portrait", "capture_hour", "camera_model", "source_folder"]
    figure = pyphotoq.plot_bias(planted)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert "brightness  (flagged)" in labels
    figure.canvas.draw()  # the legend sits below the axes, over no point
    legend, axes = figure.axes[0].get_legend().get_window_extent(), figure.axes[0].get_window_extent()
    assert legend.y1 <= axes.y0
    # a moderate lean, as found on a real shoot (score follows saturation beyond the labels)
    ranked = predictions["saturation"].rank(pct=True)
    moderate = predictions.assign(score=0.5 * (predictions["label"] == "good") + 0.5 * ranked)
    row = pyphotoq.bias_report(dataclasses.replace(train_result, predictions=moderate)).set_index("variable")
    assert row.loc["saturation", "flagged"] == (abs(row.loc["saturation", "within_class"]) >= 0.3
                                                and row.loc["saturation", "lean"] >= 0.2)
    assert row.loc["saturation", "flagged"]


def test_explain_photos_writes_overlays(trained_run, demo_photos, tmp_path):
    photos = sorted((demo_photos / "good").glob("*.jpg"))[:3]
    table = pyphotoq.explain_photos(trained_run, photos, out=tmp_path, progress=False)
    assert list(table.columns) == ["path", "score", "decision", "explained", "peak_x", "peak_y", "overlay", "reason"]
    assert table["path"].tolist() == [str(p) for p in photos]
    # the run's scores, the photos scored together (their booster compares them with each other)
    together = tmp_path / "together"
    together.mkdir()
    for photo in photos:
        shutil.copy(photo, together / photo.name)
    scores = pyphotoq.score_photos(trained_run, together, progress=False)
    scores["name"] = scores["path"].map(lambda p: Path(p).name)
    expected = scores.set_index("name").loc[[p.name for p in photos], "score"].to_numpy()
    assert table["score"].to_numpy() == pytest.approx(expected, abs=1e-5)
    # the booster's words, as score_photos says them for the same photos
    said = scores.set_index("name").loc[[p.name for p in photos], "reason"].str.split("; why: ").str[1]
    assert table["reason"].tolist() == said.tolist() and table["reason"].str.contains("by: ").all()
    # one verdict: the decision score_photos gives by score (bursts aside) is explain_photos' decision
    decided = scores.set_index("name").loc[[p.name for p in photos]]
    by_score = decided["rule"].str.match(r"(keep: score|reject: score|review: between)").to_numpy()
    assert by_score.any()
    assert (table["decision"].to_numpy()[by_score] == decided["decision"].to_numpy()[by_score]).all()
    lines = Scorer(trained_run.path).lines()
    assert (table.attrs["threshold"], table.attrs["reject_threshold"]) == (lines["keep"], lines["reject"])
    for row in table.itertuples():
        with Image.open(row.overlay) as overlay, Image.open(row.path) as photo:
            assert overlay.format == "PNG" and overlay.width == trained_run.info["cache"]["width"]
        assert 0 <= row.peak_x <= 1 and 0 <= row.peak_y <= 1
        leans_good = row.decision == "keep" or (row.decision == "review" and row.score >= lines["f1"])
        assert row.explained == ("good" if leans_good else "bad")
    with pytest.raises(pyphotoq.PhotoqError, match="Unknown target"):
        pyphotoq.explain_photos(trained_run, photos, target="why")


def defect_photos(folder, n=80, size=(256, 192), seed=0):
    """good/: textured backgrounds; bad/: the same kind with a dark blot painted somewhere.
    Returns {path: (x, y) of the blot as fractions} for the bad photos."""
    rng = np.random.default_rng(seed)
    w, h = size
    where = {}
    for label in ("good", "bad"):
        (folder / label).mkdir(parents=True)
    for i in range(n):
        base = rng.uniform(90, 200, 3)
        y, x = np.mgrid[0:h, 0:w]
        pixels = base + 30 * np.sin(x / rng.uniform(6, 14))[..., None] * rng.uniform(-1, 1, 3)
        pixels += rng.normal(0, 8, (h, w, 3))
        image = Image.fromarray(np.uint8(np.clip(pixels, 0, 255)))
        label = "bad" if i % 2 else "good"
        if label == "bad":
            cx, cy = rng.uniform(0.15, 0.85) * w, rng.uniform(0.2, 0.8) * h
            ImageDraw.Draw(image).ellipse((cx - 18, cy - 18, cx + 18, cy + 18), fill=(20, 10, 10))
        path = folder / label / f"photo_{i:03d}.jpg"
        image.save(path, quality=92)
        if label == "bad":
            where[str(path)] = (cx / w, cy / h)
    return where


@pytest.mark.slow
def test_activation_map_lights_up_a_painted_defect(tmp_path):
    """The original GAP network, trained briefly to reject photos with a dark blot: the map of
    the 'bad' side lights up the blot, wherever it is.

    The run folder comes from train_model (two batches of the original recipe); its checkpoint
    is then replaced by the same network trained on the photos in memory at a higher learning
    rate, which learns the blot in seconds rather than minutes. explain_photos loads it from the
    run folder as always."""
    import keras

    where = defect_photos(tmp_path / "photos")
    # 256 wide: the original network pools a map 1/64 of the photo's size (4 x 3 here)
    cache = pyphotoq.build_cache(tmp_path / "photos", tmp_path / "cache", width=256,
                                 split=pyphotoq.Splitting("hash", (0.6, 0.2, 0.2)), progress=False)
    run = pyphotoq.train_model(cache, tmp_path / "run", recipe="original", batches=2, validate_every=2,
                               plot=False, progress=False)
    model = pyphotoq.build_model("original")
    assert model.count_params() == 47_266
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss="binary_crossentropy")
    manifest = cache.manifest
    images = np.stack([np.asarray(Image.open(cache.image_path(c))) for c in manifest["cached"]])
    labels = keras.utils.to_categorical((manifest["label"] == "good").to_numpy().astype(int), 2)
    model.fit(images, labels, batch_size=8, epochs=40, verbose=0, shuffle=True)
    model.save(run.checkpoint_path("best"))
    scores = model.predict(images, verbose=0)[:, 1]
    assert np.mean((scores >= 0.5) == (labels[:, 1] == 1)) > 0.9  # it has learnt the blot

    bad = list(where)
    table = pyphotoq.explain_photos(run, bad, out=tmp_path / "maps", target="bad", threshold=0.5,
                                    progress=False)
    distance = [np.hypot(row.peak_x - where[row.path][0], (row.peak_y - where[row.path][1]) * 0.75)
                for row in table.itertuples()]
    # the blot is 36 px across in a 256 px photo and the map has 4 x 3 cells (a quarter of the
    # width each): the peak falls in the blot's cell or on its edge, far closer than chance
    distance = np.array(distance)
    assert np.mean(distance < 0.25) > 0.8, sorted(distance)
    spots = np.array([where[p] for p in table["path"]])
    elsewhere = np.hypot(table["peak_x"] - np.roll(spots[:, 0], 7),
                         (table["peak_y"] - np.roll(spots[:, 1], 7)) * 0.75)
    assert np.median(distance) < 0.5 * np.median(elsewhere)
    # and the map moves with it: blots on the left peak left of blots on the right
    left = [row.peak_x for row in table.itertuples() if where[row.path][0] < 0.35]
    right = [row.peak_x for row in table.itertuples() if where[row.path][0] > 0.65]
    assert np.median(left) < 0.4 < 0.6 < np.median(right)
