"""The detail view: native-resolution patches chosen by one deterministic rule, the
two-view batch stream and model, the overview-only fallback, and scoring that sees new photos
exactly as cached ones."""

import hashlib
import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageOps

import pyphotoq
from pyphotoq.models.batches import ordered_batches, training_batches
from pyphotoq.data.views import cached_view_pixels
from pyphotoq.photos.detail import DEFAULT_SPEC, decode_native, make_patches, patch_cells, split_patches
from pyphotoq.photos.images import open_photo

SIZE = 96  # patch size in these tests (the default is 192)


def photo_bytes(pixels, orientation=1, kind="JPEG") -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    options = {"quality": 95} if kind == "JPEG" else {}
    Image.fromarray(pixels).save(buffer, kind, exif=exif, **options)
    return buffer.getvalue()


def textured(height=420, width=620, seed=0):
    """A smooth gradient with a few sharp, busy squares: where the detail is, is known."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([60 + 100 * x / width, 80 + 60 * y / height, 120 + 0 * x], axis=-1)
    for top, left in ((20, 30), (300, 480), (150, 400)):
        region = base[top : top + 90, left : left + 90]
        region[...] = rng.integers(0, 256, region.shape)
    return base.astype(np.uint8)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_patches_are_upright_native_crops_for_every_orientation(orientation):
    spec = dict(DEFAULT_SPEC, size=SIZE)
    for kind in ("PNG", "JPEG"):
        data = photo_bytes(textured(), orientation, kind)
        upright = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
        if kind == "JPEG":  # the same decoder, so the same pixels
            stored, _ = decode_native(data, spec["max_pixels"])
            stored = np.asarray(stored)
            turned = Image.fromarray(stored)
            upright = np.asarray(ImageOps.exif_transpose(_with_orientation(turned, orientation)))
        opened = open_photo(data, 160)
        strip = np.asarray(make_patches(data, spec, opened))
        assert strip.shape == (6 * SIZE, SIZE, 3)
        stored_size = (upright.shape[1], upright.shape[0]) if orientation < 5 else (upright.shape[0], upright.shape[1])
        cells = patch_cells(np.asarray(opened.image), stored_size, orientation, spec)
        assert len(set(cells)) == 6  # six different cells
        for k, (x, y) in enumerate(cells):
            np.testing.assert_array_equal(strip[k * SIZE:(k + 1) * SIZE], upright[y:y + SIZE, x:x + SIZE])


def _with_orientation(image, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=exif)
    return Image.open(io.BytesIO(buffer.getvalue()))


def test_the_rule_takes_the_centre_the_busiest_and_the_smoothest_cells():
    spec = dict(DEFAULT_SPEC, size=SIZE, patches=4, textured=2)
    pixels = textured()
    data = photo_bytes(pixels, kind="PNG")
    opened = open_photo(data, 310)
    cells = patch_cells(np.asarray(opened.image), (620, 420), 1, spec)
    # cells of 96 px on a centred grid (6 x 4 cells; the offset rounded down to 16 px)
    assert all(x % 16 == 0 and y % 16 == 0 for x, y in cells)
    centre_x, centre_y = cells[0][0] + SIZE / 2, cells[0][1] + SIZE / 2
    assert abs(centre_x - 310) <= SIZE / 2 and abs(centre_y - 210) <= SIZE / 2
    busy = [(20, 30), (300, 480), (150, 400)]

    def overlap(cell, square):
        (x, y), (top, left) = cell, square
        return max(0, min(x + SIZE, left + 90) - max(x, left)) * max(0, min(y + SIZE, top + 90) - max(y, top))

    for cell in cells[1:3]:  # the two most textured cells hold a busy square
        assert max(overlap(cell, square) for square in busy) > 2000, cell
    assert max(overlap(cells[3], square) for square in busy) == 0  # the smoothest holds none


def test_small_and_very_large_photos_have_documented_patches():
    spec = dict(DEFAULT_SPEC, size=SIZE)
    small = photo_bytes(textured(70, 100))  # short side under the patch size: enlarged
    strip = np.asarray(make_patches(small, spec, open_photo(small, 100)))
    assert strip.shape == (6 * SIZE, SIZE, 3)  # six patches, cells repeating in rule order
    large = photo_bytes(textured(1300, 1600))  # 2.1 MP over a 1 MP limit: decoded at 1/2
    pixels, _ = decode_native(large, 1_000_000)
    assert pixels.shape == (650, 800, 3)
    strip = np.asarray(make_patches(large, dict(spec, max_pixels=1_000_000), open_photo(large, 160)))
    assert strip.shape == (6 * SIZE, SIZE, 3)


def test_detail_files_never_change_between_builds(tmp_path):
    photos = pyphotoq.make_demo_photos(tmp_path / "photos", n_photos=6, size=(400, 300), seed=3)
    first = pyphotoq.build_cache(photos, tmp_path / "one", width=96, progress=False)
    second = pyphotoq.build_cache(photos, tmp_path / "two", width=96, progress=False, workers=1)
    files = [pd.read_csv(c.path / "files.csv").drop(columns="mtime_ns") for c in (first, second)]
    pd.testing.assert_frame_equal(*files)
    detail = files[0][files[0]["view"] == "detail"]
    assert len(detail) == 6
    for row in detail.itertuples():
        data = first.view_path(row.hash, "detail").read_bytes()
        assert hashlib.sha256(data).hexdigest() == row.sha256
        # the patches are what the same function makes from the source, through the same encoding
        source = first.manifest.set_index("hash").loc[row.hash, "original"]
        source_bytes = open(source, "rb").read()
        made = cached_view_pixels(source_bytes, first.info["views"]["detail"], open_photo(source_bytes, 96))
        cached = split_patches(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), first.info["views"]["detail"])
        np.testing.assert_array_equal(made, cached)


def test_a_cache_without_detail_gets_only_the_patches_on_the_next_build(tmp_path):
    photos = pyphotoq.make_demo_photos(tmp_path / "photos", n_photos=6, size=(400, 300), seed=4)
    folder = tmp_path / "cache"
    plain = pyphotoq.build_cache(photos, folder, width=96, detail=False, progress=False)
    assert plain.views == ["overview"]
    overviews = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (folder / "views").rglob("*.jpg")}
    manifest = (folder / "manifest.csv").read_bytes()
    again = pyphotoq.build_cache(photos, folder, width=96, detail=False, progress=False)
    assert again.views == ["overview"]  # asked not to: nothing declared
    upgraded = pyphotoq.build_cache(photos, folder, width=96, progress=False)
    assert upgraded.views == ["overview", "detail"] and upgraded.summary.added == 0
    assert len(upgraded.summary.repaired) == 0  # new files, not repairs
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (folder / "views" / "overview").rglob("*.jpg")} == overviews
    assert (folder / "manifest.csv").read_bytes() == manifest
    assert json.loads((folder / "cache.json").read_text())["views"]["detail"]["make"] == "patches"
    kept = pyphotoq.build_cache(photos, folder, width=96, detail=False, progress=False)
    assert kept.views == ["overview", "detail"]  # detail=False never removes a view


def test_the_two_view_stream_holds_the_same_photos_as_the_overview_stream(small_cache):
    overview = next(iter(training_batches(small_cache, batch_size=4, seed=5, start=7, stop=8)))
    both = next(iter(training_batches(small_cache, batch_size=4, seed=5, start=7, stop=8,
                                      views=("overview", "detail"))))
    images, targets = overview
    views, both_targets = both
    np.testing.assert_array_equal(images.numpy(), views["pixels"].numpy())
    np.testing.assert_array_equal(targets.numpy(), both_targets.numpy())
    spec = small_cache.info["views"]["detail"]
    assert tuple(views["patches"].shape) == (4, spec["patches"], spec["size"], spec["size"], 3)
    dataset, order = ordered_batches(small_cache, small_cache.split("test"), 8, ("overview", "detail"))
    first, _ = next(iter(dataset))
    digest = small_cache.split("test")["hash"].iloc[order[0]]
    cached = split_patches(np.asarray(Image.open(small_cache.view_path(digest, "detail")).convert("RGB")), spec)
    np.testing.assert_array_equal(first["patches"].numpy()[0], cached)


def test_unknown_views_and_a_missing_view_are_refused(tmp_path, small_cache):
    with pytest.raises(pyphotoq.PhotoqError, match="views must be the overview"):
        training_batches(small_cache, views=("detail",))
    photos = pyphotoq.make_demo_photos(tmp_path / "photos", n_photos=8, size=(128, 96), seed=2)
    plain = pyphotoq.build_cache(photos, tmp_path / "plain", width=64, detail=False, progress=False)
    with pytest.raises(pyphotoq.PhotoqError, match="has no detail view: build it again"):
        training_batches(plain, views=("overview", "detail"))


@pytest.mark.parametrize("detail_branch", [False, True])
def test_two_view_network_pools_patches_and_saves(tmp_path, detail_branch):
    import keras

    model = pyphotoq.build_model("two-view", seed=0, detail_branch=detail_branch)
    assert ("detail_features" in [layer.name for layer in model.layers]) == detail_branch
    assert {t.name.split(":")[0] for t in model.inputs} == {"pixels", "patches"}
    pixels = np.random.default_rng(0).integers(0, 256, (2, 64, 96, 3), dtype=np.uint8)
    patches = np.random.default_rng(1).integers(0, 256, (2, 6, 48, 48, 3), dtype=np.uint8)
    scores = model({"pixels": pixels, "patches": patches}, training=False).numpy()
    assert scores.shape == (2, 2) and np.allclose(scores.sum(axis=1), 1, atol=1e-5)
    # the patches count: changing one photo's patches changes that photo's score only
    changed = patches.copy()
    changed[0] = 255 - changed[0]
    again = model({"pixels": pixels, "patches": changed}, training=False).numpy()
    assert not np.allclose(again[0], scores[0]) and np.allclose(again[1], scores[1], atol=1e-6)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(loaded({"pixels": pixels, "patches": patches}, training=False).numpy(), scores,
                               atol=1e-6)


def test_default_falls_back_to_the_overview_model_once(tmp_path, capfd, demo_photos):
    plain = pyphotoq.build_cache(demo_photos, tmp_path / "plain", width=96, detail=False,
                                 split=pyphotoq.Splitting(fractions=(0.6, 0.2, 0.2)), progress=False)
    capfd.readouterr()
    run = pyphotoq.train_model(plain, tmp_path / "run", batches=2, validate_every=2, progress=False, plot=False)
    assert run.settings["recipe"] == "two-branch"
    assert "has no detail view: training the overview-only default recipe 'two-branch'" in capfd.readouterr().err
    pyphotoq.train_model(plain, tmp_path / "run2", batches=2, validate_every=2, progress=False, plot=False)
    assert "has no detail view" not in capfd.readouterr().err  # said once
    with pytest.raises(pyphotoq.PhotoqError, match="needs the cache's detail view.*build_cache"):
        pyphotoq.train_model(plain, tmp_path / "run3", recipe="two-view", batches=2, progress=False)


def test_scoring_from_source_files_matches_evaluation(tmp_path):
    """New photos are seen exactly as cached ones: a two-view run scores a cached photo from its
    source file as evaluation scores it from the cache."""
    photos = pyphotoq.make_demo_photos(tmp_path / "photos", n_photos=80, size=(320, 240), seed=1)
    cache = pyphotoq.build_cache(photos, tmp_path / "cache", width=96,
                                 split=pyphotoq.Splitting(fractions=(0.6, 0.2, 0.2)),
                                 progress=False)
    run = pyphotoq.train_model(cache, tmp_path / "run", batches=4, validate_every=4, progress=False, plot=False)
    assert run.settings["recipe"] == "two-view" and set(run.info["cache"]["views"]) == {"overview", "detail"}
    evaluated = pyphotoq.evaluate_model(run, split="test").predictions.set_index("original")["score"]
    test_photos = tmp_path / "test_photos"
    for original in evaluated.index:
        target = test_photos / f"{hashlib.sha256(original.encode()).hexdigest()[:12]}.jpg"
        target.parent.mkdir(exist_ok=True)
        shutil.copy2(original, target)
    scored = pyphotoq.score_photos(run, test_photos, progress=False)
    by_content = {hashlib.sha256(open(p, "rb").read()).hexdigest(): s for p, s in zip(scored["path"], scored["score"])}
    manifest = cache.manifest.set_index("original")
    differences = [abs(by_content[manifest.loc[o, "hash"]] - s) for o, s in evaluated.items()]
    assert len(differences) == len(evaluated) >= 4
    assert max(differences) < 1e-5  # the stated tolerance: float rounding only


def test_statistics_are_encoded_piecewise_linearly_between_training_quantiles(tmp_path):
    import keras

    from pyphotoq.models.statistics import PiecewiseLinear

    layer = PiecewiseLinear(4)
    values = np.stack([np.arange(101, dtype=np.float32), 10 * np.arange(101, dtype=np.float32)], axis=1)
    layer.adapt(values)
    np.testing.assert_allclose(layer.boundaries.numpy()[:, 0], [0, 25, 50, 75, 100])
    np.testing.assert_allclose(layer.boundaries.numpy()[:, 1], [0, 250, 500, 750, 1000])
    encoded = layer(np.array([[-5.0, 2000.0], [37.5, 625.0]], dtype=np.float32)).numpy()
    # below every bin: all 0; above: all 1; halfway through the second bin: 1, 0.5, 0, 0
    np.testing.assert_allclose(encoded[0], [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_allclose(encoded[1], [1, 0.5, 0, 0, 1, 1, 0.5, 0])
    # the boundaries travel with a saved model
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(loaded.predict(np.array([[37.5, 625.0]], np.float32), verbose=0)[0], encoded[1])


def test_training_fits_the_encodings_to_the_training_photos(small_cache):
    from pyphotoq.models.statistics import PiecewiseLinear
    from pyphotoq.workflow.training import adapt_statistics

    model = pyphotoq.build_model("two-view", seed=0)
    layers = [layer for layer in model.layers if isinstance(layer, PiecewiseLinear)]
    assert [layer.name for layer in layers] == ["statistics_bins", "detail_statistics_bins"]
    before = [layer.boundaries.numpy().copy() for layer in layers]
    adapt_statistics(model, small_cache, seed=0)
    for layer, old in zip(layers, before):
        edges = layer.boundaries.numpy()
        assert not np.allclose(edges, old) and (np.diff(edges, axis=0) >= 0).all()
