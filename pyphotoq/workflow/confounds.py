"""Labels confounded with a trace: keepers that were edited while rejects were not, or keepers
that all come from one camera or one hour.

The original workflow's author found by hand that the 'good' photos of his archive "were
generally corrected/adjusted in Lightroom, whereas the 'bad' images generally were not". A model
trained on such an archive learns the edit as much as the taste, and the next shoot comes out of
the camera unedited. `confounds(cache)` looks for what he found, from the photos' own files:

* edit traces: an editor named in EXIF `Software` (Lightroom, Photoshop, darktable, digiKam,
  GIMP, Capture One, RawTherapee, ...), an edit history or develop settings in the embedded XMP
  (`xmpMM:History`, `photoshop:History`, darktable's history, Camera Raw's `crs:` settings);
* a histogram stretched to both ends (the cached overview's darkest and brightest 0.5% at the
  ends of the range), as auto-levels leave it;
* one camera for (nearly) all keepers but not for the rejects; keepers all shot within one hour
  while the rejects span more.

Each finding is one line with its counts; `train_model` prints them when it starts a run and
records them in run.json (the report shows them). An edit's traces (EDIT_KINDS) also make the
run learn edit-invariant (pyphotoq.workflow.training, booster_fit.fit_trees).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter

import numpy as np
import pandas as pd


#: Programs that name themselves in EXIF Software when they save an edit (lower case).
EDITORS = ("lightroom", "photoshop", "camera raw", "darktable", "digikam", "gimp", "capture one", "rawtherapee",
           "affinity", "luminar", "snapseed", "on1 ", "dxo", "photolab", "acdsee", "pixelmator", "aperture",
           "lightzone", "silkypix", "photodirector", "paint.net", "corel", "picasa", "fotor", "polarr", "vsco",
           "ufraw", "art ", "exposure x", "raw power", "apple photos", "photos 1", "photos 2")
#: XMP that an editor leaves: an edit history or develop settings.
_XMP_TRACES = re.compile(rb"xmpMM:History|photoshop:History|darktable:history|crs:ProcessVersion|"
                         rb"crs:HasSettings=\"True\"|<crs:|lr:hierarchicalSubject|xmp:CreatorTool=\"[^\"]*(?i:"
                         rb"lightroom|photoshop|darktable|digikam|gimp|capture one|rawtherapee)")
#: Edited copies of every training photo the booster learns from, instead of the photos, when the
#: keepers carry an edit's traces and the rejects do not (README: training from an edited archive).
EDITED_ARCHIVE_COPIES = 1
#: Bytes read from the start of each photo: EXIF and XMP sit in the first segments.
_HEAD_BYTES = 256 * 1024
#: A confound is said when this share of the keepers carries a trace, this much more than the rejects.
KEEPER_SHARE, MARGIN = 0.5, 0.3
#: The smallest class for which a share means anything.
MIN_PHOTOS = 10


def file_traces(path: str) -> dict:
    """What one photo's file says: `editor` (the editing program named in EXIF Software, or
    "XMP edit history"; "" when none), `camera` and `taken`; empty values when unreadable."""
    from ..photos.camera import photo_exif

    try:
        with open(path, "rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError:
        return {"editor": "", "camera": "", "taken": ""}
    exif = photo_exif(head)
    software = str(exif.get("software") or "").strip()
    editor = software if any(name in software.lower() + " " for name in EDITORS) else ""
    if not editor and _XMP_TRACES.search(head):
        editor = "XMP edit history"
    return {"editor": editor, "camera": str(exif.get("model") or "").strip(), "taken": str(exif.get("taken") or "")}


def stretched(pixels: np.ndarray) -> bool:
    """Whether an image's luma reaches both ends of the range (0.5% at <= 2 and at >= 253)."""
    luma = pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    low, high = np.quantile(luma, [0.005, 0.995])
    return bool(low <= 2 and high >= 253)


#: The findings that are an edit's traces (the rest: one camera, one hour).
EDIT_KINDS = ("editor", "stretched")


def confounds(cache, progress: bool | None = None) -> list[str]:
    """One line per trace the cache's labels are confounded with (see the module); [] when none."""
    return [line for _, line in findings(cache, progress)]


