"""HR -> LR: the degradation the model learns to undo (params.yaml's `downscale`).

Bicubic with antialiasing by base.scale (MATLAB imresize by default: the degradation the
published benchmarks use). Optional seeded degradations for real-world photos, applied
as blur (before) then downscale, noise, JPEG (after); all off by default.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from pipeline.imaging.images import load_rgb, save_png
from pipeline.imaging.resize import downscale
from pipeline.params import Downscale
from pipeline.randomness import rng_for


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


def degrade_file(job: tuple[Path, Path], p: Downscale, scale: int, seed: int) -> None:
    """One HR image into its LR input in the destination folder, seeded by its name."""
    src, dst_dir = job
    save_png(degrade(load_rgb(src), scale, p, rng_for(seed, src.name)), dst_dir / src.name)
