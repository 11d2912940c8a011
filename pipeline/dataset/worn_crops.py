"""Random crops of HR photos, each made small and worn its own way by a preset's `downscale`
section: the measuring data of the photo model's router and its kernel detector (both fit
on what the worn model was trained to undo)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pipeline.dataset.degradation import degrade_telling
from pipeline.imaging.images import BadImage, decode, list_images
from pipeline.imaging.resize import modcrop
from pipeline.params import Downscale
from pipeline.randomness import rng_for


def preset_downscale(preset: str) -> Downscale:
    """params.yaml's `downscale` section with presets/<preset>.yaml applied (ParamsError if bad)."""
    from pipeline.params import PARAMS_FILE, load_params, with_overrides
    from pipeline.tools.preset import load_preset

    return with_overrides(load_params(PARAMS_FILE), load_preset(preset, need_folders=False)[2]).downscale


def worn_crops(folders: list[Path], worn: Downscale, crops: int, side: int, scale: int,
               seed: int) -> Iterator[tuple[str, np.ndarray, np.ndarray, str]]:
    """(name "folder/file#k", LR, HR, kernel drawn) for `crops` crops of every image, seeded
    per image name; an unreadable image is skipped with a line on stderr."""
    for folder in folders:
        for path in list_images(folder):
            try:
                hr_full = modcrop(decode(path).rgb, scale)
            except BadImage as e:
                print(f"skipping {path}: {e.detail}", file=sys.stderr)
                continue
            rng = rng_for(seed, path.name)
            h, w = hr_full.shape[:2]
            for k in range(crops):
                ch, cw = min(side, h) // scale * scale, min(side, w) // scale * scale
                top = int(rng.integers(0, h - ch + 1)) // scale * scale
                left = int(rng.integers(0, w - cw + 1)) // scale * scale
                hr = hr_full[top:top + ch, left:left + cw]
                lr, kernel = degrade_telling(hr, scale, worn, rng)
                yield f"{folder.name}/{path.name}#{k}", lr, hr, kernel
