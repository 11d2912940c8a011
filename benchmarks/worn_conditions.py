"""The photo preset's own kinds of wear, one at a time: each a `downscale` section that makes
every LR one fixed way (benchmarks/worn_inputs.py scores the models on them)."""

from __future__ import annotations

from pipeline.params import Downscale

OFF = {"method": "matlab", "kernels": [], "blur_sigma": [], "blur_prob": 1.0, "noise_sigma": [], "noise_prob": 1.0,
       "noise_grey": 0.0, "jpeg_quality": [], "jpeg_prob": 1.0, "jpeg_twice": 0.0}
CONDITIONS: dict[str, dict[str, object]] = {
    "clean (MATLAB bicubic)": {},
    "Pillow bicubic": {"kernels": ["pillow"]},
    "bilinear": {"kernels": ["bilinear"]},
    "box (area)": {"kernels": ["box"]},
    "lanczos": {"kernels": ["lanczos"]},
    "cubic, no antialiasing (OpenCV)": {"kernels": ["cubic_sharp"]},
    "nearest": {"kernels": ["nearest"]},
    "nearest, OpenCV's phase": {"kernels": ["nearest_opencv"]},
    "JPEG 90": {"jpeg_quality": [90, 90]},
    "JPEG 70": {"jpeg_quality": [70, 70]},
    "JPEG 50": {"jpeg_quality": [50, 50]},
    "JPEG 30": {"jpeg_quality": [30, 30]},
    "JPEG 15 (below training)": {"jpeg_quality": [15, 15]},
    "JPEG twice, 40-90": {"jpeg_quality": [40, 90], "jpeg_twice": 1.0},
    "noise 5": {"noise_sigma": [5.0, 5.0]},
    "noise 15": {"noise_sigma": [15.0, 15.0]},
    "noise 25 (beyond training)": {"noise_sigma": [25.0, 25.0]},
    "blur 1.0": {"blur_sigma": [1.0, 1.0]},
    "no antialiasing + JPEG 60": {"kernels": ["cubic_sharp"], "jpeg_quality": [60, 60]},
    "blur 0.8 + noise 8 + JPEG 70": {"blur_sigma": [0.8, 0.8], "noise_sigma": [8.0, 8.0], "jpeg_quality": [70, 70]},
}


def condition(change: dict[str, object]) -> Downscale:
    return Downscale(**{**OFF, **change})
