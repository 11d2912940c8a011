"""Stage `crop`: cut HR training crops from the filtered photos.

    python -m pipeline.crop data/filtered data/hr

Modes (crop.mode):
- tiles:  every `side` x `side` crop on a `stride` grid, at most `max_per_image`, evenly spread;
- center: one crop from the middle;
- seed:   resize the shorter side to `side`, then one seeded random crop (the 2019
          project's 600x600 recipe).
Outputs keep the split: data/hr/<split>/<stem>_<k>.png, each exactly side x side.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from pipeline.cli import stage_params, stage_parser
from pipeline.images import load_rgb, save_png
from pipeline.outputs import split_jobs
from pipeline.parallel import map_ordered
from pipeline.params import Crop
from pipeline.randomness import rng_for
from pipeline.resize import pillow_resize


def tile_origins(h: int, w: int, size: int, stride: int, limit: int) -> list[tuple[int, int]]:
    """Top-left corners of the crops on a grid, thinned evenly to at most `limit`."""
    origins = [(y, x) for y in range(0, h - size + 1, stride) for x in range(0, w - size + 1, stride)]
    if len(origins) > limit:
        keep = np.linspace(0, len(origins) - 1, limit).round().astype(int)
        origins = [origins[i] for i in keep]
    return origins


def crops(img: np.ndarray, p: Crop, rng: np.random.Generator) -> list[np.ndarray]:
    h, w = img.shape[:2]
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


def crop_file(job: tuple[Path, Path], p: Crop, seed: int) -> int:
    src, dst_dir = job
    pieces = crops(load_rgb(src), p, rng_for(seed, src.name))
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
    work = functools.partial(crop_file, p=params.crop, seed=params.base.seed)
    counts = list(map_ordered(work, jobs, args.jobs, "crop"))
    print(f"crop: {sum(counts)} crops of {params.crop.side}px from {len(jobs)} images into {args.out}")


if __name__ == "__main__":
    main()
