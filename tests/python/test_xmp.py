"""Tests of pyphotoq.photos.xmp: sidecars written, merged, refused and undone, read back with exiftool."""

import hashlib
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from PIL import Image

from pyphotoq.core.errors import PhotoqError
from pyphotoq.photos.xmp import (JOURNAL_FOLDER, PHOTOQ_NS, PLAN_COLUMNS, UNDO_COLUMNS, WRITE_COLUMNS, plan_sidecars,
                          sidecar_paths, undo_sidecars, write_sidecars)

XMP = "{http://ns.adobe.com/xap/1.0/}"
DIGIKAM = "{http://www.digikam.org/ns/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
PHOTOQ = "{" + PHOTOQ_NS + "}"

#: A darktable-style sidecar with the user's keywords, colour label, history and a comment.
DARKTABLE_SIDECAR = """<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:darktable="http://darktable.sf.net/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:digiKam="http://www.digikam.org/ns/1.0/"
   xmp:Rating="2"
   xmp:Label="Red"
   digiKam:ColorLabel="1"
   darktable:xmp_version="5"
   darktable:history_end="1">
   <!-- written by hand for the test -->
   <darktable:history>
    <rdf:Seq>
     <rdf:li darktable:num="0" darktable:operation="exposure" darktable:enabled="1"
      darktable:params="0000000040a0093bd8ce374000004842000080c0"/>
    </rdf:Seq>
   </darktable:history>
   <dc:subject>
    <rdf:Bag>
     <rdf:li>beach</rdf:li>
     <rdf:li>sunset</rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""

#: The element form, with the xmp namespace under another prefix and two rdf:Description elements.
ELEMENT_SIDECAR = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/">
<tiff:Make>Canon</tiff:Make>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xap="http://ns.adobe.com/xap/1.0/" xmlns:dk="http://www.digikam.org/ns/1.0/">
<xap:Rating>3</xap:Rating>
<dk:PickLabel>2</dk:PickLabel>
<xap:Label>Blue</xap:Label>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


# ---- helpers -------------------------------------------------------------------------------------


def exiftool(*files) -> dict:
    """{file name: tags} as exiftool reads them (numbers as numbers), from the XMP groups photoq touches."""
    program = shutil.which("exiftool")
    if program is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must not skip the exiftool read-back: install libimage-exiftool-perl (make install-r)")
        pytest.skip("exiftool is not installed (Debian: libimage-exiftool-perl)")
    result = subprocess.run(
        [program, "-j", "-n", "-G1", "-struct", "-XMP-xmp:all", "-XMP-digiKam:all", "-XMP-photoq:all",
         "-XMP-dc:Subject", "-XMP-darktable:all", *map(str, files)],
        capture_output=True, text=True, check=True)
    return {os.path.basename(entry["SourceFile"]): entry for entry in json.loads(result.stdout)}


def jpeg(path, color=(200, 120, 40)):
    Image.new("RGB", (16, 12), color).save(path, "JPEG")
    return path


def shoot(folder):
    """A small shoot: three JPEGs, and a RAW+JPEG pair whose RAW is opaque bytes (never read)."""
    folder.mkdir()
    keep, review, reject = (jpeg(folder / name) for name in ("keep.jpg", "review.jpg", "reject.jpg"))
    raw = folder / "IMG_0001.CR2"
    raw.write_bytes(b"II*\x00 a RAW file photoq must never read or write")
    pair = jpeg(folder / "IMG_0001.JPG")
    return keep, review, reject, raw, pair


def decisions(keep, review, reject, raw, pair) -> pd.DataFrame:
    return pd.DataFrame({
        "path": [str(keep), str(review), str(reject), str(raw)],
        "rating": [4, 0, -1, 5],
        "pick": ["accepted", "pending", "rejected", "accepted"],
        "pair": ["", "", "", str(pair)],
        "score": [0.91, 0.52, 0.08, 0.97],
        "rule": ["keep: score >= 0.80", "review: between the bands", "reject: score < 0.20", "keep: best in burst"],
    })


def snapshot(folder) -> dict:
    """Every file below `folder` (hidden ones too): its bytes and modification time."""
    found = {}
    for root, folders, files in os.walk(folder):
        for name in files + [f for f in folders if os.path.islink(os.path.join(root, f))]:
            path = os.path.join(root, name)
            if os.path.islink(path):
                found[path] = ("link", os.readlink(path))
            else:
                with open(path, "rb") as stream:
                    found[path] = (stream.read(), os.stat(path).st_mtime_ns)
    return found


def digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def tree(path, ignore=()):
    """An XML file as nested tuples (tag, attributes, text, children), leaving out attributes in `ignore`."""
    def walk(element):
        attributes = tuple(sorted((k, v) for k, v in element.attrib.items() if k not in ignore))
        text = (element.text or "").strip()
        return element.tag, attributes, text, tuple(walk(child) for child in element)
    return walk(ET.parse(path).getroot())


def description_values(path) -> dict:
    """photoq's tags wherever they sit in the top-level rdf:Description elements (attribute or element)."""
    found = {}
    for description in ET.parse(path).getroot().iter(RDF + "Description"):
        for key, value in description.attrib.items():
            found.setdefault(key, []).append(value)
        for child in description:
            if len(child) == 0:
                found.setdefault(child.tag, []).append((child.text or "").strip())
    return found


