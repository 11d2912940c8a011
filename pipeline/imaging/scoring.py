"""Scoring an SR result beside the classical baselines, shared by `evaluate` and `testsets`.

For one LR/HR pair the model's output, bicubic (the same flavour that made the LR) and
nearest-neighbour upscaling are scored by the same code (pipeline/metrics.py), so the
model's gain over bicubic is measured like for like.
"""

from __future__ import annotations

import numpy as np

from pipeline.imaging.quality import SSIM_RADIUS, is_gray, mean_scores, score
from pipeline.imaging.resize import Method, interpolate

METHODS = ("model", "bicubic", "nearest")
TABLE_FIELDS = ["split", "image", "method", "psnr_y", "psnr_rgb", "ssim", "accuracy"]


def min_side(scale: int) -> int:
    """The smallest HR side that can be scored: the shave plus one SSIM window."""
    return 2 * scale + 2 * SSIM_RADIUS + 1


def score_methods(sr: np.ndarray, lr: np.ndarray, hr: np.ndarray, scale: int, baseline: Method,
                  tolerance: int, gray: bool | None = None) -> dict[str, dict[str, float]]:
    """Scores of the model's output and of both baselines for one LR/HR pair; `gray`: the
    HR image is grayscale (None: tell by its channels)."""
    gray = is_gray(hr) if gray is None else gray
    outputs = {"model": sr, "bicubic": interpolate(lr, scale, baseline), "nearest": interpolate(lr, scale, "nearest")}
    if gray:
        # Papers score grayscale images on their raw values, not on a derived luma.
        outputs = {k: v[..., :1].repeat(3, axis=-1) for k, v in outputs.items()}
    return {name: score(out, hr, scale, tolerance, gray=gray) for name, out in outputs.items()}


def table_rows(split: str, image: str, scores: dict[str, dict[str, float]]) -> list[dict]:
    return [{"split": split, "image": image, "method": m, **scores[m]} for m in METHODS]


def summarize(per_image: list[dict[str, dict[str, float]]]) -> dict:
    """Per-method means over images, the model's gain over bicubic and the image count."""
    summary = {name: mean_scores([r[name] for r in per_image]) for name in METHODS}
    summary["gain_db"] = summary["model"]["psnr_y"] - summary["bicubic"]["psnr_y"]
    summary["images"] = len(per_image)
    return summary


def print_table(summary: dict, title: str) -> None:
    print(f"{title}: {summary['images']} images")
    print(f"  {'method':8s} {'PSNR-Y':>8s} {'PSNR-RGB':>9s} {'SSIM':>7s} {'acc':>6s}")
    for m in METHODS:
        s = summary[m]
        print(f"  {m:8s} {s['psnr_y']:8.3f} {s['psnr_rgb']:9.3f} {s['ssim']:7.4f} {s['accuracy']:6.3f}")
    print(f"  model gain over bicubic: {summary['gain_db']:+.3f} dB (Y-PSNR)")
