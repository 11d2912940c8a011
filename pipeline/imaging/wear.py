"""How worn an image looks, from its pixels alone: the few numbers the photo model's router
(pipeline/upscaling/routing.py) decides by, whether a photo was made small carefully, or
has been JPEG-compressed, is noisy, blurred or aliased.

Every measure but detail runs on the luma in windows of WINDOW pixels on an even grid over
the image (at most MAX_WINDOWS of them), each window's corner on the 8-pixel grid JPEG
blocks sit on; the luma and detail see every pixel, so a 12 MP input costs about 0.2 s
(0.03 s at 1.5 MP; 2-core Xeon), well under 1 % of its upscale. The names in FEATURES are what a router file
refers to; changing what one computes makes every router fitted on it wrong, so a change is
a new name.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dctn, rfft2

from pipeline.imaging.detail import detail, luma

WINDOW = 64
MAX_WINDOWS = 64
FEATURES = ("noise", "jpeg_grid", "jpeg_zeros", "hf_ratio", "nyquist_ratio", "detail")
# Immerkaer's noise operator: the difference of two Laplacians, blind to linear ramps.
NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def windows(y: np.ndarray) -> list[np.ndarray]:
    """Up to MAX_WINDOWS WINDOW x WINDOW views of `y` on an even grid, corners on multiples
    of 8; an image smaller than one window is one window (cut to multiples of 8)."""
    h, w = y.shape
    if h < WINDOW or w < WINDOW:
        return [y[: max(8, h - h % 8), : max(8, w - w % 8)]]
    per_side = int(np.sqrt(MAX_WINDOWS))
    tops = sorted({int(t) // 8 * 8 for t in np.linspace(0, h - WINDOW, min(per_side, h // WINDOW))})
    lefts = sorted({int(t) // 8 * 8 for t in np.linspace(0, w - WINDOW, min(per_side, w // WINDOW))})
    return [y[t:t + WINDOW, s:s + WINDOW] for t in tops for s in lefts]


def noise_sigma(win: np.ndarray) -> float:
    """Immerkaer's estimate of white noise's standard deviation in one window, in luma
    levels (noise of sigma s in each of R, G, B independently is 0.67 s in the luma)."""
    h, w = win.shape
    acc = np.zeros((h - 2, w - 2), np.float32)
    for dy in range(3):
        for dx in range(3):
            acc += NOISE_KERNEL[dy, dx] * win[dy:dy + h - 2, dx:dx + w - 2]
    return float(np.sqrt(np.pi / 2) * np.mean(np.abs(acc)) / 6)


def block_energy(win: np.ndarray, offset: int) -> tuple[float, float]:
    """(mean energy of the high-frequency DCT coefficients, fraction of them near zero) over
    the 8x8 blocks of `win` that start `offset` pixels from its corner."""
    h, w = win.shape
    h8, w8 = (h - offset) // 8 * 8, (w - offset) // 8 * 8
    if h8 < 8 or w8 < 8:
        return 0.0, 0.0
    blocks = win[offset:offset + h8, offset:offset + w8].reshape(h8 // 8, 8, w8 // 8, 8).swapaxes(1, 2)
    coef = dctn(blocks - 128.0, axes=(2, 3), norm="ortho")
    u, v = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    high = coef[..., (u + v) >= 6]
    return float(np.mean(high**2)), float(np.mean(np.abs(high) < 0.75))


def band_power(win: np.ndarray) -> tuple[float, float, float]:
    """Power of a Hann-windowed window in three bands of radial frequency (cycles per pixel):
    low-middle 0.1-0.25, high 0.25-0.4, next to Nyquist 0.4-0.5."""
    taper = np.outer(np.hanning(win.shape[0]), np.hanning(win.shape[1]))
    power = np.abs(rfft2((win - win.mean()) * taper)) ** 2
    fy = np.fft.fftfreq(win.shape[0])[:, None]
    fx = np.fft.rfftfreq(win.shape[1])[None, :]
    r = np.hypot(fy, fx)
    return tuple(float(power[(r >= lo) & (r < hi)].mean()) for lo, hi in ((0.1, 0.25), (0.25, 0.4), (0.4, 0.5)))


def features(rgb: np.ndarray) -> dict[str, float]:
    """The FEATURES of an (H, W, 3) uint8 image (or an (H, W) luma), each a plain float.

    noise: the 20th percentile of the windows' noise estimates, so flat windows speak for
    the image and texture does not pass for noise. jpeg_grid: log of how much more
    high-frequency energy 8x8 blocks hold when cut across the JPEG grid (offset 4) than
    along it; about 0 for an image never compressed. jpeg_zeros: how many more of the
    high-frequency coefficients are near zero along the grid than across it. hf_ratio and
    nyquist_ratio: log power of the high and the next-to-Nyquist band against the
    low-middle one, medians over windows; high where nothing low-passed the image before its
    pixels were taken (no antialiasing, nearest), low after blur or heavy JPEG. detail:
    log(1 + mean gradient magnitude)."""
    y = luma(rgb)
    wins = windows(y)
    sigmas = [noise_sigma(w) for w in wins]
    aligned = [block_energy(w, 0) for w in wins]
    across = [block_energy(w, 4) for w in wins]
    eps = 1e-3
    grid = np.log((np.mean([a[0] for a in across]) + eps) / (np.mean([a[0] for a in aligned]) + eps))
    zeros = np.mean([a[1] for a in aligned]) - np.mean([a[1] for a in across])
    bands = np.array([band_power(w) for w in wins]) + eps
    return {"noise": float(np.percentile(sigmas, 20)), "jpeg_grid": float(grid), "jpeg_zeros": float(zeros),
            "hf_ratio": float(np.median(np.log(bands[:, 1] / bands[:, 0]))),
            "nyquist_ratio": float(np.median(np.log(bands[:, 2] / bands[:, 0]))),
            "detail": float(np.log1p(detail(y)))}


def vector(rgb: np.ndarray) -> np.ndarray:
    """features(rgb) as an array in FEATURES order."""
    f = features(rgb)
    return np.array([f[name] for name in FEATURES], np.float64)
