"""A realistic benchmark set: camera-like shots made from real photographs that Debian ships.

Nothing here is committed or downloaded at run time except Debian packages through apt: the
script fetches the wallpaper packages listed in SOURCES with `apt-get download`, unpacks them
into the output folder (never installs them) and turns each listed photograph into a *scene*.
Each scene becomes many shots, as a photographer takes them on a trip: small shifts of framing,
exposure and time, some portrait, some stored sideways with an EXIF orientation tag, at camera
sizes (1,600-2,400 px on the long side, JPEG quality 92, EXIF capture time and camera model).

Labels, per shot:

* good (30%): clean, with a global edit that varies between shots (contrast curve, white
  balance, saturation, a little sharpening), as a photographer's keeper would be;
* bad (70%): one or two capture defects of varied strength, from obvious to subtle: defocus,
  camera shake, sensor noise, under- or over-exposure, tilted horizon, awkward crop, heavy JPEG
  compression, colour cast (half of them also edited, so "edited" alone does not mean good);
  or technically fine but dull (no edit at all), so that "sharp" alone does not mean good.

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
           "compression", "colour cast")
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


def global_edit(img: Image.Image, rng) -> Image.Image:
    """A photographer's global edit: contrast curve, white balance, saturation, sharpening."""
    a = np.asarray(img, dtype=np.float32) / 255.0
    strength = rng.uniform(0.25, 0.6)
    curved = a + strength * (a - 0.5) * (1 - np.abs(2 * a - 1))  # a soft S-curve
    gains = 1 + rng.uniform(-0.04, 0.04, size=3)
    curved = np.clip(curved * gains, 0, 1)
    out = Image.fromarray((curved * 255 + 0.5).astype(np.uint8))
    out = ImageEnhance.Color(out).enhance(rng.uniform(1.15, 1.4))
    return out.filter(ImageFilter.UnsharpMask(radius=rng.uniform(1.0, 2.0), percent=int(rng.uniform(40, 90)), threshold=2))


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
    rows = []
    for number in range(first, first + count):
        taken += timedelta(seconds=int(rng.integers(2, 12)))
        portrait = bool(rng.random() < 0.2)
        shot = make_shot(scene, rng, portrait, int(rng.integers(1600, 2401)))
        good = rng.random() < 0.3
        defects, strength, edited = [], float("nan"), True
        if not good:
            if rng.random() < 0.15:
                defects, edited = ["dull"], False
            else:
                k = 2 if rng.random() < 0.25 else 1
                defects = [str(d) for d in rng.choice(DEFECTS, size=k, replace=False)]
                edited = bool(rng.random() < 0.5)
                strength = float(rng.uniform(0, 1))
        if edited:
            shot = global_edit(shot, rng)
        for defect in defects:
            if defect != "dull":
                shot = apply_defect(shot, defect, strength, rng)
        orientation = 1
        if rng.random() < 0.15:  # stored sideways, as cameras do, with the tag to undo it
            orientation = int(rng.choice([6, 8]))
            shot = shot.transpose(Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270)
        label = "good" if good else "bad"
        path = Path(photos) / label / f"IMG_{number:05d}.jpg"
        shot.save(path, "JPEG", quality=92, exif=_exif(taken, camera, orientation))
        rows.append({
            "path": str(path), "scene": name, "label": label,
            "defects": "+".join(defects) if defects else "none",
            "strength": strength, "edited": edited, "portrait": portrait, "orientation": orientation,
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
