"""A realistic benchmark set: camera-like shots made from real photographs that Debian ships.

Nothing here is committed or downloaded at run time except Debian packages through apt: the
script fetches the wallpaper packages listed in SOURCES with `apt-get download`, unpacks them
into the output folder (never installs them) and turns each listed photograph into a *scene*.
Each scene becomes many shots, as a photographer takes them on a trip: small shifts of framing,
exposure and time, some portrait, some stored sideways with an EXIF orientation tag, at camera
sizes (1,600-2,400 px on the long side, JPEG quality 92, EXIF capture time and camera model).

Labels, per shot:

* good (30%): clean, as a photographer's keeper would be;
* bad (70%): one or two capture defects of varied strength, from obvious to subtle: defocus,
  camera shake, sensor noise, under- or over-exposure, tilted horizon, awkward crop, heavy JPEG
  compression, colour cast, or flat light (a dull scene: hazy, low contrast; dull in the scene
  itself, not for want of an edit), so that "sharp" alone does not mean good.

Each shot is written twice, as a photographer's archive holds it and as the camera made it:

* `photos/{good,bad}`: the archive. 75% of the keepers carry a photographer's global edit, and
  half of the rejects do (so "edited" alone does not mean good, but leans that way, as in real
  archives); an edit is a random mix of auto-levels, a contrast curve, white balance, vibrance,
  clarity and output sharpening, of varied strength;
* `fresh/{good,bad}`: the same shots straight from the camera, nothing edited: the next shoot
  that photoq must cull.

A quarter of the scenes are shot with a shallow depth of field: in every shot of such a scene a
subject region is sharp and the rest strongly blurred (portraits, macro and wildlife are shot
that way), keepers and rejects alike; `truth.csv` marks them (`shallow`).

Shots of one scene are taken seconds apart and scenes hours apart, so a split that keeps scenes
together (photoq's default) never shows a test scene in training. `truth.csv` holds every
shot's scene, label, defects and strength, for the per-defect breakdown.

Usage: python benchmarks/realistic_photos.py OUT [--shots 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageEnhance, ImageFilter

# Licence of the photographs used, as each package's debian/copyright states it.
# Only photographs (checked by looking at each); renders and vector art are left out.
PACKAGES = {
    "lomiri-wallpapers-16.04": "CC-BY-4.0 or CC-BY-SA-4.0, per file in debian/copyright",
    "lomiri-wallpapers-20.04": "CC-BY-4.0 or CC-BY-SA-4.0, per file in debian/copyright",
    "mate-backgrounds": "GPL-2+",
    "plasma-workspace-wallpapers": "GPL-2+",
}
SOURCES = [
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/Dragonfly_by_Bolly.jpg"),
    ("lomiri-wallpapers-20.04", "usr/share/backgrounds/Infinite-Sea_by_Aury88.jpg"),
    ("lomiri-wallpapers-20.04", "usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/Picture_0B_by_freespace.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/free_by_Peter_Nerlich.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/greentock_by_Peter_Nerlich.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg"),
    ("lomiri-wallpapers-16.04", "usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/Aqua.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/Blinds.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/Dune.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/FreshFlower.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/Garden.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/LadyBird.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/RainDrops.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/Storm.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/TwoWings.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/Wood.jpg"),
    ("mate-backgrounds", "usr/share/backgrounds/mate/nature/YellowFlower.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/Autumn/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/Grey/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/Kite/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/Path/contents/images/2560x1600.jpg"),
    ("plasma-workspace-wallpapers", "usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg"),
]
#: Photographs at least this wide give two scenes (their left and right 60%, which overlap
#: by a fifth), so 37 photographs give 45 scenes.
SPLIT_WIDTH = 3000
DEFECTS = ("defocus", "shake", "noise", "underexposed", "overexposed", "tilt", "crop",
           "compression", "colour cast", "flat light")
#: Shares of edited keepers and edited rejects in the archive (photos/).
EDITED_GOOD, EDITED_BAD = 0.75, 0.5
#: Share of scenes shot with a shallow depth of field.
SHALLOW_SCENES = 0.25
CAMERAS = ("Camera A", "Camera B")


def fetch_photographs(out: Path) -> list[Path]:
    """Download (not install) the packages, unpack them under out/debian, list the photos."""
    debs = out / "debian"
    root = debs / "root"
    missing = [p for p, f in SOURCES if not (root / f).exists()]
    if missing:
        debs.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", *sorted(set(missing))], cwd=debs, check=True,
                       stdout=subprocess.DEVNULL)
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return [root / f for _, f in SOURCES]


def scenes(photos: list[Path], work_side: int = 2600) -> list[tuple[str, Image.Image]]:
    """(name, image) of every scene, each at most `work_side` px on its long side."""
    out = []
    for path in photos:
        with Image.open(path) as img:
            img.draft("RGB", (work_side, work_side))
            img = img.convert("RGB")
        name = path.stem if "wallpapers/" not in str(path) else path.parts[-4]
        w, h = img.size
        parts = [(name, img)]
        if w >= SPLIT_WIDTH:
            cut = int(w * 0.6)
            parts = [(f"{name}-left", img.crop((0, 0, cut, h))), (f"{name}-right", img.crop((w - cut, 0, w, h)))]
        for part_name, part in parts:
            scale = work_side / max(part.size)
            if scale < 1:
                part = part.resize((round(part.width * scale), round(part.height * scale)), Image.Resampling.LANCZOS)
            out.append((part_name, part))
    return out


# ----------------------------------------------------------------------------- pixel work


def _to_linear(a):
    return np.power(a / 255.0, 2.2)


def _from_linear(a):
    return np.clip(np.power(np.clip(a, 0, 1), 1 / 2.2) * 255.0 + 0.5, 0, 255).astype(np.uint8)


EDITS = ("levels", "curve", "white balance", "vibrance", "clarity", "sharpening")


def global_edit(img: Image.Image, rng) -> Image.Image:
    """A photographer's global edit: two to five of auto-levels, a contrast curve, white balance,
    vibrance, clarity and output sharpening, each of varied strength (photographers differ)."""
    chosen = set(rng.choice(EDITS, size=int(rng.integers(2, 6)), replace=False))
    a = np.asarray(img, dtype=np.float32) / 255.0
    if "levels" in chosen:  # stretch the luma to both ends (auto-levels)
        luma = a @ np.array([0.299, 0.587, 0.114], np.float32)
        low, high = np.quantile(luma[::4, ::4], [rng.uniform(0.002, 0.02), 1 - rng.uniform(0.002, 0.02)])
        a = np.clip((a - low) / max(high - low, 0.05), 0, 1)
    if "curve" in chosen:  # a soft S-curve
        a = a + rng.uniform(0.2, 0.6) * (a - 0.5) * (1 - np.abs(2 * a - 1))
    if "white balance" in chosen:
        a = a * (1 + rng.uniform(-0.05, 0.05, size=3))
    out = Image.fromarray((np.clip(a, 0, 1) * 255 + 0.5).astype(np.uint8))
    if "vibrance" in chosen:
        out = ImageEnhance.Color(out).enhance(rng.uniform(1.1, 1.45))
    if "clarity" in chosen:  # local contrast: a wide, gentle unsharp mask
        out = out.filter(ImageFilter.UnsharpMask(radius=max(out.size) / rng.uniform(60, 120),
                                                 percent=int(rng.uniform(15, 40)), threshold=0))
    if "sharpening" in chosen:  # output sharpening
        out = out.filter(ImageFilter.UnsharpMask(radius=rng.uniform(0.8, 2.0), percent=int(rng.uniform(40, 120)),
                                                 threshold=2))
    return out


def shallow_depth(img: Image.Image, rng) -> Image.Image:
    """A sharp subject on a strongly blurred background: an elliptic region around a point near
    the centre stays sharp, the rest is blurred with a soft edge between (as a wide aperture)."""
    w, h = img.size
    rx, ry = w * rng.uniform(0.14, 0.24), h * rng.uniform(0.18, 0.3)
    # the subject: where the detail is, near the middle (a sharp patch of sky is no subject)
    small = np.asarray(img.convert("L").resize((64, max(1, round(64 * h / w)))), np.float32)
    energy = np.abs(np.diff(small, axis=0))[:, :-1] + np.abs(np.diff(small, axis=1))[:-1, :]
    box = np.ones((max(1, int(64 * ry / w)), max(1, int(64 * rx / w))), np.float32)
    from scipy.signal import fftconvolve

    local = fftconvolve(energy, box, mode="same")
    rows, cols = local.shape
    middle = np.zeros_like(local, bool)
    middle[int(rows * 0.25): int(rows * 0.75) + 1, int(cols * 0.25): int(cols * 0.75) + 1] = True
    y, x = np.unravel_index(int(np.argmax(np.where(middle, local, -1))), local.shape)
    cx, cy = (x + 1) / cols * w, (y + 1) / rows * h
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    distance = np.sqrt(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)
    sharp = np.clip(1.6 - distance, 0, 1)[..., None]  # 1 inside, fading over a band outside
    blurred = np.asarray(img.filter(ImageFilter.GaussianBlur(max(w, h) / rng.uniform(150, 300))), np.float32)
    mixed = sharp * np.asarray(img, np.float32) + (1 - sharp) * blurred
    return Image.fromarray(np.clip(mixed + 0.5, 0, 255).astype(np.uint8))


def apply_defect(img: Image.Image, defect: str, s: float, rng) -> Image.Image:
    """`img` with one capture defect of strength `s` in [0, 1] (0 subtle, 1 obvious)."""
    side = max(img.size)
    if defect == "defocus":
        return img.filter(ImageFilter.GaussianBlur(side / 2000 * (1.2 + 4.0 * s)))
    if defect == "shake":
        length = max(3, int(side / 2000 * (4 + 22 * s)))
        angle = rng.uniform(0, math.pi)
        a = np.asarray(img, dtype=np.float32)
        acc = np.zeros_like(a)
        for i in range(length):
            t = i - (length - 1) / 2
            acc += np.roll(a, (round(t * math.sin(angle)), round(t * math.cos(angle))), axis=(0, 1))
        return Image.fromarray(np.clip(acc / length + 0.5, 0, 255).astype(np.uint8))
    if defect == "noise":
        a = np.asarray(img, dtype=np.float32)
        sigma = 4 + 18 * s
        luma = rng.normal(0, sigma, a.shape[:2])[..., None]
        chroma = rng.normal(0, sigma * 0.5, a.shape)
        return Image.fromarray(np.clip(a + luma + chroma, 0, 255).astype(np.uint8))
    if defect in ("underexposed", "overexposed"):
        ev = (0.7 + 1.5 * s) * (-1 if defect == "underexposed" else 1)
        return Image.fromarray(_from_linear(_to_linear(np.asarray(img, dtype=np.float32)) * 2**ev))
    if defect == "tilt":
        degrees = (1.5 + 6.5 * s) * rng.choice([-1, 1])
        w, h = img.size
        rotated = img.rotate(degrees, resample=Image.Resampling.BICUBIC)
        r = math.radians(abs(degrees))
        # the largest centred crop of the same aspect with no empty corners
        k = 1 / (math.cos(r) + max(w, h) / min(w, h) * math.sin(r))
        cw, ch = int(w * k), int(h * k)
        box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
        return rotated.crop(box).resize((w, h), Image.Resampling.BICUBIC)
    if defect == "crop":
        # subject cut off: a tight window of the same aspect pushed into a random corner,
        # enlarged back to the frame's size (as a photographer zoomed in and aimed off)
        w, h = img.size
        keep = 0.75 - 0.3 * s
        cw, ch = int(w * keep), int(h * keep)
        corner = rng.integers(4)
        x = 0 if corner in (0, 2) else w - cw
        y = 0 if corner in (0, 1) else h - ch
        return img.crop((x, y, x + cw, y + ch)).resize((w, h), Image.Resampling.BICUBIC)
    if defect == "compression":
        buffer = io.BytesIO()
        img.save(buffer, "JPEG", quality=int(22 - 17 * s))
        return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if defect == "flat light":  # haze: contrast pressed toward a lifted grey, colour muted
        a = np.asarray(img, dtype=np.float32)
        mean = a.mean()
        flat = (0.55 * mean + 0.45 * 150) + (0.55 - 0.25 * s) * (a - mean)
        flat = 0.8 * flat + 0.2 * flat.mean(axis=2, keepdims=True)
        return Image.fromarray(np.clip(flat + 0.5, 0, 255).astype(np.uint8))
    if defect == "colour cast":
        gains = np.ones(3)
        gains[rng.integers(3)] += (0.12 + 0.3 * s) * rng.choice([-1, 1])
        a = np.asarray(img, dtype=np.float32) * gains
        return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    raise ValueError(defect)


def make_shot(scene: Image.Image, rng, portrait: bool, long_side: int) -> Image.Image:
    """A camera-like frame of the scene: a slightly shifted window, a little exposure change."""
    w, h = scene.size
    aspect = 2 / 3 if portrait else rng.choice([3 / 2, 4 / 3])
    ch = int(h * rng.uniform(0.78, 0.95))
    cw = int(ch * aspect) if portrait else int(min(w * rng.uniform(0.78, 0.95), ch * aspect))
    ch = min(ch, int(cw / aspect)) if not portrait else ch
    cw = min(cw, w)
    x = int(rng.uniform(0, w - cw + 1))
    y = int(rng.uniform(0, h - ch + 1))
    frame = scene.crop((x, y, x + cw, y + ch))
    scale = long_side / max(frame.size)
    frame = frame.resize((round(frame.width * scale), round(frame.height * scale)), Image.Resampling.LANCZOS)
    ev = rng.normal(0, 0.12)
    return Image.fromarray(_from_linear(_to_linear(np.asarray(frame, dtype=np.float32)) * 2**ev))


def _exif(taken: datetime, camera: str, orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0110] = camera
    exif[0x0112] = orientation
    exif[0x0132] = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    return exif


def _scene_shots(job) -> list[dict]:
    """Write the shots of one scene; each scene has its own random stream (any worker count
    gives the same photos)."""
    index, name, scene, count, first, photos, seed = job
    rng = np.random.default_rng([seed, index])
    taken = datetime(2026, 6, 1, 7, 0, 0) + timedelta(hours=3 * index)
    camera = CAMERAS[index % 2]
    shallow = bool(rng.random() < SHALLOW_SCENES)
    fresh = Path(photos).parent / "fresh"
    rows = []
    for number in range(first, first + count):
        taken += timedelta(seconds=int(rng.integers(2, 12)))
        portrait = bool(rng.random() < 0.2)
        shot = make_shot(scene, rng, portrait, int(rng.integers(1600, 2401)))
        if shallow:
            shot = shallow_depth(shot, rng)
        good = rng.random() < 0.3
        defects, strength = [], float("nan")
        if not good:
            k = 2 if rng.random() < 0.25 else 1
            defects = [str(d) for d in rng.choice(DEFECTS, size=k, replace=False)]
            strength = float(rng.uniform(0, 1))
        edited = bool(rng.random() < (EDITED_GOOD if good else EDITED_BAD))
        capture = shot
        for defect in defects:  # the capture as the camera made it (a heavy compression is how
            if defect != "compression":  # the file was saved: last, after any edit)
                capture = apply_defect(capture, defect, strength, rng)
        archive = global_edit(capture, rng) if edited else capture  # the archive's copy

        def saved(image):
            return apply_defect(image, "compression", strength, rng) if "compression" in defects else image

        camera_shot, archive = saved(capture), saved(archive)
        orientation = 1
        if rng.random() < 0.15:  # stored sideways, as cameras do, with the tag to undo it
            orientation = int(rng.choice([6, 8]))
        label = "good" if good else "bad"
        for folder, image in ((Path(photos), archive), (fresh, camera_shot)):
            if orientation != 1:
                image = image.transpose(Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270)
            image.save(folder / label / f"IMG_{number:05d}.jpg", "JPEG", quality=92,
                       exif=_exif(taken, camera, orientation))
        rows.append({
            "path": str(Path(photos) / label / f"IMG_{number:05d}.jpg"),
            "fresh": str(fresh / label / f"IMG_{number:05d}.jpg"), "scene": name, "label": label,
            "defects": "+".join(defects) if defects else "none",
            "strength": strength, "edited": edited, "shallow": shallow, "portrait": portrait,
            "orientation": orientation,
        })
    return rows


def make_realistic_set(out, shots: int = 2000, seed: int = 0, workers: int | None = None,
                       progress: bool = True) -> pd.DataFrame:
    """Write `shots` labelled shots under out/photos/{good,bad} and out/truth.csv; return truth."""
    from concurrent.futures import ProcessPoolExecutor

    out = Path(out)
    scene_list = scenes(fetch_photographs(out))
    photos = out / "photos"
    for label in ("good", "bad"):
        (photos / label).mkdir(parents=True, exist_ok=True)
        (out / "fresh" / label).mkdir(parents=True, exist_ok=True)
    per_scene = np.full(len(scene_list), shots // len(scene_list))
    per_scene[: shots - per_scene.sum()] += 1
    firsts = np.concatenate([[0], np.cumsum(per_scene)[:-1]])
    jobs = [(i, name, scene, int(n), int(f), str(photos), seed)
            for i, ((name, scene), n, f) in enumerate(zip(scene_list, per_scene, firsts))]
    rows = []
    with ProcessPoolExecutor(workers or os.cpu_count() or 1) as pool:
        for done, scene_rows in enumerate(pool.map(_scene_shots, jobs), 1):
            rows.extend(scene_rows)
            if progress:
                print(f"  scene {done}/{len(jobs)}: {len(rows)} shots", file=sys.stderr)
    truth = pd.DataFrame(rows)
    truth.to_csv(out / "truth.csv", index=False)
    licences = pd.DataFrame([{"package": p, "file": f, "licence": PACKAGES[p]} for p, f in SOURCES])
    licences.to_csv(out / "sources.csv", index=False)
    return truth


#: A sidecar as a photographer's program leaves it: xmp:Rating and digiKam's pick label.
_SIDECAR = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
            '    xmlns:digiKam="http://www.digikam.org/ns/1.0/" {marks}/>\n'
            ' </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="w"?>\n')


def rate_originals(out, seed: int = 0) -> int:
    """The shoot as a photographer who rates instead of sorting leaves it: beside every unedited
    original under out/fresh, a sidecar NAME.jpg.xmp with the rating the photographer gave (a
    keeper 4 or 5 stars, or 3 stars and accepted in digiKam; a reject -1, or its pick label
    rejected). The labels then come from the sidecars (build_cache(labels="xmp")), not from the
    folders. Returns how many sidecars were written (existing ones are kept)."""
    truth = pd.read_csv(Path(out) / "truth.csv")
    rng = np.random.default_rng(seed)
    written = 0
    for fresh, label in zip(truth["fresh"], truth["label"]):
        sidecar = Path(fresh + ".xmp")
        if sidecar.exists():
            continue
        if label == "good":
            marks = rng.choice(['xmp:Rating="5"', 'xmp:Rating="4"', 'xmp:Rating="3" digiKam:PickLabel="3"'])
        else:
            marks = rng.choice(['xmp:Rating="-1"', 'xmp:Rating="2" digiKam:PickLabel="1"'])
        sidecar.write_text(_SIDECAR.format(marks=marks), encoding="utf-8")
        written += 1
    return written


#: What an editor writes into EXIF Software when it exports an edit (the confounded archive's keepers).
EDITOR = "Adobe Photoshop Lightroom Classic 13.0 (Windows)"


def confounded_archive(out, seed: int = 0) -> int:
    """The archive the original author describes, fully confounded: under out/confounded, every
    keeper edited (a global edit of its camera file, exported with the editor named in EXIF
    Software) and every reject as the camera made it. Trained on it, a model can tell the classes
    apart by the edit alone; the fresh shoot (out/fresh) shows whether it learnt the taste. The
    edits are drawn per shot from `seed` and the shot's number, so the archive is the same each
    time. Returns how many photos were written (existing ones are kept)."""
    truth = pd.read_csv(Path(out) / "truth.csv")
    written = 0
    for fresh, label in zip(truth["fresh"], truth["label"]):
        target = Path(out) / "confounded" / label / Path(fresh).name
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if label != "good":
            target.write_bytes(Path(fresh).read_bytes())
        else:
            with Image.open(fresh) as image:
                exif = image.getexif()
                pixels = image.convert("RGB")
            exif[0x0131] = EDITOR
            rng = np.random.default_rng([seed, 0xED, int(Path(fresh).stem.split("_")[-1])])
            global_edit(pixels, rng).save(target, "JPEG", quality=92, exif=exif)
        written += 1
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder to write (outside the repository)")
    parser.add_argument("--shots", type=int, default=2000, help="shots to make (default 2000; 400 for a quick try)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = parser.parse_args(argv)
    truth = make_realistic_set(args.out, args.shots, args.seed, args.workers)
    print(truth.groupby("label").size().to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