PHOTOQ_ATTRIBUTES = {XMP + "Rating", DIGIKAM + "PickLabel", *(PHOTOQ + name for name in
                                                                ("Rating", "PickLabel", "Score", "Rule", "Photo"))}


# ---- naming --------------------------------------------------------------------------------------


def test_sidecar_names_follow_darktable_digikam_and_lightroom(tmp_path):
    def names(photo):
        return [os.path.basename(path) for path in sidecar_paths(tmp_path / photo)]

    assert names("IMG_0001.CR2") == ["IMG_0001.CR2.xmp", "IMG_0001.xmp"]
    assert names("DSC_7.nef") == ["DSC_7.nef.xmp", "DSC_7.xmp"]
    assert names("IMG_0001.JPG") == ["IMG_0001.JPG.xmp"]
    assert names("photo.heic") == ["photo.heic.xmp"]
    assert all(os.path.dirname(path) == str(tmp_path) for path in sidecar_paths(tmp_path / "a.CR3"))


# ---- writing -------------------------------------------------------------------------------------


def test_keep_review_reject_and_a_raw_jpeg_pair_are_read_back_by_exiftool(tmp_path):
    files = shoot(tmp_path / "shoot")
    keep, review, reject, raw, pair = files
    before = {path: digest(path) for path in files}
    table = write_sidecars(decisions(*files))

    assert list(table.columns) == WRITE_COLUMNS
    assert set(table["action"]) == {"create"} and table["written"].all()
    assert set(map(os.path.basename, table["sidecar"])) == {
        "keep.jpg.xmp", "review.jpg.xmp", "reject.jpg.xmp", "IMG_0001.CR2.xmp", "IMG_0001.xmp", "IMG_0001.JPG.xmp"}
    pair_row = table[table["sidecar"].str.endswith("IMG_0001.JPG.xmp")].iloc[0]
    assert pair_row["photo"] == str(pair)

    folder = tmp_path / "shoot"
    tags = exiftool(*sorted(folder.glob("*.xmp")))
    expected = {"keep.jpg.xmp": (4, 3), "review.jpg.xmp": (0, 2), "reject.jpg.xmp": (-1, 1),
                "IMG_0001.CR2.xmp": (5, 3), "IMG_0001.xmp": (5, 3), "IMG_0001.JPG.xmp": (5, 3)}
    for name, (rating, pick) in expected.items():
        assert tags[name]["XMP-xmp:Rating"] == rating, name
        assert tags[name]["XMP-digiKam:PickLabel"] == pick, name
    assert tags["keep.jpg.xmp"]["XMP-photoq:Score"] == pytest.approx(0.91)
    assert tags["reject.jpg.xmp"]["XMP-photoq:Rule"] == "reject: score < 0.20"
    assert tags["IMG_0001.JPG.xmp"]["XMP-photoq:Photo"] == "IMG_0001.CR2"
    assert tags["keep.jpg.xmp"]["XMP-photoq:Rating"] == 4

    created = (folder / "keep.jpg.xmp").read_bytes()
    assert created.startswith(b'<?xpacket begin="\xef\xbb\xbf"') and created.rstrip().endswith(b'<?xpacket end="w"?>')
    root = ET.parse(folder / "keep.jpg.xmp").getroot()
    assert root.tag == "{adobe:ns:meta/}xmpmeta" and root[0].tag == RDF + "RDF"
    assert root[0][0].tag == RDF + "Description" and root[0][0].get(XMP + "Rating") == "4"
    assert {path: digest(path) for path in files} == before


