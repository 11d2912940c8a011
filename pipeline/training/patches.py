"""The training data: the LR/HR images of a split, and the stream of random patch pairs.

Patches are drawn from every position alike (by area), or only from the share of positions
with the most detail (`train.detail_keep`): a photo of sky, water and bokeh is mostly flat,
and a flat patch teaches the network nothing bicubic does not already do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from pipeline.dataset.splits import split_images
from pipeline.imaging.detail import gradient_magnitude
from pipeline.imaging.images import load_rgb

# LR pixels between the candidate positions whose detail is measured; a patch drawn from a
# candidate starts anywhere in its grid cell, so every pixel can still begin one.
DETAIL_GRID = 8


def load_pairs(lr_dir: Path, hr_dir: Path, scale: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The LR and HR images of one split (uint8 RGB, any size), sorted by name."""
    names = [p.name for p in split_images(hr_dir.parent, hr_dir.name)]
    if not names:
        raise SystemExit(f"{hr_dir}: no images in this split; the filter kept too few photos "
                         "(see data/filtered/report.csv), or the split's fraction is 0")
    lr, hr = [load_rgb(lr_dir / n) for n in names], [load_rgb(hr_dir / n) for n in names]
    for name, a, b in zip(names, lr, hr, strict=True):
        if b.shape != (a.shape[0] * scale, a.shape[1] * scale, 3):
            raise SystemExit(f"{lr_dir / name} is {a.shape[1]}x{a.shape[0]}, not {hr_dir / name} "
                             f"({b.shape[1]}x{b.shape[0]}) / base.scale={scale}: run downscale again")
    return lr, hr


def detailed_positions(lr: list[np.ndarray], patch: int, keep: float, grid: int = DETAIL_GRID) -> np.ndarray:
    """(k, 3) int64 rows (image, y, x): the corners, on a `grid`-pixel lattice, of the share
    `keep` of patch positions whose LR patch holds the most detail (mean gradient magnitude
    of its luma, pipeline.imaging.detail), in image and raster order."""
    corners, scores = [], []
    for i, image in enumerate(lr):
        grad = gradient_magnitude(image).astype(np.float64)
        total = np.pad(grad.cumsum(0).cumsum(1), ((1, 0), (1, 0)))  # sums of any window in four reads
        ys, xs = np.meshgrid(np.arange(0, image.shape[0] - patch + 1, grid),
                             np.arange(0, image.shape[1] - patch + 1, grid), indexing="ij")
        window = total[ys + patch, xs + patch] - total[ys, xs + patch] - total[ys + patch, xs] + total[ys, xs]
        corners.append(np.stack([np.full(ys.size, i), ys.ravel(), xs.ravel()], axis=1))
        scores.append(window.ravel() / patch**2)
    corners, score = np.concatenate(corners), np.concatenate(scores)
    count = max(1, round(keep * len(score)))
    return corners[np.sort(np.argsort(-score, kind="stable")[:count])]


def patch_dataset(lr: list[np.ndarray], hr: list[np.ndarray], patch: int, scale: int, batch: int,
                  seed: int, first_step: int, last_step: int, detail_keep: float = 1.0) -> tf.data.Dataset:
    """Batches of random, augmented patch pairs for steps [first_step, last_step).

    Images may differ in size: they are held as one flat buffer each for LR and HR, and a
    patch is gathered from it. With `detail_keep` 1.0 an image is drawn with probability
    proportional to its number of patch positions, so every position of every image is
    equally likely; below 1.0, a candidate of `detailed_positions` is drawn, each alike,
    and the patch starts anywhere in its grid cell. Sample i uses stateless random ops
    seeded by (seed, i): the stream does not depend on where a run started, which is what
    makes resuming exact."""
    sizes = np.array([a.shape[:2] for a in lr], np.int64)
    if (sizes < patch).any():
        raise ValueError(f"a training image of {sizes.min(axis=0)} LR pixels cannot hold a {patch}-pixel patch")
    positions = (sizes[:, 0] - patch + 1) * (sizes[:, 1] - patch + 1)
    cumulative = tf.constant(np.cumsum(positions) / positions.sum(), tf.float64)
    lr_flat = tf.constant(np.concatenate([a.reshape(-1) for a in lr]))
    hr_flat = tf.constant(np.concatenate([a.reshape(-1) for a in hr]))
    lr_start = tf.constant(np.concatenate([[0], np.cumsum([a.size for a in lr])[:-1]]), tf.int64)
    hr_start = lr_start * scale * scale
    heights, widths = tf.constant(sizes[:, 0]), tf.constant(sizes[:, 1])

    def take(flat, start, width, y, x, side):
        """The side x side x 3 block at (y, x) of the image at `start` in `flat`."""
        rows = (y + tf.range(side, dtype=tf.int64))[:, None]
        cols = (x + tf.range(side, dtype=tf.int64))[None, :]
        pixels = start + (rows * width + cols) * 3
        return tf.gather(flat, pixels[..., None] + tf.range(3, dtype=tf.int64))

    if detail_keep < 1.0:
        candidates = tf.constant(detailed_positions(lr, patch, detail_keep))

    def corner(s):
        """(image, y, x) of sample seed `s`."""
        if detail_keep >= 1.0:
            u = tf.random.stateless_uniform([], s, 0, 1, tf.float64)
            idx = tf.minimum(tf.searchsorted(cumulative, u[None], side="right")[0], len(lr) - 1)
            h, w = heights[idx], widths[idx]
            y = tf.random.stateless_uniform([], s + 1, 0, h - patch + 1, tf.int64)
            x = tf.random.stateless_uniform([], s + 4, 0, w - patch + 1, tf.int64)
            return idx, y, x
        row = candidates[tf.random.stateless_uniform([], s, 0, tf.shape(candidates, tf.int64)[0], tf.int64)]
        idx = row[0]
        y = tf.minimum(row[1] + tf.random.stateless_uniform([], s + 1, 0, DETAIL_GRID, tf.int64),
                       heights[idx] - patch)
        x = tf.minimum(row[2] + tf.random.stateless_uniform([], s + 4, 0, DETAIL_GRID, tf.int64),
                       widths[idx] - patch)
        return idx, y, x

    def sample(i):
        s = tf.stack([tf.constant(seed, tf.int64), i])
        idx, y, x = corner(s)
        w = widths[idx]
        k = tf.random.stateless_uniform([], s + 2, 0, 4, tf.int32)
        flip = tf.random.stateless_uniform([], s + 3, 0, 2, tf.int32)
        a = take(lr_flat, lr_start[idx], w, y, x, patch)
        b = take(hr_flat, hr_start[idx], w * scale, y * scale, x * scale, patch * scale)
        a, b = tf.image.rot90(a, k), tf.image.rot90(b, k)
        a, b = tf.cond(flip > 0, lambda: (a[:, ::-1], b[:, ::-1]), lambda: (a, b))
        return tf.cast(a, tf.float32) / 255.0, tf.cast(b, tf.float32) / 255.0

    ds = tf.data.Dataset.range(first_step * batch, last_step * batch)
    ds = ds.map(sample, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
