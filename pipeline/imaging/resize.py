"""Bicubic resizing: MATLAB `imresize` compatible, or Pillow's.

SR papers make their LR inputs (and their bicubic baseline) with MATLAB's imresize:
Keys' cubic kernel (a = -0.5), widened by the factor when shrinking (antialiasing),
symmetric edge padding, rows then columns, result rounded to uint8. `imresize` below
follows that definition, so numbers from this project can sit next to published ones.
Pillow's BICUBIC uses the same kernel and also widens it when shrinking, but pads edges
differently; it is faster and within about one level of MATLAB away from the border.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from PIL import Image

from pipeline.params import Kernel, Method


def cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution kernel (support [-2, 2]); a = -0.5 is MATLAB's and Pillow's,
    a = -0.75 OpenCV's."""
    ax = np.abs(x)
    ax2, ax3 = ax**2, ax**3
    near = ((a + 2) * ax3 - (a + 3) * ax2 + 1) * (ax <= 1)
    far = (a * ax3 - 5 * a * ax2 + 8 * a * ax - 4 * a) * ((ax > 1) & (ax <= 2))
    return near + far


def contributions(in_len: int, out_len: int, scale: float, antialias: bool = True,
                  a: float = -0.5) -> tuple[np.ndarray, np.ndarray]:
    """Weights (out_len, taps) and 0-based source indices (out_len, taps) for one axis."""
    width = 4.0
    antialias = antialias and scale < 1
    if antialias:
        width /= scale  # antialiasing: stretch the kernel over 1/scale input pixels
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)  # output pixel centre in input coordinates (1-based)
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    idx = left[:, None] + np.arange(taps)[None, :]
    dist = u[:, None] - idx
    weights = scale * cubic(scale * dist, a) if antialias else cubic(dist, a)
    weights /= weights.sum(axis=1, keepdims=True)
    # Symmetric padding: index -1 reads 0, index n reads n-1 (MATLAB's 'symmetric').
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    idx = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    used = np.any(weights != 0, axis=0)
    return weights[:, used], idx[:, used]


def _resize_axis(arr: np.ndarray, axis: int, out_len: int, scale: float, antialias: bool = True,
                 a: float = -0.5) -> np.ndarray:
    weights, idx = contributions(arr.shape[axis], out_len, scale, antialias, a)
    moved = np.moveaxis(arr, axis, 0)
    out = np.zeros((out_len,) + moved.shape[1:], dtype=np.float64)
    shape = (out_len,) + (1,) * (moved.ndim - 1)
    for k in range(weights.shape[1]):
        out += weights[:, k].reshape(shape) * moved[idx[:, k]]
    return np.moveaxis(out, 0, axis)


def imresize(img: np.ndarray, scale: float, out_hw: tuple[int, int] | None = None, antialias: bool = True,
             a: float = -0.5) -> np.ndarray:
    """MATLAB `imresize(img, scale, 'bicubic')` for uint8 (H, W[, C]) arrays; without
    `antialias` and with a = -0.75, OpenCV's `resize(..., INTER_CUBIC)` when shrinking."""
    if out_hw is None:
        out_hw = (int(np.ceil(img.shape[0] * scale)), int(np.ceil(img.shape[1] * scale)))
    out = img.astype(np.float64)
    out = _resize_axis(out, 0, out_hw[0], scale, antialias, a)
    out = _resize_axis(out, 1, out_hw[1], scale, antialias, a)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def pillow_resize(img: np.ndarray, out_hw: tuple[int, int],
                  resample: Image.Resampling = Image.Resampling.BICUBIC) -> np.ndarray:
    return np.asarray(Image.fromarray(img).resize((out_hw[1], out_hw[0]), resample))


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop bottom/right so both sides are multiples of `scale` (the SR convention)."""
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


# The ways photos get small in the wild, for training on worn inputs: Pillow's filters (all
# antialiased when shrinking but nearest), and a cubic without antialiasing, as OpenCV's
# resize does, whose aliasing a model trained on antialiased inputs would sharpen. Nearest
# comes in both phases programs use: Pillow's (and MATLAB's) keeps the pixel nearest each
# block's centre, the lower-right one of a 2x2 block; OpenCV's INTER_NEAREST (and slicing,
# a[::2, ::2]) keeps the upper-left one. Each sits half an HR pixel off the centre the
# other kernels share, on opposite sides.
PILLOW_KERNELS = {"pillow": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR,
                  "box": Image.Resampling.BOX, "lanczos": Image.Resampling.LANCZOS,
                  "nearest": Image.Resampling.NEAREST}


def downscale(hr: np.ndarray, scale: int, method: Kernel) -> np.ndarray:
    """LR image for an HR one whose sides are multiples of `scale`."""
    h, w = hr.shape[:2]
    if h % scale or w % scale:
        raise ValueError(f"{w}x{h} is not a multiple of scale {scale}: modcrop first")
    out_hw = (h // scale, w // scale)
    if method == "matlab":
        return imresize(hr, 1 / scale, out_hw)
    if method == "cubic_sharp":
        return imresize(hr, 1 / scale, out_hw, antialias=False, a=-0.75)
    if method == "nearest_opencv":
        return np.ascontiguousarray(hr[::scale, ::scale])
    return pillow_resize(hr, out_hw, PILLOW_KERNELS[method])


def interpolate(lr: np.ndarray, scale: int, method: Method | Literal["nearest"]) -> np.ndarray:
    """The classical baselines the model must beat: bicubic (either flavour) or nearest."""
    out_hw = (lr.shape[0] * scale, lr.shape[1] * scale)
    if method == "matlab":
        return imresize(lr, scale, out_hw)
    if method == "nearest":
        return np.repeat(np.repeat(lr, scale, axis=0), scale, axis=1)
    return pillow_resize(lr, out_hw)