def test_a_sidecar_with_the_users_tags_keeps_every_one_while_photoqs_change(tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    photo = jpeg(folder / "beach.jpg")
    sidecar = folder / "beach.jpg.xmp"
    sidecar.write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    original_tree = tree(sidecar, ignore=PHOTOQ_ATTRIBUTES)
    original_tags = exiftool(sidecar)["beach.jpg.xmp"]

    table = write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [-1], "pick": ["rejected"],
                                         "score": [0.12], "rule": ["reject: blurred"]}), replace_ratings=True)
    row = table.iloc[0]
    assert (row["action"], row["rating_before"], row["rating_after"]) == ("merge", 2, -1)
    assert (row["pick_before"], row["pick_after"]) == ("", "rejected")

    tags = exiftool(sidecar)["beach.jpg.xmp"]
    assert tags["XMP-xmp:Rating"] == -1 and tags["XMP-digiKam:PickLabel"] == 1
    assert tags["XMP-photoq:Rule"] == "reject: blurred"
    for kept in ("XMP-dc:Subject", "XMP-xmp:Label", "XMP-digiKam:ColorLabel", "XMP-darktable:History",
                 "XMP-darktable:Xmp_version", "XMP-darktable:History_end"):
        assert tags[kept] == original_tags[kept], kept
    assert tags["XMP-dc:Subject"] == ["beach", "sunset"]

    assert tree(sidecar, ignore=PHOTOQ_ATTRIBUTES) == original_tree
    text = sidecar.read_text(encoding="utf-8")
    assert "<!-- written by hand for the test -->" in text
    assert 'xmlns:darktable="http://darktable.sf.net/"' in text and "<darktable:history>" in text
    assert 'darktable:params="0000000040a0093bd8ce374000004842000080c0"' in text
    assert text.count("xmp:Rating=") == 1 and 'xmp:Rating="-1"' in text


def test_tags_held_as_elements_are_updated_in_place_under_their_own_prefixes(tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    photo = jpeg(folder / "street.jpg")
    sidecar = folder / "street.jpg.xmp"
    sidecar.write_text(ELEMENT_SIDECAR, encoding="utf-8")
    original_tree = tree(sidecar)

    table = write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [5], "pick": ["accepted"]}),
                           replace_ratings=True)
    row = table.iloc[0]
    assert (row["action"], row["rating_before"], row["pick_before"]) == ("merge", 3, "pending")

    text = sidecar.read_text(encoding="utf-8")
    assert "<xap:Rating>5</xap:Rating>" in text and "<dk:PickLabel>3</dk:PickLabel>" in text
    assert "xmp:Rating" not in text and "digiKam:PickLabel" not in text
    values = description_values(sidecar)
    assert values[XMP + "Rating"] == ["5"] and values[DIGIKAM + "PickLabel"] == ["3"]
    assert values[PHOTOQ + "Rating"] == ["5"]
    tags = exiftool(sidecar)["street.jpg.xmp"]
    assert tags["XMP-xmp:Rating"] == 5 and tags["XMP-digiKam:PickLabel"] == 3 and tags["XMP-xmp:Label"] == "Blue"

    def without_photoq(node):
        tag, attributes, value, children = node
        attributes = tuple(a for a in attributes if a[0] not in PHOTOQ_ATTRIBUTES)
        children = tuple(without_photoq(c) for c in children if c[0] not in (XMP + "Rating", DIGIKAM + "PickLabel"))
        return tag, attributes, value, children

    assert without_photoq(tree(sidecar)) == without_photoq(original_tree)


