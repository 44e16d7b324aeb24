"""Activation maps: which part of a photo pushed its score up or down.

Grad-CAM on the feature map that feeds the model's global pooling: the layer named
"features" if the model has one, else the input of its GlobalAveragePooling2D layer. The
gradient of the score's logit (log p(good) - log p(bad), taken before the softmax when the
head is a softmax Dense layer) with respect to that feature map, averaged over the map, weighs
its channels; their weighted sum is the map. For the original global-average-pooling network
this is exactly the class activation map (CAM): the head's weights on each channel.

A map is signed: positive where the photo looks 'good' to the model, negative where it looks
'bad'. `explain_photos` shows the side of the decision (or the side asked for) as a heat-map
overlay on the photo, as the model saw it (at the run's cache width).
"""

from __future__ import annotations

import hashlib
import io
import os
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from ..core.progress import tqdm

from ..core.errors import PhotoqError
from ..core.files import write_atomic
from ..photos.images import UnusablePhoto
from ..core.outputs import PICTURE_SOFTWARE, check_output, check_output_folder, own_folder
from ..models.runs import Run, open_run

EXPLAIN_COLUMNS = ["path", "score", "decision", "explained", "peak_x", "peak_y", "overlay", "reason"]
TARGETS = ("decision", "good", "bad")
_EXPLAINERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def feature_map_layer(model):
    """The tensor whose spatial map the model pools: layer 'features', else the input of its
    GlobalAveragePooling2D layer."""
    from ..core.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras

    names = [layer.name for layer in model.layers]
    if "features" in names:
        return model.get_layer("features").output
    for layer in model.layers:
        if isinstance(layer, keras.layers.GlobalAveragePooling2D):
            return layer.input
    raise PhotoqError(f"The model {model.name} has no GlobalAveragePooling2D layer and no layer "
                      "named 'features': no activation map can be drawn")


def _explainer(model):
    """A function from a (1, height, width, 3) uint8 tensor (a two-view model: a dict of the
    overview "pixels" and the detail "patches") to (score, signed map of the overview at the
    feature map's resolution)."""
    if model in _EXPLAINERS:
        return _EXPLAINERS[model]
    from ..core.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras
    from ..core.quiet import tf

    from ..models.model import views_of
    from ..models.prediction import input_signature

    views = views_of(model)
    two_view = len(views) > 1
    if len(model.inputs) != len(views):
        raise PhotoqError(f"The model {model.name} takes {len(model.inputs)} inputs: activation maps "
                          "need a model of one image input, or one input per view it reads")
    features = feature_map_layer(model)
    head = model.layers[-1]
    softmax_head = (isinstance(head, keras.layers.Dense)
                    and getattr(head.activation, "__name__", "") == "softmax")
    outputs = [features, head.input if softmax_head else model.output]
    inner = keras.Model(model.input if two_view else model.inputs, outputs)
    signature = input_signature(views)

    @tf.function(input_signature=[signature])
    def explain(images):
        with tf.GradientTape() as tape:
            maps, last = inner(images, training=False)
            tape.watch(maps)
            if softmax_head:
                kernel, bias = head.kernel, head.bias
                logits = tf.matmul(last, kernel) + bias
                logit = logits[:, 1] - logits[:, 0]
                score = tf.nn.softmax(logits)[:, 1]
            else:
                probabilities = tf.clip_by_value(last, 1e-7, 1 - 1e-7)
                logit = tf.math.log(probabilities[:, 1]) - tf.math.log(probabilities[:, 0])
                score = last[:, 1]
        gradients = tape.gradient(logit, maps)
        weights = tf.reduce_mean(gradients, axis=[1, 2], keepdims=True)
        return score, tf.reduce_sum(weights * maps, axis=-1)

    _EXPLAINERS[model] = explain
    return explain


def activation_map(model, pixels, patches=None) -> tuple[float, np.ndarray]:
    """(score, signed map) of one photo, an (height, width, 3) uint8 array (and, for a two-view
    model, its detail patches); the map has the photo's size, positive where it looks good to
    the model, negative where it looks bad."""
    pixels = np.asarray(pixels, dtype=np.uint8)
    score, small = _feature_map(model, pixels, patches)
    return score, _to_size(small, pixels.shape[:2])


def _feature_map(model, pixels, patches=None) -> tuple[float, np.ndarray]:
    """(score, signed map at the feature map's resolution: a few hundred numbers) of a photo's
    overview `pixels` and, for a model of more views, `patches`: its detail patches, or a list
    of its pixels of each view after the overview."""
    return _map_of(model, _inputs(model, pixels, patches))


