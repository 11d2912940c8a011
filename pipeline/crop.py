"""Stage `crop`: the HR images training and scoring use, cut from the filtered photos.

    python -m pipeline.crop data/filtered data/hr

Modes (crop.mode), for the training images:
- whole:  the image itself (cut to a multiple of base.scale); training draws patches anywhere;
- tiles:  every `side` x `side` crop on a `stride` grid, at most `max_per_image`, evenly spread;
- center: one crop from the middle;
- seed:   resize the shorter side to `side`, then one seeded random crop (the 2019
          project's 600x600 recipe).
Crops go to data/hr/train/<stem>_<k>.png, each exactly side x side; whole images, and
validation and test images always, go to data/hr/<split>/<name>, cut to a multiple of
base.scale, so they are scored like the literature's test sets.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from pipeline.cli import stage_params, stage_parser
from pipeline.images import load_rgb, save_png
from pipeline.parallel import map_ordered
from pipeline.params import Crop
from pipeline.randomness import rng_for
from pipeline.resize import modcrop, pillow_resize
from pipeline.splits import split_jobs


def tile_origins(h: int, w: int, size: int, stride: int, limit: int) -> list[tuple[int, int]]:
    """Top-left corners of the crops on a grid, thinned evenly to at most `limit`."""
    origins = [(y, x) for y in range(0, h - size + 1, stride) for x in range(0, w - size + 1, stride)]
    if len(origins) > limit:
        keep = np.linspace(0, len(origins) - 1, limit).round().astype(int)
        origins = [origins[i] for i in keep]
    return origins


def crops(img: np.ndarray, p: Crop, rng: np.random.Generator) -> list[np.ndarray]:
    h, w = img.shape[:2]
    if p.mode == "whole":
        return [img]
    if min(h, w) < p.side:
        raise ValueError(f"{w}x{h} is smaller than crop.side={p.side}")
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
    """Training images become crops; validation and test images stay whole (cut to a
    multiple of the scale), so they are scored like the literature's test sets."""
    src, dst_dir = job
    img = load_rgb(src)
    if dst_dir.name != "train" or p.mode == "whole":
        save_png(np.ascontiguousarray(modcrop(img, scale)), dst_dir / src.name)
        return 1
    pieces = crops(img, p, rng_for(seed, src.name))
    for k, piece in enumerate(pieces):
        save_png(np.ascontiguousarray(piece), dst_dir / f"{src.stem}_{k:03d}.png")
    return len(pieces)


def main() -> None:
    parser = stage_parser(__doc__, jobs=True)
    parser.add_argument("src", type=Path, help="filter output (holds train/, val/, test/)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    params = stage_params(args)
    jobs = split_jobs(args.src, args.out)
    work = functools.partial(crop_file, p=params.crop, seed=params.base.seed, scale=params.base.scale)
    counts = list(map_ordered(work, jobs, args.jobs, "crop"))
    train = sum(c for c, (_, dst) in zip(counts, jobs, strict=True) if dst.name == "train")
    kind = "whole images" if params.crop.mode == "whole" else f"{params.crop.mode} crops of {params.crop.side}px"
    print(f"crop: {train} training {kind} and {sum(counts) - train} whole validation/test images "
          f"from {len(jobs)} images into {args.out}")


if __name__ == "__main__":
    main()
