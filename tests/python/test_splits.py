"""Tests of pyphotoq.photos.splits: 80/10/10 from the content hash, stable, and burst-aware."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import pyphotoq
from pyphotoq.photos.splits import assign_splits, burst_groups, split_for_key


def fake_hashes(n, seed=0):
    rng = np.random.default_rng(seed)
    return ["".join(f"{b:02x}" for b in rng.integers(0, 256, 16)) for _ in range(n)]


def frame(hashes, folder="/trip/good", taken=""):
    return pd.DataFrame({
        "hash": hashes,
        "original": [f"{folder}/IMG_{i:04d}.jpg" for i in range(len(hashes))],
        "taken": taken,
    })


def shares(splits):
    counts = pd.Series(splits).value_counts(normalize=True)
    return [counts.get(name, 0.0) for name in ("train", "validation", "test")]


def test_fractions_are_about_80_10_10():
    result = assign_splits(frame(fake_hashes(3000)), {})
    assert np.allclose(shares(result["split"]), [0.8, 0.1, 0.1], atol=0.02)
    assert (result["group"] == result["hash"]).all()


def test_other_fractions():
    hashes = fake_hashes(3000, seed=1)
    result = assign_splits(frame(hashes), {}, fractions=(0.5, 0.25, 0.25))
    assert np.allclose(shares(result["split"]), [0.5, 0.25, 0.25], atol=0.03)
    assert set(assign_splits(frame(hashes), {}, fractions=(1, 0, 0))["split"]) == {"train"}


def test_split_follows_the_hash_not_the_order():
    table = frame(fake_hashes(400))
    result = assign_splits(table, {})
    shuffled = assign_splits(table.sample(frac=1, random_state=3), {})
    assert dict(zip(result["hash"], result["split"])) == dict(zip(shuffled["hash"], shuffled["split"]))
    assert split_for_key("0" * 32) == "train"
    assert split_for_key("cccccccccccc" + "0" * 20) == "train"  # just under 0.8
    assert split_for_key("cccccccccccd" + "0" * 20) == "validation"  # just over 0.8
    assert split_for_key("f" * 32) == "test"


def test_splits_are_stable_when_photos_are_added():
    hashes = fake_hashes(400)
    first = assign_splits(frame(hashes[:300]), {})
    previous = dict(zip(first["hash"], first["split"]))
    second = assign_splits(frame(hashes), previous)
    assert dict(zip(second["hash"][:300], second["split"][:300])) == previous
    # assigned splits are kept even if the rule changes later
    third = assign_splits(frame(hashes), previous, fractions=(0.2, 0.4, 0.4))
    assert dict(zip(third["hash"][:300], third["split"][:300])) == previous


def bursts(n_bursts=300, shots=3, seed=0):
    """n_bursts bursts of `shots` photos 1 s apart, bursts 10 minutes apart, one folder."""
    hashes = fake_hashes(n_bursts * shots, seed)
    start = dt.datetime(2026, 7, 1, 9)
    times = [start + dt.timedelta(minutes=10 * (i // shots), seconds=i % shots) for i in range(len(hashes))]
    table = frame(hashes)
    table["taken"] = [t.strftime("%Y-%m-%d %H:%M:%S") for t in times]
    table["burst"] = [i // shots for i in range(len(hashes))]
    return table.sample(frac=1, random_state=seed).reset_index(drop=True)  # order must not matter


def test_burst_members_stay_together():
    table = bursts()
    by_hash = assign_splits(table, {}, method="hash")
    assert (by_hash.groupby("burst")["split"].nunique() > 1).sum() > 50  # hash split leaks bursts
    result = assign_splits(table, {}, method="burst", burst_seconds=3)
    assert (result.groupby("burst")["group"].nunique() == 1).all()
    assert result.groupby("group")["burst"].nunique().eq(1).all()  # and bursts stay apart
    assert (result.groupby("burst")["split"].nunique() == 1).all()
    assert np.allclose(shares(result.drop_duplicates("burst")["split"]), [0.8, 0.1, 0.1], atol=0.06)


def test_burst_rule():
    times = ["2026-07-01 09:00:00", "2026-07-01 09:00:02", "2026-07-01 09:00:04",  # chained
             "2026-07-01 09:00:08",  # 4 s later: a new burst
             "2026-07-01 09:00:00",  # same time, other folder: alone
             "",  # no capture time: alone
             ""]
    table = frame(fake_hashes(7), taken=times)
    table.loc[4, "original"] = "/trip/bad/IMG_9999.jpg"
    groups = burst_groups(table, burst_seconds=3)
    h = table["hash"]
    assert list(groups[:3]) == [h[0]] * 3
    assert groups[3] == h[3] and groups[4] == h[4] and groups[5] == h[5] and groups[6] == h[6]


def test_new_photo_joins_its_bursts_split():
    hashes = fake_hashes(3)
    table = frame(hashes, taken=["2026-07-01 09:00:00", "2026-07-01 09:00:01", "2026-07-01 12:00:00"])
    group_split = split_for_key(hashes[0])
    other = next(s for s in ("train", "validation", "test") if s != group_split)
    # the burst's first shot was assigned `other` earlier (e.g. under other fractions)
    result = assign_splits(table, {hashes[0]: other}, method="burst")
    assert list(result["split"][:2]) == [other, other]


def test_invalid_settings():
    table = frame(fake_hashes(3))
    for fractions in ((0.8, 0.2), (0.9, 0.2, -0.1), (0.5, 0.2, 0.2)):
        with pytest.raises(ValueError, match="fractions"):
            assign_splits(table, {}, fractions=fractions)
    with pytest.raises(ValueError, match="method"):
        assign_splits(table, {}, method="random")


def test_cache_with_burst_splits(tmp_path):
    photos = pyphotoq.make_demo_photos(tmp_path / "photos", n_photos=40, size=(128, 96), seed=2)
    cache = pyphotoq.build_cache(photos, tmp_path / "cache", width=96, split="burst",
                                 progress=False)
    manifest = cache.manifest
    sizes = manifest.groupby("group").size()
    assert (sizes > 1).sum() >= 3  # the demo trip has bursts
    assert (manifest.groupby("group")["split"].nunique() == 1).all()
    assert cache.info["split"]["method"] == "burst"
    for _, members in manifest[manifest["group"].isin(sizes[sizes > 1].index)].groupby("group"):
        assert members["original"].map(lambda p: p.rsplit("/", 1)[0]).nunique() == 1
        assert members["hash"].isin([members["group"].iloc[0]]).any()


def test_a_first_build_of_few_scenes_gives_validation_and_test_both_classes():
    """Eight scenes, as a first real shoot may have: hashed shares alone can leave validation empty."""
    import numpy as np

    rng = np.random.default_rng(1)
    rows = []
    for scene in range(8):
        for shot in range(30):
            rows.append({"hash": "".join(rng.choice(list("0123456789abcdef"), 64)),
                         "label": "good" if shot % 3 == 0 else "bad",
                         "taken": f"2024-05-0{1 + scene % 7} {8 + scene}:00:{shot:02d}", "look": ""})
    manifest = pd.DataFrame(rows)
    result = assign_splits(manifest, {}, method="scene", fractions=(0.8, 0.1, 0.1), burst_seconds=30)
    assert result["group"].nunique() == 8
    for split in ("train", "validation", "test"):
        assert set(result.loc[result["split"] == split, "label"]) == {"good", "bad"}, split
    assert (result.groupby("group")["split"].nunique() == 1).all()  # scenes stay whole
    again = assign_splits(manifest, dict(zip(result["hash"], result["split"])), method="scene", burst_seconds=30)
    assert (again["split"] == result["split"]).all()  # a later build keeps them
