"""Scoring a model on folders of HR images (Set5, Set14, B100, Urban100, your own) with the
literature's protocol: each image cropped to a multiple of the scale, downscaled, upscaled by
the model and scored on the shaved Y channel beside bicubic and nearest-neighbour."""

from __future__ import annotations

from pathlib import Path

from pipeline.dataset.degradation import degrade
from pipeline.imaging.images import DEFAULT_MAX_PIXELS, BadImage, decode, list_images
from pipeline.imaging.resize import Method, downscale, modcrop
from pipeline.imaging.scoring import min_side, score_methods, summarize, table_rows
from pipeline.params import Downscale
from pipeline.randomness import rng_for
from pipeline.upscaling.tiles import TileEngine


def score_folder(engine: TileEngine, folder: Path, method: Method = "matlab", tolerance: int = 8,
                 max_pixels: int = DEFAULT_MAX_PIXELS, worn: Downscale | None = None,
                 seed: int = 7) -> tuple[dict | None, list, list]:
    """(summary or None, table rows, [(file, why skipped)]) for one folder of HR images, each
    downscaled by `method` (or degraded by `worn`, seeded by `seed` and its name), upscaled by
    `engine` and scored beside the baselines (bicubic by `method` from the same LR)."""
    per_image, rows, skipped, scale = [], [], [], engine.scale
    for path in list_images(folder):
        try:
            d = decode(path, max_pixels)
        except BadImage as e:
            skipped.append((path, e.detail))
            continue
        hr = modcrop(d.rgb, scale)
        if min(hr.shape[:2]) < min_side(scale):
            skipped.append((path, f"{d.rgb.shape[1]}x{d.rgb.shape[0]} is too small to score at x{scale} "
                                  f"(needs {min_side(scale)} pixels a side)"))
            continue
        lr = degrade(hr, scale, worn, rng_for(seed, path.name)) if worn else downscale(hr, scale, method)
        sr = engine.super_resolve(lr)
        scores = score_methods(sr, lr, hr, scale, method, tolerance, gray=d.grayscale)
        per_image.append(scores)
        rows += table_rows(folder.name, path.name, scores)
    return (summarize(per_image) if per_image else None), rows, skipped