def findings(cache, progress: bool | None = None) -> list[tuple[str, str]]:
    """(kind, line) of each trace the cache's labels are confounded with: kind "editor",
    "stretched" (EDIT_KINDS: an edit's traces), "camera" or "hour"; [] when none."""
    from PIL import Image
    from ..core.progress import tqdm

    from ..data.cache_format import cached_name

    manifest = cache.manifest
    positive = cache.positive
    good = (manifest["label"] == positive).to_numpy()
    if good.sum() < MIN_PHOTOS or (~good).sum() < MIN_PHOTOS:
        return []
    rows = []
    for original, digest in tqdm(list(zip(manifest["original"], manifest["hash"])), desc="Edit traces",
                                 unit="photo", disable=None if progress is None else not progress):
        traces = file_traces(original) if os.path.isfile(original) else {"editor": "", "camera": "", "taken": ""}
        try:
            with Image.open(cache.path / cached_name(digest)) as image:
                image.draft("RGB", (image.width // 4, image.height // 4))  # a quarter's pixels say it
                traces["stretched"] = stretched(np.asarray(image.convert("RGB")))
        except (OSError, ValueError):
            traces["stretched"] = False
        rows.append(traces)
    table = pd.DataFrame(rows)
    n_good, n_bad = int(good.sum()), int((~good).sum())
    negative = cache.info["classes"]["negative"]
    found = []
    edited = (table["editor"] != "").to_numpy()
    if _confounded(edited, good):
        names = Counter(table.loc[edited & good, "editor"]).most_common(2)
        found.append(("editor", f"{edited[good].sum():,} of {n_good:,} {positive} photos carry an editor's "
                      f"trace ({', '.join(name for name, _ in names)}), {edited[~good].sum():,} of {n_bad:,} "
                      f"{negative}"))
    stretch = table["stretched"].to_numpy(bool)
    if _confounded(stretch, good):
        found.append(("stretched", f"{stretch[good].sum():,} of {n_good:,} {positive} photos have a histogram "
                      f"stretched to both ends (as auto-levels leaves it), {stretch[~good].sum():,} of "
                      f"{n_bad:,} {negative}"))
    cameras = table["camera"].to_numpy()
    known = cameras != ""
    if known[good].sum() >= MIN_PHOTOS and known[~good].sum() >= MIN_PHOTOS:
        camera, count = Counter(cameras[good & known]).most_common(1)[0]
        share_good = count / known[good].sum()
        share_bad = float(np.mean(cameras[~good & known] == camera))
        if share_good >= 0.9 and share_good - share_bad >= 0.4:
            found.append(("camera", f"{count:,} of {known[good].sum():,} {positive} photos are from the "
                          f"{camera}, {int(share_bad * known[~good].sum()):,} of {known[~good].sum():,} {negative}"))
    taken = pd.to_datetime(table["taken"].where(table["taken"] != ""), errors="coerce")
    if taken[good].notna().sum() >= MIN_PHOTOS and taken[~good].notna().sum() >= MIN_PHOTOS:
        span_good = taken[good].max() - taken[good].min()
        span_bad = taken[~good].max() - taken[~good].min()
        if span_good <= pd.Timedelta(hours=1) < span_bad / 3:
            found.append(("hour", f"every dated {positive} photo was taken within one hour "
                          f"({taken[good].min():%Y-%m-%d %H:%M}), the {negative} ones over {span_bad.days} days"))
    return found


def _confounded(trace: np.ndarray, good: np.ndarray) -> bool:
    share_good, share_bad = float(np.mean(trace[good])), float(np.mean(trace[~good]))
    return share_good >= KEEPER_SHARE and share_good - share_bad >= MARGIN


def edit_confounded(found: list[tuple[str, str]]) -> bool:
    """Whether findings(...) name an edit's trace (the keepers edited, the rejects not)."""
    return any(kind in EDIT_KINDS for kind, _ in found)


def confound_text(lines: list[str], edit_copies: int, edited_archive: bool = False) -> str:
    """The one line train_model prints: the findings, and what photoq does about them."""
    if edited_archive:
        doing = ("photoq trains edit-invariant: its trees learn from edited copies of both classes only, never from "
                 "the photos as you edited them, and the network, which sees them as edited, gets no weight")
    elif edit_copies:
        doing = "photoq also learns from edited copies of both classes, so that an edit alone tells nothing"
    else:
        doing = "this recipe learns from the photos as they are"
    return ("Your labels go with traces other than taste: " + "; ".join(lines) + f". {doing}; it learns your "
            "taste best from the unedited originals (README: training from an edited archive)")


def learn_past_edits(cache, settings: dict, progress) -> list[tuple[str, str]]:
    """What the labels go with besides taste (findings), for a new run of `settings`. Where it is
    an edit (the keepers edited, the rejects not) and the recipe fits the booster with no edited
    copies of its own, `settings` learn edit-invariant (`edited_archive`): the trees learn from
    EDITED_ARCHIVE_COPIES edited copies of every training photo and not from the photos as
    edited, and the network, which learns from them as edited, gets no weight in the blend
    (booster_fit.fit_trees, booster_fit.choose_weight)."""
    found = findings(cache, progress=progress)
    if edit_confounded(found) and settings.get("booster") and settings.get("edit_copies") == 0:
        settings["edit_copies"], settings["edited_archive"] = EDITED_ARCHIVE_COPIES, True
    return found


def note_confounds(run_handle, found: list[tuple[str, str]], settings: dict) -> None:
    """Say (one line on stderr) and record in run.json what the labels go with besides taste."""
    if not found:
        return
    text = confound_text([line for _, line in found], int(settings.get("edit_copies", 0)),
                         bool(settings.get("edited_archive")))
    print(text, file=sys.stderr)
    run_handle.info["confounds"] = text
    run_handle.write_info()