def _inputs(model, pixels, patches=None):
    """A batch of one photo as the model takes it (the overview alone, or a dict of each view's
    input)."""
    from ..models.model import views_of
    from ..data.views import view_kind

    if patches is None:
        return pixels[None]
    others = patches if isinstance(patches, list) else [patches]
    views = views_of(model)
    return {view_kind(view).input: np.asarray(p, dtype=np.uint8)[None] for view, p in zip(views, [pixels, *others])}


def _map_of(model, given) -> tuple[float, np.ndarray]:
    score, small = _explainer(model)(given)
    return float(score.numpy()[0]), small.numpy()[0].astype(np.float32)


def _to_size(small: np.ndarray, shape) -> np.ndarray:
    height, width = shape
    return np.asarray(Image.fromarray(small, mode="F").resize((width, height), Image.BILINEAR))


def _packed(pixels: np.ndarray) -> bytes:
    """A photo kept until its overlay is drawn: a JPEG in memory (tens of kB, not its pixels), so
    that explaining thousands of photos holds no more than explaining a few hundred."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def overlay(pixels, heat: np.ndarray, alpha: float = 0.55) -> Image.Image:
    """`heat` (0 to 1) as a heat map over the photo: transparent where 0, hot where 1."""
    from matplotlib import colormaps

    heat = np.clip(np.nan_to_num(heat), 0, 1)
    colours = colormaps["inferno"](heat)[..., :3] * 255
    weight = (alpha * np.sqrt(heat))[..., None]
    base = np.asarray(pixels, dtype=np.float64) * 0.85
    return Image.fromarray(np.uint8(np.clip(base * (1 - weight) + colours * weight, 0, 255)))


def explain_photos(run, photos, out=None, target: str = "decision", threshold: float | None = None,
                   checkpoint="best", progress: bool | None = None) -> pd.DataFrame:
    """Activation maps of photos: a folder (searched recursively), a photo, or a list of photos.

    Each photo is opened as scoring opens it (upright, at the run's cache width), scored (with a
    run's booster, the photos are scored together, as `score_photos` scores a folder; the map
    shows the network's evidence), and its map written as a PNG overlay into `out` (default
    RUN/explain). `target` says which side to
    show: 'decision' (the side the photo was called on: good for a keeper, bad for a reject, and for
    a photo in review the side of the max-F1 threshold), 'good' or 'bad'. Returns a table of path,
    score, decision (keep, review or reject: the verdict score_photos and evaluate_model give the
    photo among the photos explained together, from the keep and reject lines chosen on validation,
    then the burst and sequence rules, pyphotoq.workflow.culling; one cut at `threshold` when given),
    explained (the side shown), peak_x and peak_y (where the map is hottest, as fractions of the
    width from the left and of the height from the top), overlay (the PNG) and reason (with a
    booster, the two or three features that moved the score most, in words, as `score_photos`
    says them; the map shows the network's part); photos that cannot be opened get an empty
    overlay and the reason in decision.
    """
    from .culling import EXIF_NUMBERS, Culling, originals_exif
    from ..photos.sources import walk_images

    culling = Culling(threshold=threshold)  # checked before any work
    run = run if isinstance(run, Run) else open_run(run)
    if target not in TARGETS:
        raise PhotoqError(f"Unknown target {target!r}: use one of {', '.join(TARGETS)}")
    if isinstance(photos, (str, os.PathLike)):
        source = Path(photos).expanduser()
        if source.is_dir():
            paths = walk_images(source)
        elif source.is_file():
            paths = [str(source)]
        else:
            raise PhotoqError(f"No photo or folder at {source}")
    else:
        paths = [str(Path(p).expanduser()) for p in photos]
    if not paths:
        raise PhotoqError(f"No photos to explain in {photos}")
    classes = run.info["classes"]
    folder = check_output_folder(out, "overlay folder") if out is not None else own_folder(run.path, "explain")
    from ..models.booster import batch_statistics
    from ..models.model import views_of
    from ..models.runs import view_specs
    from .scorer import Scorer

    scoring = Scorer(run, checkpoint)  # the one scorer; the map needs the whole network
    model = scoring.model
    specs, views = view_specs(run), views_of(model)
    booster = scoring.booster
    manifest = _manifest_of(run)  # a cached photo's scene and original
    opened, skipped = [], {}
    for path in tqdm(paths, desc="Explaining", unit="photo", disable=None if progress is None else not progress):
        try:
            made, scene = _views_of_photo(path, specs, views, manifest)
        except (UnusablePhoto, OSError, ValueError) as error:
            skipped[path] = str(error)
            continue
        pixels = np.asarray(made[0], dtype=np.uint8)
        given = _inputs(model, pixels, made[1:] or None)
        score, small = _map_of(model, given)
        measured = batch_statistics(given)[0] if booster is not None else None
        opened.append((path, _packed(pixels), small, score, measured, scene))
    # the run's score: scored together, as score_photos does
    together = pd.DataFrame([{"hash": o[0], **o[5]} for o in opened], columns=["hash", "taken", "look"])
    statistics = np.stack([o[4] for o in opened]) if booster is not None and opened else None
    scores = scoring.combine(np.array([o[3] for o in opened], dtype=float), statistics, together)
    why = (scoring.reasons(statistics, together) if statistics is not None else None) or [""] * len(opened)
    # the one decision policy, as score_photos decides the same photos scored together
    # (a cached photo by its original's path, with its original's EXIF)
    shoot = pd.DataFrame([{"path": o[5].get("original") or o[0], **o[5]} for o in opened],
                         columns=["path", "sha256", "taken", "look", "original", *EXIF_NUMBERS])
    cached = shoot["original"].notna().to_numpy()
    if cached.any():
        read = originals_exif(shoot, shoot["original"].where(cached, None))
        shoot.loc[cached, EXIF_NUMBERS] = read.loc[cached, EXIF_NUMBERS]
    shoot = shoot.drop(columns="original").rename(columns={"sha256": "hash"}).assign(score=scores)
    decided, lines = scoring.decide(shoot, culling)
    explained = {}
    for (path, packed, small, *_), score, reason, decision in zip(opened, scores, why, decided["decision"]):
        with Image.open(io.BytesIO(packed)) as image:
            pixels = np.asarray(image.convert("RGB"))
        signed = _to_size(small, pixels.shape[:2])
        good = decision == "keep" or (decision == "review" and score >= lines["f1"])
        side = {"decision": classes["positive"] if good else classes["negative"],
                "good": classes["positive"], "bad": classes["negative"]}[target]
        heat = np.maximum(signed if side == classes["positive"] else -signed, 0)
        peak = heat.max()
        heat = heat / peak if peak > 0 else heat
        y, x = np.unravel_index(int(np.argmax(heat)), heat.shape)
        name = f"{Path(path).stem}-{hashlib.sha256(path.encode()).hexdigest()[:10]}.png"
        _save_png(overlay(pixels, heat), folder / name)
        explained[path] = [path, float(score), decision, side,
                           (x + 0.5) / heat.shape[1], (y + 0.5) / heat.shape[0], str(folder / name), reason]
    rows = [explained.get(path) or [path, np.nan, f"skipped: {skipped[path]}", "", np.nan, np.nan, "", ""]
            for path in paths]
    table = pd.DataFrame(rows, columns=EXPLAIN_COLUMNS)
    table.attrs["threshold"] = float(lines["keep"])
    table.attrs["reject_threshold"] = float(lines["reject"])
    table.attrs["rule"] = lines["rule"]
    return table


def _manifest_of(run) -> pd.DataFrame | None:
    """The run's cache manifest indexed by hash (capture times, looks and originals of cached
    photos), or None when the cache cannot be opened (its photos are then scored without their
    scene)."""
    try:
        return run.open_cache().manifest.set_index("hash")
    except PhotoqError:
        return None


def _views_of_photo(path: str, specs: dict, views, manifest=None) -> tuple[list, dict]:
    """([the photo's pixels of each of `views`], {taken, look, sha256, and the culling rules' EXIF
    (culling.shot_exif) or the path of the original that holds it}) as the model sees it: a cached
    overview file (views/overview/<hh>/<hash>.jpg) with its other views' cached files beside it,
    found by the cache's one rule (cache_format.view_file; taken, look and original from the
    cache's manifest), or any other photo made into each view as scoring makes it."""
    import hashlib

    from ..data.cache_format import OVERVIEW, view_file
    from .culling import shot_exif
    from ..photos.images import read_photo_bytes
    from ..data.views import source_views, view_kind

    file = Path(path)
    root = file.parent.parent.parent.parent
    if file.parent.parent.name == OVERVIEW and file.parent.parent.parent.name == "views":
        digest, info = file.stem, {"views": specs}
        files = [file, *(root / view_file(digest, view, info) for view in views[1:])]
        if all(f.is_file() for f in files[1:]):
            made = []
            for view, cached in zip(views, files):
                with Image.open(cached) as image:
                    made.append(view_kind(view).pixels(np.asarray(image.convert("RGB")), specs[view]))
            scene = {"taken": "", "look": "", "sha256": digest}
            if manifest is not None and digest in manifest.index:
                row = manifest.loc[digest]
                scene.update(taken=row.get("taken", ""), look=row.get("look", ""), original=str(row["original"]))
            return made, scene
    data = read_photo_bytes(path)
    made, scene = source_views(data, specs, views)
    return made, {**scene, "sha256": hashlib.sha256(data).hexdigest(), **shot_exif(data)}


def _save_png(image: Image.Image, path: Path) -> None:
    from PIL.PngImagePlugin import PngInfo

    check_output(path, "picture", "overlay")
    info = PngInfo()
    info.add_text("Software", PICTURE_SOFTWARE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    write_atomic(path, buffer.getvalue())
