"""Taste, not traces: labels confounded with edits are said, an edit moves a score less than a
defect does, and the booster's part of a score is said in words."""

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageEnhance, ImageFilter

import pyphotoq
from pyphotoq.models.booster import load_booster, scene_features
from pyphotoq.models.booster_fit import VALIDATION_COPIES
from pyphotoq.workflow.confounds import confounds
from pyphotoq.models.edits import apply_edit, edit_parameters
from pyphotoq.workflow.reasons import booster_reasons, describe

LIGHTROOM = "Adobe Lightroom Classic 13.2 (Windows)"


def _with_software(path, software):
    with Image.open(path) as image:
        exif = image.getexif()
        exif[0x0131] = software
        image.convert("RGB").save(path, "JPEG", quality=95, exif=exif)


def _cache(photos, folder):
    return pyphotoq.build_cache(photos, folder, width=96,
                                split=pyphotoq.Splitting(fractions=(0.6, 0.2, 0.2)), progress=False)


def test_keepers_edited_in_lightroom_and_rejects_not_are_said_in_one_line(make_photos, tmp_path, capsys):
    photos = make_photos(n=40)
    clean = _cache(photos, tmp_path / "clean")
    assert confounds(clean, progress=False) == []
    for path in (photos / "good").glob("*.jpg"):
        _with_software(path, LIGHTROOM)
    edited = _cache(photos, tmp_path / "edited")
    lines = confounds(edited, progress=False)
    good = int((edited.manifest["label"] == "good").sum())
    bad = len(edited.manifest) - good
    assert lines[0] == f"{good} of {good} good photos carry an editor's trace ({LIGHTROOM}), 0 of {bad} bad"
    run = pyphotoq.train_model(edited, tmp_path / "run", batches=2, validate_every=2, progress=False)
    said = [line for line in capsys.readouterr().err.splitlines() if "traces other than taste" in line]
    assert len(said) == 1 and lines[0] in said[0] and "unedited originals" in said[0]
    assert run.info["confounds"] == said[0]
    # and the run learns edit-invariant: its trees from edited copies only, the network unweighted
    assert "trains edit-invariant" in said[0]
    assert run.settings["edited_archive"] is True and run.settings["edit_copies"] == 1
    booster = load_booster(run)
    assert booster.info["edited_archive"] and booster.network_weight == 0
    assert booster.info["training_rows"] == booster.info["training_photos"]  # the copies, not the photos too
    # its lines are placed on edited copies of the validation photos, both classes alike
    validation = edited.split("validation")
    copies = booster.info["validation_copies"]
    assert copies == VALIDATION_COPIES > 1
    scores = booster.validation_scores()
    assert len(scores) == copies * len(validation) and set(scores["hash"]) == set(validation["hash"])
    kept = pd.read_csv(edited.path / "statistics.csv")
    assert (kept["views"].str.startswith("edited:")).sum() == booster.info["training_photos"] + copies * len(validation)


def test_an_edit_moves_a_score_less_than_a_defect(trained_run, demo_photos, tmp_path):
    sources = sorted((demo_photos / "good").glob("*.jpg"))[:6]
    folders = {kind: tmp_path / kind for kind in ("as shot", "edited", "defect")}
    for folder in folders.values():
        folder.mkdir()
    for source in sources:
        with Image.open(source) as image:
            image = image.convert("RGB")
            image.save(folders["as shot"] / source.name, quality=95)
            edited = ImageEnhance.Contrast(image).enhance(1.25)
            edited = ImageEnhance.Color(edited).enhance(1.3).filter(ImageFilter.UnsharpMask(1.5, 80, 2))
            edited.save(folders["edited"] / source.name, quality=95)
            image.filter(ImageFilter.GaussianBlur(2.5)).save(folders["defect"] / source.name, quality=95)
    scores = {kind: pyphotoq.score_photos(trained_run, folder, progress=False).set_index("path")["score"]
              for kind, folder in folders.items()}
    shot = scores["as shot"].rename(lambda p: p.rsplit("/", 1)[-1])
    moved = {kind: (scores[kind].rename(lambda p: p.rsplit("/", 1)[-1]) - shot).abs().mean()
             for kind in ("edited", "defect")}
    assert moved["edited"] < moved["defect"], moved


