"""Write an environment.yml that `conda env create -f` and reticulate's conda_create accept."""

from __future__ import annotations

import platform
from pathlib import Path

import yaml

#: What pyphotoq needs at run time, as pip requirements.
RUNTIME_REQUIREMENTS = [
    "tensorflow>=2.16",
    "keras>=3.3",
    "numpy>=1.26",
    "pillow>=10",
    "pandas>=2",
    "scikit-learn>=1.3",
    # the booster's gradient-boosted trees; 4.6.0 fixed CVE-2024-43598
    "lightgbm>=4.6",
    "matplotlib>=3.7",
    "pyyaml>=6",
    "tqdm>=4.60",
    # RAW files (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2, PEF, SRW): LibRaw reads their previews and sensor
    # data; 0.28 bundles LibRaw 0.22.2, which fixed heap overflows in its decoders (CVE-2026-21413 and others)
    "rawpy>=0.28",
    # HEIC/HEIF photos from phones and cameras: libheif as a Pillow opener
    "pillow-heif>=1.8.1",
]


def write_conda_env(
    file="environment.yml",
    name: str = "photoq",
    python: str | None = None,
    channels=("conda-forge",),
    package: str = "pyphotoq",
    extra_pip=(),
) -> Path:
    """Write a conda environment file with Python and pyphotoq (plus its needs) from pip.

    `package` is what pip installs for pyphotoq: a name, a path to a checkout or a wheel.
    Returns the path written.
    """
    python = python or ".".join(platform.python_version_tuple()[:2])
    spec = {
        "name": str(name),
        "channels": list(channels),
        "dependencies": [
            f"python={python}",
            "pip",
            {"pip": [*RUNTIME_REQUIREMENTS, str(package), *map(str, extra_pip)]},
        ],
    }
    path = Path(file).expanduser()
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def read_conda_env(file) -> dict:
    """Read an environment file back (a plain dict)."""
    return yaml.safe_load(Path(file).expanduser().read_text(encoding="utf-8"))