def test_the_dry_run_writes_nothing(tmp_path):
    files = shoot(tmp_path / "shoot")
    (tmp_path / "shoot" / "keep.jpg.xmp").write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    before = snapshot(tmp_path)

    plan = plan_sidecars(decisions(*files), replace_ratings=True)

    assert snapshot(tmp_path) == before
    assert not (tmp_path / "shoot" / JOURNAL_FOLDER).exists()
    assert list(plan.columns) == PLAN_COLUMNS
    actions = dict(zip(plan["sidecar"].map(os.path.basename), plan["action"]))
    assert actions["keep.jpg.xmp"] == "merge" and actions["IMG_0001.xmp"] == "create"
    keep = plan[plan["sidecar"].str.endswith("keep.jpg.xmp")].iloc[0]
    assert (keep["rating_before"], keep["rating_after"], keep["pick_after"]) == (2, 4, "accepted")


def test_writing_the_same_decisions_twice_changes_nothing_the_second_time(tmp_path):
    files = shoot(tmp_path / "shoot")
    (tmp_path / "shoot" / "keep.jpg.xmp").write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    first = write_sidecars(decisions(*files))
    assert first["written"].all()
    after_first = snapshot(tmp_path)

    second = write_sidecars(decisions(*files))

    assert set(second["action"]) == {"unchanged"} and not second["written"].any()
    assert set(second["journal"]) == {""}
    assert snapshot(tmp_path) == after_first
    assert len(list((tmp_path / "shoot" / JOURNAL_FOLDER).iterdir())) == 1


# ---- undo ----------------------------------------------------------------------------------------


def test_undo_restores_merged_sidecars_byte_for_byte_and_removes_created_ones(tmp_path):
    files = shoot(tmp_path / "shoot")
    folder = tmp_path / "shoot"
    merged = folder / "keep.jpg.xmp"
    merged.write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    os.chmod(merged, 0o640)
    before = snapshot(tmp_path)
    photos = {path: digest(path) for path in files}

    written = write_sidecars(decisions(*files), photos=folder)
    assert written["written"].all()
    assert merged.read_bytes() != DARKTABLE_SIDECAR.encode("utf-8")
    assert {path: digest(path) for path in files} == photos
    assert (os.stat(merged).st_mode & 0o777) == 0o640

    undone = undo_sidecars(folder)

    assert list(undone.columns) == UNDO_COLUMNS
    actions = dict(zip(undone["sidecar"].map(os.path.basename), undone["action"]))
    assert actions == {"keep.jpg.xmp": "restored", "review.jpg.xmp": "removed", "reject.jpg.xmp": "removed",
                       "IMG_0001.CR2.xmp": "removed", "IMG_0001.xmp": "removed", "IMG_0001.JPG.xmp": "removed"}
    assert merged.read_bytes() == DARKTABLE_SIDECAR.encode("utf-8")
    assert (os.stat(merged).st_mode & 0o777) == 0o640
    after = {path: content[0] for path, content in snapshot(tmp_path).items() if JOURNAL_FOLDER not in path}
    assert after == {path: content[0] for path, content in before.items()}
    for path in files:
        assert digest(path) == photos[path]
        assert os.stat(path).st_mtime_ns == before[str(path)][1]
    with pytest.raises(PhotoqError, match="Nothing to undo"):
        undo_sidecars(folder)


def test_several_writes_are_undone_latest_first(tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    photo = jpeg(folder / "a.jpg")
    sidecar = folder / "a.jpg.xmp"
    sidecar.write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    original = sidecar.read_bytes()
    write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [3], "pick": ["pending"]}), replace_ratings=True)
    after_first = sidecar.read_bytes()
    write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [-1], "pick": ["rejected"]}), replace_ratings=True)
    assert exiftool(sidecar)["a.jpg.xmp"]["XMP-xmp:Rating"] == -1

    assert undo_sidecars(folder)["action"].tolist() == ["restored"]
    assert sidecar.read_bytes() == after_first
    assert undo_sidecars(folder / JOURNAL_FOLDER)["action"].tolist() == ["restored"]
    assert sidecar.read_bytes() == original


