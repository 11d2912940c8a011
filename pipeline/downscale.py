"""Stage `downscale`: make the LR input for every HR crop.

    python -m pipeline.downscale data/hr data/lr

Bicubic with antialiasing by base.scale (MATLAB imresize by default: the degradation the
published benchmarks use). Optional seeded degradations for real-world photos, applied
as blur (before) then downscale, noise, JPEG (after); all off by default.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from pipeline.cli import stage_params, stage_parser
from pipeline.images import load_rgb, save_png
from pipeline.parallel import map_ordered
from pipeline.params import Downscale
from pipeline.randomness import rng_for
from pipeline.resize import downscale
from pipeline.splits import split_jobs


def degrade(hr: np.ndarray, scale: int, p: Downscale, rng: np.random.Generator) -> np.ndarray:
    """HR -> LR under the configured degradation model."""
    if p.blur_sigma:
        sigma = float(rng.uniform(*p.blur_sigma))
        hr = np.asarray(Image.fromarray(hr).filter(ImageFilter.GaussianBlur(sigma)))
    lr = downscale(hr, scale, p.method)
    if p.noise_sigma > 0:
        noise = rng.normal(0.0, p.noise_sigma, lr.shape)
        lr = np.clip(np.round(lr + noise), 0, 255).astype(np.uint8)
    if p.jpeg_quality:
        quality = int(rng.integers(p.jpeg_quality[0], p.jpeg_quality[1] + 1))
        buf = io.BytesIO()
        Image.fromarray(lr).save(buf, format="JPEG", quality=quality)
        lr = np.asarray(Image.open(buf).convert("RGB"))
    return lr


def downscale_file(job: tuple[Path, Path], p: Downscale, scale: int, seed: int) -> None:
    src, dst_dir = job
    save_png(degrade(load_rgb(src), scale, p, rng_for(seed, src.name)), dst_dir / src.name)


def main() -> None:
    parser = stage_parser(__doc__, jobs=True)
    parser.add_argument("src", type=Path, help="HR crops (train/, val/, test/)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    params = stage_params(args)
    jobs = split_jobs(args.src, args.out)
    work = functools.partial(downscale_file, p=params.downscale, scale=params.base.scale, seed=params.base.seed)
    list(map_ordered(work, jobs, args.jobs, "downscale"))
    print(f"downscale: {len(jobs)} LR images (x{params.base.scale}, {params.downscale.method}) in {args.out}")


if __name__ == "__main__":
    main()
