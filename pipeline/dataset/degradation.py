"""HR -> LR: the degradation the model learns to undo (params.yaml's `downscale`).

By default the papers' one: bicubic with antialiasing by base.scale (MATLAB imresize), so
scores sit beside published ones. For photos from cameras and the web (presets/photo.yaml),
Real-ESRGAN's first-order model, simplified: per image a downscaling kernel drawn from
`downscale.kernels` (antialiased or not), Gaussian blur before it, Gaussian noise and JPEG
compression (once, or twice at two qualities) after it, each with its probability and a
strength drawn from its range. A share of the noise draws is the same in R, G and B, as a
camera's luminance noise is (Real-ESRGAN draws such grey noise 40 % of the time). Every draw
comes from the image's own seeded generator.
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


def jpeg(lr: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(lr).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


def degrade(hr: np.ndarray, scale: int, p: Downscale, rng: np.random.Generator) -> np.ndarray:
    """HR -> LR under the configured degradation model."""
    kernel = p.kernels[int(rng.integers(len(p.kernels)))] if p.kernels else p.method
    if p.blur_sigma and rng.random() < p.blur_prob:
        sigma = float(rng.uniform(*p.blur_sigma))
        hr = np.asarray(Image.fromarray(hr).filter(ImageFilter.GaussianBlur(sigma)))
    lr = downscale(hr, scale, kernel)
    if p.noise_sigma and rng.random() < p.noise_prob:
        sigma = float(rng.uniform(*p.noise_sigma))
        # Drawn only when asked for, so recipes without grey noise keep their bytes.
        grey = p.noise_grey > 0 and rng.random() < p.noise_grey
        noise = rng.normal(0.0, sigma, (*lr.shape[:2], 1) if grey else lr.shape)
        lr = np.clip(np.round(lr + noise), 0, 255).astype(np.uint8)
    if p.jpeg_quality and rng.random() < p.jpeg_prob:
        lr = jpeg(lr, int(rng.integers(p.jpeg_quality[0], p.jpeg_quality[1] + 1)))
        if rng.random() < p.jpeg_twice:  # saved again by another program, at another quality
            lr = jpeg(lr, int(rng.integers(p.jpeg_quality[0], p.jpeg_quality[1] + 1)))
    return lr


def degrade_file(job: tuple[Path, Path], p: Downscale, scale: int, seed: int) -> None:
    """One HR image into its LR input in the destination folder, seeded by its name."""
    src, dst_dir = job
    save_png(degrade(load_rgb(src), scale, p, rng_for(seed, src.name)), dst_dir / src.name)
