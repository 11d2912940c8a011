"""The training data: LR/HR crops of a split, and the stream of random patch pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from pipeline.images import load_rgb
from pipeline.outputs import split_images


def load_split(lr_dir: Path, hr_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """All LR/HR crops of one split as uint8 arrays (N, h, w, 3) and (N, H, W, 3)."""
    names = [p.name for p in split_images(hr_dir.parent, hr_dir.name)]
    if not names:
        raise SystemExit(f"{hr_dir}: no images in this split; the filter kept too few photos "
                         "(see data/filtered/report.csv), or filter.val_fraction is 0")
    hr = np.stack([load_rgb(hr_dir / n) for n in names])
    lr = np.stack([load_rgb(lr_dir / n) for n in names])
    return lr, hr


def patch_dataset(lr: np.ndarray, hr: np.ndarray, patch: int, scale: int, batch: int,
                  seed: int, first_step: int, last_step: int) -> tf.data.Dataset:
    """Batches of random, augmented patch pairs for steps [first_step, last_step).

    Sample i uses stateless random ops seeded by (seed, i): the stream does not depend
    on where a run started, which is what makes resuming exact."""
    lr_t, hr_t = tf.constant(lr), tf.constant(hr)
    n, lr_side = lr.shape[0], lr.shape[1]

    def sample(i):
        s = tf.stack([tf.constant(seed, tf.int64), i])
        idx = tf.random.stateless_uniform([], s, 0, n, tf.int32)
        y, x = tf.unstack(tf.random.stateless_uniform([2], s + 1, 0, lr_side - patch + 1, tf.int32))
        k = tf.random.stateless_uniform([], s + 2, 0, 4, tf.int32)
        flip = tf.random.stateless_uniform([], s + 3, 0, 2, tf.int32)
        a = tf.slice(lr_t[idx], [y, x, 0], [patch, patch, 3])
        b = tf.slice(hr_t[idx], [y * scale, x * scale, 0], [patch * scale, patch * scale, 3])
        a, b = tf.image.rot90(a, k), tf.image.rot90(b, k)
        a, b = tf.cond(flip > 0, lambda: (a[:, ::-1], b[:, ::-1]), lambda: (a, b))
        return tf.cast(a, tf.float32) / 255.0, tf.cast(b, tf.float32) / 255.0

    ds = tf.data.Dataset.range(first_step * batch, last_step * batch)
    ds = ds.map(sample, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