def test_a_sidecar_edited_after_the_write_is_not_undone(tmp_path):
    files = shoot(tmp_path / "shoot")
    folder = tmp_path / "shoot"
    merged = folder / "keep.jpg.xmp"
    merged.write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    write_sidecars(decisions(*files))
    program = shutil.which("exiftool")
    edited_created = folder / "reject.jpg.xmp"
    if program:  # the user re-rates in another program, which rewrites the whole file
        subprocess.run([program, "-overwrite_original", "-XMP-xmp:Rating=3", str(edited_created)],
                       check=True, capture_output=True)
    else:
        edited_created.write_bytes(edited_created.read_bytes().replace(b'xmp:Rating="-1"', b'xmp:Rating="3"'))
    merged.write_bytes(merged.read_bytes().replace(b"sunset", b"sunrise"))
    edited = {path: path.read_bytes() for path in (edited_created, merged)}

    undone = undo_sidecars(folder)

    by_name = {os.path.basename(row.sidecar): row for row in undone.itertuples()}
    for name in ("reject.jpg.xmp", "keep.jpg.xmp"):
        row = by_name[name]
        assert row.action == "refused"
        assert "\n" not in row.reason and name in row.reason and "edited since photoq wrote it" in row.reason
    assert "the copy from before photoq is" in by_name["keep.jpg.xmp"].reason
    assert {path: path.read_bytes() for path in edited} == edited
    assert by_name["review.jpg.xmp"].action == "removed" and not (folder / "review.jpg.xmp").exists()
    copies = list((folder / JOURNAL_FOLDER).glob("*/*.old"))
    assert [c.read_bytes() for c in copies] == [DARKTABLE_SIDECAR.encode("utf-8")]


def test_a_rating_the_user_changed_after_photoq_is_kept_by_the_next_write(tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    photo = jpeg(folder / "a.jpg")
    sidecar = folder / "a.jpg.xmp"
    write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [2], "pick": ["pending"]}))
    sidecar.write_bytes(sidecar.read_bytes().replace(b'xmp:Rating="2"', b'xmp:Rating="5"'))

    table = write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [-1], "pick": ["rejected"]}))

    row = table.iloc[0]
    assert row["action"] == "merge" and row["rating_after"] == 5 and row["pick_after"] == "rejected"
    assert "kept xmp:Rating 5" in row["reason"] and "\n" not in row["reason"]
    values = description_values(sidecar)
    # photoq's own namespace holds its latest decision; the person's rating stays theirs
    assert values[XMP + "Rating"] == ["5"] and values[PHOTOQ + "Rating"] == ["-1"]
    assert values[DIGIKAM + "PickLabel"] == ["1"]
    assert table.attrs["kept"] == 1


def test_a_rating_given_before_photoq_is_kept_unless_replace_ratings(tmp_path):
    """A photographer's 5 stars and title, from their own program, are never overwritten by a reject."""
    folder = tmp_path / "shoot"
    folder.mkdir()
    photo = jpeg(folder / "swallowtail.jpg")
    sidecar = folder / "swallowtail.jpg.xmp"
    subprocess.run(["exiftool", "-q", "-o", str(sidecar), "-XMP-xmp:Rating=5", "-XMP-dc:Title=Swallowtail",
                    str(photo)], check=True)
    rejected = pd.DataFrame({"path": [str(photo)], "rating": [-1], "pick": ["rejected"], "score": [0.1]})

    plan = plan_sidecars(rejected)
    assert plan.iloc[0]["rating_after"] == 5 and "kept your xmp:Rating 5" in plan.iloc[0]["reason"]
    table = write_sidecars(rejected)
    assert table.attrs["kept"] == 1
    tags = exiftool(sidecar)["swallowtail.jpg.xmp"]
    assert tags["XMP-xmp:Rating"] == 5 and b"Swallowtail" in sidecar.read_bytes()
    assert description_values(sidecar)[PHOTOQ + "Rating"] == ["-1"]  # photoq's decision, its own namespace
    assert write_sidecars(rejected)["action"].tolist() == ["unchanged"]  # and it stays so

    replaced = write_sidecars(rejected, replace_ratings=True)
    assert replaced.attrs["kept"] == 0 and exiftool(sidecar)["swallowtail.jpg.xmp"]["XMP-xmp:Rating"] == -1
    undo_sidecars(folder)
    assert exiftool(sidecar)["swallowtail.jpg.xmp"]["XMP-xmp:Rating"] == 5


# ---- refusals ------------------------------------------------------------------------------------


