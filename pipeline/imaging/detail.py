"""How much detail an image holds: the mean gradient magnitude of its luma, in 0..255 levels
per pixel. One measure for every place that asks: the filter (flat or blurred photos are
rejected), the pictures (flat crops are never shown) and the training patch sampler
(patches with texture are preferred). Flat, blank and heavily blurred images score near 0;
photos with texture 5-20.
"""

from __future__ import annotations

import numpy as np

# Rec. 601 weights on 0..255 values, in float32: the filter's scores (and so the pipeline's
# data hashes) were made with exactly these operations.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB -> (H, W) float32 luma; a 2-D array is taken as luma already."""
    return rgb.astype(np.float32) if rgb.ndim == 2 else rgb.astype(np.float32) @ LUMA_WEIGHTS


def gradient_magnitude(rgb: np.ndarray) -> np.ndarray:
    """(H, W) float32: |grad luma| per pixel (central differences, one-sided at the border)."""
    gy, gx = np.gradient(luma(rgb))
    return np.hypot(gx, gy)


def detail(rgb: np.ndarray) -> float:
    """Mean gradient magnitude of the luma of an RGB (or luma) array."""
    return float(np.mean(gradient_magnitude(rgb)))
