"""The HR images training and scoring use, cut from the filtered photos (crop.mode).

- whole:  the image itself (cut to a multiple of base.scale); training draws patches anywhere;
- tiles:  every `side` x `side` crop on a `stride` grid, at most `max_per_image`, evenly spread;
- center: one crop from the middle (tiles and center keep an image smaller than `side` whole);
- seed:   resize the shorter side to `side`, then one seeded random crop (the 2019
          project's 600x600 recipe).
Validation and test images always stay whole (cut to a multiple of base.scale), so they are
scored like the literature's test sets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.imaging.images import load_rgb, save_png
from pipeline.imaging.resize import modcrop, pillow_resize
from pipeline.params import Crop
from pipeline.randomness import rng_for


def tile_origins(h: int, w: int, size: int, stride: int, limit: int) -> list[tuple[int, int]]:
    """Top-left corners of the crops on a grid, thinned evenly to at most `limit`."""
    origins = [(y, x) for y in range(0, h - size + 1, stride) for x in range(0, w - size + 1, stride)]
    if len(origins) > limit:
        keep = np.linspace(0, len(origins) - 1, limit).round().astype(int)
        origins = [origins[i] for i in keep]
    return origins


def crops(img: np.ndarray, p: Crop, rng: np.random.Generator) -> list[np.ndarray]:
    h, w = img.shape[:2]
    # A photo narrower than one crop (the filter lets 128 pixels through) is still a photo:
    # kept whole, as mode `whole` keeps every one, since the patch sampler takes any size.
    if p.mode == "whole" or (p.mode in ("tiles", "center") and min(h, w) < p.side):
        return [img]
    if p.mode == "tiles":
        return [img[y:y + p.side, x:x + p.side] for y, x in tile_origins(h, w, p.side, p.stride, p.max_per_image)]
    if p.mode == "center":
        y, x = (h - p.side) // 2, (w - p.side) // 2
        return [img[y:y + p.side, x:x + p.side]]
    ratio = p.side / min(h, w)
    img = pillow_resize(img, (max(p.side, round(h * ratio)), max(p.side, round(w * ratio))))
    h, w = img.shape[:2]
    y, x = int(rng.integers(0, h - p.side + 1)), int(rng.integers(0, w - p.side + 1))
    return [img[y:y + p.side, x:x + p.side]]


def crop_file(job: tuple[Path, Path], p: Crop, seed: int, scale: int) -> int:
    """One filtered image into its folder of data/hr: a training image becomes its crops
    (<stem>_<k>.png, each side x side), every other image is kept whole; returns how many
    files were written."""
    src, dst_dir = job
    img = load_rgb(src)
    if dst_dir.name != "train" or p.mode == "whole":
        save_png(np.ascontiguousarray(modcrop(img, scale)), dst_dir / src.name)
        return 1
    pieces = crops(img, p, rng_for(seed, src.name))
    for k, piece in enumerate(pieces):
        save_png(np.ascontiguousarray(modcrop(piece, scale)), dst_dir / f"{src.stem}_{k:03d}.png")
    return len(pieces)
