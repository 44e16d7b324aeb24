"""Labels from the ratings photographers already have: XMP sidecars and embedded XMP written by
exiftool in the forms darktable, digiKam and Lightroom write them, and catalogues built from the
programs' own schemas (tests/python/data/catalogues), read strictly read-only."""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from pyphotoq.data.cache_build import build_cache
from pyphotoq.photos.catalogues import read_catalogue
from pyphotoq.core.errors import PhotoqError
from pyphotoq.photos.ratings import parse_rule, rated_photos
from pyphotoq.photos.sources import corrected_photos
from pyphotoq.photos.xmp import write_sidecars

SCHEMAS = os.path.join(os.path.dirname(__file__), "data", "catalogues")


def exiftool(*arguments):
    program = shutil.which("exiftool")
    if program is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must not skip the exiftool tests: install libimage-exiftool-perl (make install-r)")
        pytest.skip("exiftool is not installed (Debian: libimage-exiftool-perl)")
    subprocess.run([program, "-q", *map(str, arguments)], check=True, capture_output=True)


def photo(path, seed=0):
    """A small JPEG with its own content (so no two are duplicates)."""
    pixels = np.random.default_rng(seed).integers(0, 255, (96, 96, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, "JPEG")
    return path


def snapshot(folder):
    """{path: (sha256, mtime_ns)} of every file below `folder`."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as stream:
                found[path] = (hashlib.sha256(stream.read()).hexdigest(), os.stat(path).st_mtime_ns)
    return found


def test_rules_parse_and_refuse_what_is_not_a_condition():
    assert parse_rule("rating>=4, accepted", "good") == [("rating", ">=", 4), ("accepted", "", 0)]
    assert parse_rule("Rating == 5", "good") == [("rating", "=", 5)]
    for wrong in ("rating>=9", "stars>=4", "", "rating>=4,,"):
        with pytest.raises(PhotoqError, match="good"):
            parse_rule(wrong, "good")


def test_xmp_labels_from_darktable_digikam_and_lightroom_sidecars_and_embedded_packets(tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    darktable = photo(shoot / "dt.jpg", 1)
    exiftool("-o", f"{darktable}.xmp", "-XMP-xmp:Rating=5", darktable)  # darktable: NAME.EXT.xmp
    rejected = photo(shoot / "dt_reject.jpg", 2)
    shutil.copy(os.path.join(SCHEMAS, "darktable-4.2.1-sidecar-rejected.xmp"), f"{rejected}.xmp")  # its own output
    digikam = photo(shoot / "dk.jpg", 3)
    exiftool("-o", f"{digikam}.xmp", "-XMP-digiKam:PickLabel=1", digikam)  # digiKam's pick label: rejected
    accepted = photo(shoot / "dk_accept.jpg", 4)
    exiftool("-o", f"{accepted}.xmp", "-XMP-digiKam:PickLabel=3", "-XMP-xmp:Rating=2", accepted)
    raw = shoot / "IMG_0100.CR2"  # Lightroom: STEM.xmp beside a RAW
    raw.write_bytes(b"II*\x00 a RAW file that is never decoded here")
    exiftool("-o", shoot / "IMG_0100.xmp", "-XMP-xmp:Rating=4", photo(tmp_path / "template.jpg", 5))
    embedded = photo(shoot / "embedded.jpg", 6)
    exiftool("-overwrite_original", "-XMP-xmp:Rating=-1", embedded)  # in the JPEG, no sidecar
    both = photo(shoot / "both.jpg", 7)
    exiftool("-overwrite_original", "-XMP-xmp:Rating=-1", both)
    exiftool("-o", f"{both}.xmp", "-XMP-xmp:Rating=5", photo(tmp_path / "template2.jpg", 8))  # sidecar wins
    one_star = photo(shoot / "imported.jpg", 9)
    shutil.copy(os.path.join(SCHEMAS, "darktable-4.2.1-sidecar.xmp"), f"{one_star}.xmp")  # darktable's 1 star
    photo(shoot / "unrated.jpg", 10)
    before = snapshot(shoot)

    listing = rated_photos(shoot, "xmp")

    labels = dict(zip(listing["path"].map(os.path.basename), listing["label"]))
    assert labels == {"dt.jpg": "good", "dt_reject.jpg": "bad", "dk.jpg": "bad", "dk_accept.jpg": "good",
                      "IMG_0100.CR2": "good", "embedded.jpg": "bad", "both.jpg": "good"}
    sources = dict(zip(listing.attrs["labels"]["path"].map(os.path.basename), listing.attrs["labels"]["source"]))
    assert sources["embedded.jpg"] == "embedded XMP" and sources["IMG_0100.CR2"] == "sidecar IMG_0100.xmp"
    assert sources["both.jpg"] == "sidecar both.jpg.xmp"
    first = listing.attrs["lines"][0]
    assert "4 good" in first and "3 bad" in first and "1 no rating" in first and "1 neither rule" in first
    assert snapshot(shoot) == before  # read, never written

    wider = rated_photos(shoot, "xmp", good="rating>=2", bad="rejected, rating<=1")
    assert dict(zip(wider["path"].map(os.path.basename), wider["label"]))["imported.jpg"] == "bad"


def test_damaged_and_hostile_sidecars_are_one_line_each_and_the_rest_is_read(tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for number in range(4):
        exiftool("-o", shoot / f"good{number}.jpg.xmp", "-XMP-xmp:Rating=5", photo(shoot / f"good{number}.jpg", number))
        exiftool("-o", shoot / f"bad{number}.jpg.xmp", "-XMP-xmp:Rating=-1", photo(shoot / f"bad{number}.jpg", 10 + number))
    hostile = {
        "notxml.jpg": b"this is not XML at all <<<",
        "laughs.jpg": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                       b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol2;</x:xmpmeta>'),
        "external.jpg": (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                         b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&xxe;</x:xmpmeta>'),
        "latin1.jpg": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
                      b'22-rdf-syntax-ns#"><rdf:Description about="caf\xe9"/></rdf:RDF></x:xmpmeta>',
    }
    for number, (name, data) in enumerate(hostile.items()):
        photo(shoot / name, 20 + number)
        (shoot / f"{name}.xmp").write_bytes(data)
    photo(shoot / "huge.jpg", 30)
    with open(shoot / "huge.jpg.xmp", "wb") as stream:  # sparse: 40 MB on paper, nothing on disk
        stream.truncate(40 * 1024 * 1024)
    before = snapshot(shoot)

    listing = rated_photos(shoot, "xmp")

    assert sorted(listing["label"].value_counts().items()) == [("bad", 4), ("good", 4)]
    lines = [line for line in listing.attrs["lines"] if "left out" in line and ".xmp" in line]
    assert len(lines) == 5 and all("\n" not in line for line in lines)
    by_name = {name: next(line for line in lines if f"{name}.xmp" in line) for name in [*hostile, "huge.jpg"]}
    assert "DOCTYPE" in by_name["laughs.jpg"] and "DOCTYPE" in by_name["external.jpg"]
    assert "not valid XML" in by_name["notxml.jpg"] and "UTF-8" in by_name["latin1.jpg"]
    assert "too large" in by_name["huge.jpg"]
    assert snapshot(shoot) == before


def test_one_class_missing_is_one_line_naming_the_rule(tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for number in range(3):
        exiftool("-o", shoot / f"a{number}.jpg.xmp", "-XMP-xmp:Rating=5", photo(shoot / f"a{number}.jpg", number))
    with pytest.raises(PhotoqError, match=r"No 'bad' photos.*'rejected'.*--bad"):
        rated_photos(shoot, "xmp")


def test_build_cache_from_ratings_records_where_each_label_came_from(tmp_path, capsys):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for number in range(8):
        exiftool("-o", shoot / f"k{number}.jpg.xmp", "-XMP-xmp:Rating=4", photo(shoot / f"k{number}.jpg", number))
        exiftool("-overwrite_original", "-XMP-xmp:Rating=-1", photo(shoot / f"r{number}.jpg", 50 + number))
    photo(shoot / "unrated.jpg", 99)

    cache = build_cache(shoot, tmp_path / "cache", width=64, labels="xmp", detail=False, progress=False)
    assert capsys.readouterr().out == ""  # progress=False is silent: the summary is the result's

    assert len(cache.manifest) == 16 and set(cache.manifest["label"]) == {"good", "bad"}
    record = pd.read_csv(tmp_path / "cache" / "labels.csv", keep_default_na=False)
    assert list(record.columns) == ["path", "label", "source", "rating", "pick"] and len(record) == 16
    assert set(record.loc[record["label"] == "bad", "source"]) == {"embedded XMP"}
    out = str(cache.summary)
    assert "Labels from XMP: 8 good" in out and "1 no rating" in out and "splits: " in out
    assert "warning: only 8 'good' photos" in out and "warning: the validation split holds only" in out
    with pytest.raises(PhotoqError, match="labels: .* was not found"):
        build_cache(shoot, tmp_path / "cache3", labels=tmp_path / "no.lrcat")


# ---- catalogues ----------------------------------------------------------------------------------


def catalogue(path, schema):
    with open(os.path.join(SCHEMAS, schema), encoding="utf-8") as stream:
        script = stream.read()
    connection = sqlite3.connect(path)
    connection.executescript(script)
    return connection


def rated_shoot(folder):
    """Six photos: two to be rated good, two bad, one unrated; plus a file no catalogue knows."""
    folder.mkdir(parents=True)
    photo(folder / "NEW.jpg", 77)
    return [photo(folder / f"IMG_{number:04d}.jpg", number) for number in range(6)]


def darktable_catalogue(path, files):
    connection = catalogue(path, "darktable-4.2.1.sql")
    connection.execute("INSERT INTO film_rolls (id, access_timestamp, folder) VALUES (1, 0, ?)",
                       (str(files[0].parent),))
    # flags as darktable 4.2.1 stores them (observed): 1569 imported with 1 star, 1576 rejected
    flags = [1569 - 1 + 5, 1569 - 1 + 4, 1576, 1569 | 8 | 3, 1569, None]
    for number, (file, flag) in enumerate(zip(files, flags), 1):
        connection.execute("INSERT INTO images (id, film_id, filename, flags) VALUES (?, 1, ?, ?)",
                           (number, file.name, flag))
    connection.execute("INSERT INTO images (id, film_id, filename, flags) VALUES (99, 1, 'GONE.jpg', 1573)")
    connection.commit()
    connection.close()


def digikam_catalogue(path, files):
    connection = catalogue(path, "digikam-7.9.0.sql")
    connection.execute("INSERT INTO AlbumRoots VALUES (1, 'Pictures', 0, 1, ?, '/')",
                       ("volumeid:?path=" + str(files[0].parent.parent).replace(" ", "%20"),))
    connection.execute("INSERT INTO Albums (id, albumRoot, relativePath) VALUES (1, 1, ?)",
                       ("/" + files[0].parent.name,))
    connection.execute("INSERT INTO Tags (id, pid, name) VALUES (1, 0, '_Digikam_Internal_Tags_')")
    for tag, name in ((2, "Pick Label Rejected"), (3, "Pick Label Pending"), (4, "Pick Label Accepted")):
        connection.execute("INSERT INTO Tags (id, pid, name) VALUES (?, 1, ?)", (tag, name))
        connection.execute("INSERT INTO TagProperties VALUES (?, 'internalTag', NULL)", (tag,))
    ratings = [5, 2, -1, -1, 1, None]  # -1: no rating in digiKam
    picks = [None, 4, 2, 2, None, None]
    for number, (file, rating, pick) in enumerate(zip(files, ratings, picks), 1):
        connection.execute("INSERT INTO Images (id, album, name, status, category) VALUES (?, 1, ?, 1, 1)",
                           (number, file.name))
        if rating is not None:
            connection.execute("INSERT INTO ImageInformation (imageid, rating) VALUES (?, ?)", (number, rating))
        if pick is not None:
            connection.execute("INSERT INTO ImageTags VALUES (?, ?)", (number, pick))
    connection.execute("INSERT INTO Images (id, album, name, status, category) VALUES (99, 1, 'GONE.jpg', 1, 1)")
    connection.commit()
    connection.close()


def lightroom_catalogue(path, files):
    connection = catalogue(path, "lightroom-classic.sql")
    connection.execute("INSERT INTO AgLibraryRootFolder (id_local, id_global, absolutePath, name) VALUES (1, 'r', ?, 'x')",
                       (str(files[0].parent.parent) + "/",))
    connection.execute("INSERT INTO AgLibraryFolder (id_local, id_global, pathFromRoot, rootFolder) VALUES (1, 'f', ?, 1)",
                       (files[0].parent.name + "/",))
    ratings = [5, 4, None, 3, 1, None]
    picks = [0, 1, -1, -1, 0, 0]
    names = [(file.stem, file.suffix[1:]) for file in files] + [("GONE", "jpg")]
    for number, ((base, extension), rating, pick) in enumerate(zip(names, ratings + [5], picks + [0]), 1):
        connection.execute("INSERT INTO AgLibraryFile (id_local, id_global, baseName, extension, folder, "
                           "idx_filename, lc_idx_filename, importHash, originalFilename) "
                           "VALUES (?, ?, ?, ?, 1, ?, ?, '', ?)",
                           (number, f"g{number}", base, extension, f"{base}.{extension}",
                            f"{base}.{extension}".lower(), f"{base}.{extension}"))
        connection.execute("INSERT INTO Adobe_images (id_local, id_global, rootFile, rating, pick) "
                           "VALUES (?, ?, ?, ?, ?)", (number, f"i{number}", number, rating, pick))
    connection.commit()
    connection.close()


@pytest.mark.parametrize("kind, make, name", [
    ("darktable", darktable_catalogue, "library.db"),
    ("digiKam", digikam_catalogue, "digikam4.db"),
    ("Lightroom Classic", lightroom_catalogue, "Catalog.lrcat"),
])
def test_catalogues_are_read_read_only_even_when_held_open(tmp_path, kind, make, name):
    files = rated_shoot(tmp_path / "photos" / "2024 trip")
    make(tmp_path / name, files)
    before = snapshot(tmp_path)

    found_kind, version, rows, note = read_catalogue(tmp_path / name)
    listing = rated_photos(tmp_path / "photos", tmp_path / name)

    assert found_kind == kind and note == ""
    labels = dict(zip(listing["path"].map(os.path.basename), listing["label"]))
    assert labels == {"IMG_0000.jpg": "good", "IMG_0001.jpg": "good", "IMG_0002.jpg": "bad", "IMG_0003.jpg": "bad"}
    lines = "\n".join(listing.attrs["lines"])
    assert "1 photos" in lines and "GONE.jpg" in lines and "not on disk" in lines
    assert "1 files on disk" in lines and "NEW.jpg" in lines
    assert snapshot(tmp_path) == before  # byte-identical, same modification times, nothing new beside it

    holder = sqlite3.connect(tmp_path / name)  # the program, holding its catalogue locked
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        _, _, held_rows, held_note = read_catalogue(tmp_path / name)
        assert sorted(held_rows) == sorted(rows) and "copy" in held_note and "in use" in held_note
    finally:
        holder.rollback()
        holder.close()
    assert snapshot(tmp_path) == before


def test_a_newer_or_damaged_catalogue_gives_one_line(tmp_path):
    files = rated_shoot(tmp_path / "photos" / "trip")
    darktable_catalogue(tmp_path / "library.db", files)
    connection = sqlite3.connect(tmp_path / "library.db")
    connection.execute("UPDATE db_info SET value = '99' WHERE key = 'version'")
    connection.commit()
    connection.close()
    listing = rated_photos(tmp_path / "photos", tmp_path / "library.db")
    assert any("schema version 99, newer than" in line for line in listing.attrs["lines"])

    damaged = tmp_path / "broken.db"
    damaged.write_bytes((tmp_path / "library.db").read_bytes()[:1500] + b"\x00" * 3000)
    with pytest.raises(PhotoqError, match="broken.db") as caught:
        read_catalogue(damaged)
    assert "\n" not in str(caught.value)
    (tmp_path / "plain.db").write_bytes(b"not a database")
    with pytest.raises(PhotoqError, match="plain.db is not a catalogue photoq reads"):
        read_catalogue(tmp_path / "plain.db")
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(PhotoqError, match="not a darktable, digiKam or Lightroom Classic catalogue"):
        read_catalogue(tmp_path / "other.db")


# ---- corrections made in the photographer's own program ----------------------------------------


def test_learning_finds_exactly_the_sidecars_the_photographer_changed(tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    paths = [photo(shoot / f"P{number}.jpg", number) for number in range(6)]
    decisions = pd.DataFrame({"path": [str(p) for p in paths], "rating": [4, 5, 2, -1, -1, 4],
                              "pick": ["accepted", "accepted", "pending", "rejected", "rejected", "accepted"]})
    write_sidecars(decisions)
    # the photographer re-rates in their program, which rewrites the sidecar: a kept photo rejected,
    # a rejected one given 5 stars (its digiKam pick label left as photoq wrote it, as Lightroom does)
    exiftool("-overwrite_original", "-XMP-xmp:Rating=-1", f"{paths[0]}.xmp")
    exiftool("-overwrite_original", "-XMP-xmp:Rating=5", f"{paths[3]}.xmp")
    # a photo ask_photos proposed, rated in the photographer's program (no photoq marks)
    exiftool("-o", shoot / "P6.jpg.xmp", "-XMP-xmp:Rating=4", photo(shoot / "P6.jpg", 6))
    exiftool("-o", shoot / "P7.jpg.xmp", "-XMP-xmp:Rating=3", photo(shoot / "P7.jpg", 7))  # neither rule

    listing = corrected_photos(shoot)

    labels = dict(zip(listing["path"].map(os.path.basename), listing["label"]))
    assert labels == {"P0.jpg": "bad", "P1.jpg": "good", "P3.jpg": "good", "P4.jpg": "bad", "P5.jpg": "good",
                      "P6.jpg": "good"}
    assert "3 photos rated or flagged differently in their sidecars" in listing.attrs["left_out"][-1]
    assert "3 as photoq decided" in listing.attrs["left_out"][-1]


def test_the_cli_takes_labels_and_rules(tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for number in range(3):
        exiftool("-o", shoot / f"k{number}.jpg.xmp", "-XMP-xmp:Rating=3", photo(shoot / f"k{number}.jpg", number))
        exiftool("-o", shoot / f"r{number}.jpg.xmp", "-XMP-xmp:Rating=1", photo(shoot / f"r{number}.jpg", 9 + number))
    command = [sys.executable, "-m", "pyphotoq", "cache", str(shoot), str(tmp_path / "cache"), "--width", "64",
               "--no-detail", "--labels", "xmp"]
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode != 0 and "No 'good' photos" in refused.stderr and "--good" in refused.stderr
    done = subprocess.run(command + ["--good", "rating>=3", "--bad", "rating<=1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Labels from XMP: 3 good (rating>=3), 3 bad (rating<=1)" in done.stdout


def test_a_run_on_a_cache_labelled_from_ratings_learns_from_edited_copies_by_default(tmp_path):
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    for number in range(12):
        exiftool("-o", shoot / f"k{number}.jpg.xmp", "-XMP-xmp:Rating=5", photo(shoot / f"k{number}.jpg", number))
        exiftool("-o", shoot / f"r{number}.jpg.xmp", "-XMP-xmp:Rating=-1", photo(shoot / f"r{number}.jpg", 40 + number))
    cache = build_cache(shoot, tmp_path / "cache", width=64, labels="xmp", detail=False, progress=False)
    import pyphotoq

    run = pyphotoq.train_model(cache, tmp_path / "run", recipe=None, batches=2, validate_every=2, progress=False)
    assert run.settings["edit_copies"] == 1
    chosen = pyphotoq.train_model(cache, tmp_path / "run2", recipe="two-branch", batches=2, validate_every=2,
                                  progress=False)
    assert chosen.settings.get("edit_copies", 0) == 0  # a recipe named by the user is left as it is
