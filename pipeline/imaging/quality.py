"""Image-quality metrics of the SR literature, on numpy arrays (protocol in the README).

Y-PSNR/SSIM: BT.601 luma Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 (float, not
rounded), `scale` pixels shaved from every border, peak 255. SSIM uses an 11x11 Gaussian
window (sigma 1.5), K1 = 0.01, K2 = 0.03, over the 'valid' region, as MATLAB's ssim does.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter

SSIM_SIGMA = 1.5
SSIM_RADIUS = 5  # 11x11 window


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 Y in 16..235 as float64; a 2-D (grayscale) array is returned as is."""
    if rgb.ndim == 2:
        return rgb.astype(np.float64)
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def shave(img: np.ndarray, border: int) -> np.ndarray:
    return img[border:-border, border:-border] if border > 0 else img


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """PSNR in dB; infinite for identical inputs."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(peak * peak / mse)


def _window_mean(x: np.ndarray) -> np.ndarray:
    # Gaussian truncated at 5 pixels = the 11x11 window; crop to where it fits ('valid').
    out = gaussian_filter(x, SSIM_SIGMA, truncate=SSIM_RADIUS / SSIM_SIGMA, mode="constant")
    return out[SSIM_RADIUS:-SSIM_RADIUS, SSIM_RADIUS:-SSIM_RADIUS]


def ssim(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """Mean SSIM of two 2-D arrays (Wang et al. 2004, Gaussian window)."""
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"ssim needs two equal 2-D arrays, got {a.shape} and {b.shape}")
    if min(a.shape) <= 2 * SSIM_RADIUS:
        raise ValueError(f"ssim needs images larger than {2 * SSIM_RADIUS + 1}px, got {a.shape}")
    a, b = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    mu_a, mu_b = _window_mean(a), _window_mean(b)
    var_a = _window_mean(a * a) - mu_a**2
    var_b = _window_mean(b * b) - mu_b**2
    cov = _window_mean(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


def pixel_accuracy(pred: np.ndarray, truth: np.ndarray, tolerance: int) -> float:
    """Share of pixels whose every channel is within `tolerance` levels of the truth."""
    diff = np.abs(pred.astype(np.int16) - truth.astype(np.int16))
    close = diff <= tolerance
    return float(np.mean(close.all(axis=-1) if close.ndim == 3 else close))


def is_gray(rgb: np.ndarray) -> bool:
    """An RGB array whose three channels are equal: a grayscale photo stored as RGB."""
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]))


def _y_pair(pred: np.ndarray, truth: np.ndarray, gray: bool | None) -> tuple[np.ndarray, np.ndarray]:
    """Y of both images; a grayscale truth (`gray`, or by its channels when None) is scored
    on its raw values, as the papers' MATLAB scripts do, not on a derived luma."""
    gray = is_gray(truth) if gray is None else gray
    return (luma(pred[..., 0]), luma(truth[..., 0])) if gray else (luma(pred), luma(truth))


def psnr_y(pred: np.ndarray, truth: np.ndarray, scale: int, gray: bool | None = None) -> float:
    """The literature's headline number: PSNR on the Y channel with `scale` pixels shaved."""
    return psnr(*_y_pair(shave(pred, scale), shave(truth, scale), gray))


def score(pred: np.ndarray, truth: np.ndarray, scale: int, tolerance: int,
          gray: bool | None = None) -> dict[str, float]:
    """All metrics for one uint8 RGB image pair of equal size, borders shaved by `scale`.

    `gray`: the truth is a grayscale image stored as RGB (None: tell by its channels)."""
    p, t = shave(pred, scale), shave(truth, scale)
    yp, yt = _y_pair(p, t, gray)
    return {
        "psnr_y": psnr(yp, yt),
        "psnr_rgb": psnr(p, t),
        "ssim": ssim(yp, yt),
        "accuracy": pixel_accuracy(p, t, tolerance),
    }


def mean_scores(rows: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each metric over images (the per-image mean the literature reports).

    Infinite PSNRs (perfect images) are left out of the mean rather than making it inf."""
    keys = rows[0].keys() if rows else []
    out = {}
    for k in keys:
        finite = [r[k] for r in rows if math.isfinite(r[k])]
        out[k] = float(np.mean(finite)) if finite else math.inf
    return out
