"""Scoring a model on one split of the pipeline's data, with the pictures to judge it by."""

from __future__ import annotations

from pathlib import Path

from pipeline.dataset.splits import split_images
from pipeline.imaging import pictures
from pipeline.imaging.images import load_rgb, save_png
from pipeline.imaging.resize import Method, interpolate
from pipeline.imaging.scoring import score_methods, summarize, table_rows
from pipeline.params import Evaluate
from pipeline.upscaling.tiles import TileEngine


def evaluate_split(model, lr_dir: Path, hr_dir: Path, split: str, scale: int, baseline: Method,
                   e: Evaluate, picture_dir: Path | None = None) -> tuple[dict | None, list[dict]]:
    """Summary (None for an empty split) and per-image table rows of one split, and its
    pictures in `picture_dir`: `e.pictures` labelled crops chosen where the model differs
    most from bicubic, and for the test split each whole image side by side. Images may
    have any size (validation and test are whole photos): each is upscaled in tiles."""
    names = [p.name for p in split_images(hr_dir.parent, hr_dir.name)]
    engine = TileEngine(model, self_ensemble=e.self_ensemble)
    rows, per_image, crops, methods = [], [], [], []
    for k, name in enumerate(names):
        hr, lr = load_rgb(hr_dir / name), load_rgb(lr_dir / name)
        sr = engine.super_resolve(lr)
        scores = score_methods(sr, lr, hr, scale, baseline, e.tolerance)
        per_image.append(scores)
        rows += table_rows(split, name, scores)
        if picture_dir is None:
            continue
        outputs = {"nearest": interpolate(lr, scale, "nearest"), "bicubic": interpolate(lr, scale, baseline),
                   "model": sr}
        crops += pictures.candidates(k, sr, outputs["bicubic"], hr)
        methods.append((outputs, hr))
        if split == "test":
            whole = {m: outputs[m] for m in ("bicubic", "model")}
            save_png(pictures.whole_comparison(whole, hr, {m: scores[m]["psnr_y"] for m in whole}),
                     picture_dir / f"test_whole_{k:02d}.png")
    if picture_dir is not None:
        for i, c in enumerate(pictures.choose(crops, e.pictures)):
            outputs, hr = methods[c.image]
            save_png(pictures.crop_comparison(outputs, hr, c), picture_dir / f"{split}_crop_{i:02d}.png")
    return summarize(per_image) if per_image else None, rows
