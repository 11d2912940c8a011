"""Wear no preset trains on, each a function HR -> LR made with numpy and Pillow, seeded by
the generator it is given (benchmarks/unseen_wear.py scores the models on them)."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from pipeline.imaging.resize import downscale

SCALE = 2


def encoded(lr: np.ndarray, fmt: str, **options) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(lr).save(buf, format=fmt, **options)
    return np.asarray(Image.open(buf).convert("RGB"))


def noisy(img: np.ndarray, noise: np.ndarray) -> np.ndarray:
    return np.clip(np.round(img + noise), 0, 255).astype(np.uint8)


def lanczos_unaliased(hr: np.ndarray) -> np.ndarray:
    """Lanczos-3 at each block's centre, not widened by the factor (no antialiasing)."""
    x = np.arange(-2.5, 3.0)
    w = np.sinc(x) * np.sinc(x / 3)
    w /= w.sum()
    out = hr.astype(np.float64)
    for axis in (0, 1):
        pad = [(0, 0)] * 3
        pad[axis] = (2, 3)
        padded = np.pad(out, pad, mode="symmetric")
        n = out.shape[axis] // SCALE
        taken = [np.take(padded, np.arange(n) * SCALE + k, axis=axis) for k in range(6)]
        out = sum(wk * t for wk, t in zip(w, taken, strict=True))
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def clean(hr: np.ndarray) -> np.ndarray:
    return downscale(hr, SCALE, "matlab")


def grey_noise(lr: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """The same noise in R, G and B, as a camera's luminance noise."""
    return noisy(lr, rng.normal(0, sigma, lr.shape[:2])[..., None])


Maker = Callable[[np.ndarray, np.random.Generator], np.ndarray]
CONDITIONS: dict[str, Maker] = {
    "WebP 75": lambda hr, rng: encoded(clean(hr), "WEBP", quality=75),
    "WebP 40": lambda hr, rng: encoded(clean(hr), "WEBP", quality=40),
    "JPEG 60, 4:4:4": lambda hr, rng: encoded(clean(hr), "JPEG", quality=60, subsampling=0),
    "JPEG 95": lambda hr, rng: encoded(clean(hr), "JPEG", quality=95),
    "grey noise 10": lambda hr, rng: grey_noise(clean(hr), 10, rng),
    "Poisson noise (peak 255)": lambda hr, rng: np.clip(rng.poisson(clean(hr).astype(np.float64)), 0, 255
                                                        ).astype(np.uint8),
    "noise 10 on the HR, then bicubic": lambda hr, rng: clean(noisy(hr, rng.normal(0, 10, hr.shape))),
    "blur 2.0 (training: up to 1.5)": lambda hr, rng: clean(
        np.asarray(Image.fromarray(hr).filter(ImageFilter.GaussianBlur(2.0)))),
    "Lanczos-3, no antialiasing": lambda hr, rng: lanczos_unaliased(hr),
    "grey noise 10 + WebP 75": lambda hr, rng: encoded(grey_noise(clean(hr), 10, rng), "WEBP", quality=75),
}