def test_linked_malformed_and_foreign_sidecars_are_refused_and_the_rest_proceeds(tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    names = ["linked.jpg", "broken.jpg", "html.jpg", "folder.jpg", "doctype.jpg", "twice.jpg", "fine.jpg"]
    photos = [jpeg(folder / name) for name in names]
    outside = tmp_path / "elsewhere.xmp"
    outside.write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    os.symlink(outside, folder / "linked.jpg.xmp")
    (folder / "broken.jpg.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF", encoding="utf-8")
    (folder / "html.jpg.xmp").write_text("<html><body>not XMP</body></html>", encoding="utf-8")
    (folder / "folder.jpg.xmp").mkdir()
    (folder / "doctype.jpg.xmp").write_text('<!DOCTYPE x [<!ENTITY a "b">]><x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
                                            encoding="utf-8")
    (folder / "twice.jpg.xmp").write_text(DARKTABLE_SIDECAR.replace('xmp:Label="Red"', "").replace(
        "<dc:subject>", "<xmp:Rating>4</xmp:Rating><dc:subject>"), encoding="utf-8")
    before = snapshot(tmp_path)

    table = write_sidecars(pd.DataFrame({"path": [str(p) for p in photos], "rating": [1] * 7, "pick": [""] * 7}))

    rows = {os.path.basename(row.sidecar): row for row in table.itertuples()}
    reasons = {
        "linked.jpg.xmp": "symbolic link", "broken.jpg.xmp": "not valid XML", "html.jpg.xmp": "is not XMP",
        "folder.jpg.xmp": "is a folder", "doctype.jpg.xmp": "DOCTYPE", "twice.jpg.xmp": "xmp:Rating twice",
    }
    for name, words in reasons.items():
        row = rows[name]
        assert row.action == "refused" and not row.written, name
        assert words in row.reason and row.reason.startswith(str(folder / name) + ": ") and "\n" not in row.reason
    assert rows["fine.jpg.xmp"].action == "create" and rows["fine.jpg.xmp"].written
    assert exiftool(folder / "fine.jpg.xmp")["fine.jpg.xmp"]["XMP-xmp:Rating"] == 1
    after = snapshot(tmp_path)
    for path, content in before.items():
        assert after[path] == content, path
    assert outside.read_text(encoding="utf-8") == DARKTABLE_SIDECAR


def test_bad_decisions_are_refused_one_by_one_and_a_table_without_columns_is_an_error(tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    good, bad, gone = jpeg(folder / "good.jpg"), jpeg(folder / "bad.jpg"), folder / "gone.jpg"
    table = plan_sidecars(pd.DataFrame({"path": [str(good), str(bad), str(gone)], "rating": [3, 9, 1],
                                        "pick": ["accepted", "", "maybe"]}))
    rows = {os.path.basename(row.photo): row for row in table.itertuples()}
    assert rows["good.jpg"].action == "create"
    assert rows["bad.jpg"].action == "refused"
    assert "rating must be a whole number from -1 to 5" in rows["bad.jpg"].reason
    assert rows["gone.jpg"].action == "refused" and "pick must be one of" in rows["gone.jpg"].reason
    missing = plan_sidecars(pd.DataFrame({"path": [str(gone)], "rating": [1], "pick": [""]}))
    assert missing["action"].tolist() == ["refused"] and "was not found" in missing["reason"].iloc[0]
    with pytest.raises(PhotoqError, match="lacks the column"):
        plan_sidecars(pd.DataFrame({"path": [str(good)], "rating": [1]}))


def test_a_journal_folder_that_is_a_link_stops_the_write_before_anything_changes(tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    photo = jpeg(folder / "a.jpg")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", folder / JOURNAL_FOLDER)
    before = snapshot(tmp_path)
    with pytest.raises(PhotoqError, match="symbolic link"):
        write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [4], "pick": ["accepted"]}))
    assert snapshot(tmp_path) == before


def test_an_existing_sidecar_spelled_in_capitals_is_the_one_merged(tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    photo = jpeg(folder / "a.jpg")
    (folder / "a.jpg.XMP").write_text(DARKTABLE_SIDECAR, encoding="utf-8")
    table = write_sidecars(pd.DataFrame({"path": [str(photo)], "rating": [4], "pick": ["accepted"]}))
    assert table["sidecar"].tolist() == [str(folder / "a.jpg.XMP")] and table["action"].tolist() == ["merge"]
    assert sorted(p.name for p in folder.iterdir() if p.name != JOURNAL_FOLDER) == ["a.jpg", "a.jpg.XMP"]
