"""The settings objects that group a public function's settings, as pyphotoq.Culling groups
score_photos': Labelling and Splitting (build_cache's labels= and split=) and Recipe
(train_model's recipe=). Each checks its values in one line naming the setting, takes a dict
(what R sends) and a plain string where one says it all, and gives what the flat arguments gave;
and no public function takes more than 12 arguments."""

import inspect
import json

import pytest

import pyphotoq
from pyphotoq import Labelling, PhotoqError, Recipe, Splitting
from pyphotoq.cli import main
from pyphotoq.models.recipes import resolve
from pyphotoq.photos.splits import split_for_key
from test_ratings import exiftool, photo

#: The most arguments a public function or class takes (issue: group settings into objects).
MOST_ARGUMENTS = 12


def test_no_public_function_takes_more_than_12_arguments():
    counted = 0
    for name in pyphotoq.__all__:
        value = getattr(pyphotoq, name)
        if not callable(value) or (isinstance(value, type) and issubclass(value, Exception)):
            continue
        parameters = [p for p in inspect.signature(value).parameters.values()
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        assert len(parameters) <= MOST_ARGUMENTS, f"{name} takes {len(parameters)} arguments"
        counted += 1
    assert counted >= 25


@pytest.mark.parametrize("make,words", [
    (lambda: Labelling(source=3), "source must be 'folders', 'xmp' or a catalogue file, got 3"),
    (lambda: Labelling(positive=""), "positive must be the name of a class"),
    (lambda: Labelling(positive="bad"), "positive and negative must differ"),
    (lambda: Labelling("xmp", good="stars>3"), "good: 'stars>3' is not a condition"),
    (lambda: Labelling.of({"sauce": "xmp"}), "labels has no setting 'sauce': its settings are source, positive"),
    (lambda: Labelling.of(3), "labels must be a pyphotoq.Labelling (or a dict of its settings, 'folders', 'xmp' "
                              "or a catalogue file), got int"),
    (lambda: Splitting(method="random"), "method must be one of scene, burst, hash, got 'random'"),
    (lambda: Splitting(fractions=(0.5, 0.5)), "fractions must be three non-negative numbers"),
    (lambda: Splitting(fractions=(0.6, 0.2, float("nan"))), "fractions must be three non-negative numbers"),
    (lambda: Splitting(burst_seconds=-1), "burst_seconds must be at least 0, got -1"),
    (lambda: Splitting.of([0.6, 0.2, 0.2]), "split must be a pyphotoq.Splitting"),
    (lambda: Recipe(name="fast"), "name must be a recipe, one of original, two-branch, two-view, got 'fast'"),
    (lambda: Recipe(learning_rate=0), "learning_rate must be above 0, got 0"),
    (lambda: Recipe(model_options=[16]), "model_options must be a dict of network options"),
    (lambda: Recipe(booster="yes"), "booster must be TRUE or FALSE, got 'yes'"),
    (lambda: Recipe.of("fast"), "Unknown recipe 'fast'"),
    (lambda: Recipe.of({"rate": 1e-3}), "recipe has no setting 'rate'"),
])
def test_a_wrong_setting_is_one_line_naming_it(make, words):
    with pytest.raises(PhotoqError) as error:
        make()
    assert str(error.value).startswith(words) and "\n" not in str(error.value)


def test_a_dict_and_a_string_stand_for_the_object(tmp_path):
    assert Labelling.of(None) == Labelling() and Labelling().source == "folders"
    assert Labelling.of("XMP") == Labelling("xmp") == Labelling.of({"source": "xmp"})
    assert Labelling.of(tmp_path / "library.db").source == str(tmp_path / "library.db")  # checked when read
    assert Labelling.of({"positive": "keep", "negative": "reject"}) == Labelling(positive="keep", negative="reject")
    assert Splitting.of(None) == Splitting() and Splitting().seconds == 30 and Splitting("burst").seconds == 3
    assert Splitting.of("hash") == Splitting(method="hash") == Splitting.of({"method": "hash"})
    assert Splitting.of({"fractions": [0.6, 0.2, 0.2]}).fractions == (0.6, 0.2, 0.2)
    assert Recipe.of(None) == Recipe() and Recipe.of("original") == Recipe(name="original")
    assert Recipe.of({"name": "two-branch", "booster": False}) == Recipe("two-branch", booster=False)
    with pytest.raises(PhotoqError, match="labels: .*library.db was not found"):
        pyphotoq.build_cache(tmp_path, tmp_path / "cache", labels=tmp_path / "library.db")


def test_a_recipe_object_resolves_to_the_settings_the_flat_arguments_did():
    flat = resolve("two-branch", seed=3, batches=40, learning_rate=5e-4, model_options={"dropout": 0.2},
                   booster=False)
    grouped = resolve(Recipe("two-branch", learning_rate=5e-4, model_options={"dropout": 0.2}, booster=False),
                      seed=3, batches=40)
    assert grouped == flat and grouped["learning_rate"] == 5e-4 and grouped["booster"] is False
    assert resolve(Recipe(), seed=0) == resolve(None, seed=0)
    with pytest.raises(PhotoqError, match="learning_rate is given twice"):
        resolve(Recipe(learning_rate=1e-3), learning_rate=1e-4)
    with pytest.raises(PhotoqError, match="fixes learning_rate"):
        resolve(Recipe("original", learning_rate=1e-3))


def test_train_model_records_the_recipe_objects_settings_as_the_flat_arguments_did(small_cache, tmp_path):
    run = pyphotoq.train_model(small_cache, tmp_path / "run", recipe=Recipe("two-branch", learning_rate=5e-4,
                                                                            booster=False),
                               batches=2, validate_every=2, seed=4, progress=False, plot=False)
    recorded = json.loads((run.path / "run.json").read_text())["settings"]
    assert recorded == resolve("two-branch", seed=4, batches=2, validate_every=2, learning_rate=5e-4, booster=False)
    # resumed with the same recipe given as a dict (R's recipe()), and extended
    again = pyphotoq.train_model(small_cache, run.path, recipe={"name": "two-branch", "learning_rate": 5e-4},
                                 batches=2, seed=4, progress=False, plot=False)
    assert again.batches_done == 2
    with pytest.raises(PhotoqError, match="started with other settings"):
        pyphotoq.train_model(small_cache, run.path, recipe=Recipe("two-branch", learning_rate=1e-3), seed=4,
                             progress=False)


def test_build_cache_with_the_objects_makes_the_cache_the_command_lines_flags_make(tmp_path, capsys):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for number in range(6):
        exiftool("-o", shoot / f"k{number}.jpg.xmp", "-XMP-xmp:Rating=3", photo(shoot / f"k{number}.jpg", number))
        exiftool("-o", shoot / f"r{number}.jpg.xmp", "-XMP-xmp:Rating=1", photo(shoot / f"r{number}.jpg", 50 + number))
    # the command line's flat flags (unchanged) against the objects
    assert main(["cache", str(shoot), str(tmp_path / "flags"), "--width", "64", "--labels", "xmp", "--good",
                 "rating>=3", "--bad", "rating<=1", "--split", "hash", "--positive", "keep", "--negative", "reject",
                 "--no-detail", "--no-progress"]) == 0
    assert "Labels from XMP: 6 keep" in capsys.readouterr().out  # the command always says what it did
    built = pyphotoq.build_cache(shoot, tmp_path / "objects", width=64, detail=False, progress=False,
                                 labels=Labelling("xmp", "keep", "reject", good="rating>=3", bad="rating<=1"),
                                 split=Splitting("hash"))
    assert capsys.readouterr().out == ""  # progress=False: silent
    flags = pyphotoq.open_cache(tmp_path / "flags")
    columns = ["hash", "label", "split", "group"]
    assert built.manifest[columns].equals(flags.manifest[columns])
    assert built.info["split"] == flags.info["split"] and built.info["classes"] == flags.info["classes"]
    assert (built.path / "labels.csv").read_text().replace(str(built.path), "") == \
        (flags.path / "labels.csv").read_text().replace(str(flags.path), "")
    # other fractions, from a dict as R sends it: each photo's split is its hash's at those fractions
    other = pyphotoq.build_cache(shoot, tmp_path / "fractions", width=64, detail=False, progress=False,
                                 labels={"source": "xmp", "good": "rating>=3", "bad": "rating<=1"},
                                 split={"method": "hash", "fractions": [0.5, 0.5, 0.0]})
    assert other.info["split"] == {"method": "hash", "fractions": [0.5, 0.5, 0.0], "burst_seconds": 3.0}
    assert list(other.manifest["split"]) == [split_for_key(h, (0.5, 0.5, 0.0)) for h in other.manifest["hash"]]
    # with progress shown, build_cache itself says what it did
    pyphotoq.build_cache(shoot, tmp_path / "fractions", width=64, detail=False, progress=True,
                         labels={"source": "xmp", "good": "rating>=3", "bad": "rating<=1"}, split="hash")
    assert "Labels from XMP" in capsys.readouterr().out