def test_random_edits_are_reproducible_and_go_both_ways(trained_run):
    booster = load_booster(trained_run)
    assert booster.info["edit_copies"] == 0 and len(booster.info["keeper_medians"]) == len(booster.info["features"])
    images = np.full((2, 8, 8, 3), 128, np.uint8)
    unchanged = apply_edit(images, np.array([[0, 1, 1, 1, 1, 1, 0, 0, 1, 0]] * 2, np.float32)).numpy()
    assert (unchanged == images).all()
    parameters = edit_parameters(500, seed=3)
    assert parameters.shape == (500, 10) and (parameters[:, 0] < 0).any() and (parameters[:, 0] > 0).any()
    assert (parameters == edit_parameters(500, seed=3)).all()
    # levels pull the black and white points in (more pixels at both ends); clarity leaves a
    # flat image as it is and raises a textured one's local contrast
    ramp = np.tile(np.linspace(0, 255, 64).astype(np.uint8)[None, :, None], (64, 1, 3))[None]
    levels = apply_edit(ramp, np.array([[0, 1, 1, 1, 1, 1, 0, 0.08, 0.9, 0]], np.float32)).numpy()
    assert (levels == 0).sum() > (ramp == 0).sum() and (levels == 255).sum() > (ramp == 255).sum()
    clarity = np.array([[0, 1, 1, 1, 1, 1, 0, 0, 1, 0.5]], np.float32)
    assert (apply_edit(images[:1], clarity).numpy() == images[:1]).all()
    texture = np.random.default_rng(0).integers(60, 190, (1, 64, 64, 3)).astype(np.uint8)
    assert apply_edit(texture, clarity).numpy().std() > texture.std()
    assert (parameters[:, 7] > 0).any() and (parameters[:, 7] == 0).any() and (parameters[:, 9] > 0).any()
    # a photo's edit depends on its hash alone, not on the other photos beside it
    hashes = [f"{i:064x}" for i in (7, 11, 13)]
    assert (edit_parameters(hashes, 3)[1:] == edit_parameters(hashes[1:], 3)).all()
    assert not (edit_parameters(hashes, 3) == edit_parameters(hashes, 4)).all()


def test_a_reason_names_the_feature_the_booster_ranks_first(trained_run, small_cache):
    from pyphotoq.models.prediction import predict_scores

    booster = load_booster(trained_run)
    frame = small_cache.split("test").reset_index(drop=True)
    _, statistics = predict_scores(trained_run.load_model(), small_cache, frame, statistics=True, network=False)
    reasons = booster_reasons(booster, statistics, frame)
    features, in_scene = scene_features(frame, statistics)
    names = booster.info["features"]
    for row in range(len(frame)):
        if in_scene[row]:
            contribution = booster.models["scene"].predict(features[row:row + 1], pred_contrib=True)[0, :-1]
        else:
            contribution = booster.models["alone"].predict(features[row:row + 1, :len(names)],
                                                           pred_contrib=True)[0, :-1]
        first = int(np.argmax(np.abs(contribution)))
        name = names[first % len(names)] + ("@scene" if first >= len(names) else "")
        words = describe(name, float(features[row, first]), booster.info["keeper_medians"][first % len(names)],
                         None, float(contribution[first]))
        words = re.split(" than | like | unlike ", words)[0]  # before the scene's size or the keepers
        side = "helped by: " if contribution[first] > 0 else "held back by: "
        assert reasons[row].startswith(side + words), (reasons[row], name)
        assert reasons[row].count(",") + reasons[row].count(";") <= 2
    table = pyphotoq.evaluate_model(trained_run, split="test")
    assert table.predictions["reason"].str.contains("; why: ").all()


def test_describe_speaks_a_photographers_words():
    assert describe("overview_sharpness_full@scene", -0.4, 0.0, 7) == "softer than the other 6 shots of its scene"
    assert describe("detail_min_noise_luma", 3.0, 1.0, None) == "noisier at 100% (worst patch) than your keepers"
    assert describe("overview_clipped_highlights", 0.2, 0.01, None) == "highlights clipped"
    assert describe("overview_brightness", 0.2, 0.45, None) == "darker than your keepers"
    # a feature that pushed against its plain sense is not given as a reason in that sense
    assert describe("overview_sharpness_full", 0.9, 0.5, None, push=-0.3) == "sharpness unlike your keepers"
    assert describe("overview_sharpness_full", 0.9, 0.5, None, push=0.3) == "crisper than your keepers"
    assert describe("detail_mean_noise_luma@scene", 0.2, 0.0, 5, push=0.3) == \
        "noise at 100% like the other 4 shots of its scene"
