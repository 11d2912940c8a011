"""Running a trained model on uint8 images: loading, batches and self-ensemble.

Shared by training (validation PSNR), the evaluate stage and the upscale tool (through
`pipeline.upscaling.tiles`), so all three see exactly the same numbers for the same image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


def load_model(path: Path):
    """The trained Keras model; FileNotFoundError or ValueError, naming the path, when it is
    missing or not a model."""
    import keras  # late: TensorFlow takes seconds to import

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such model (run `dvc repro` first, or pass --model)")
    try:
        return keras.models.load_model(path)
    except (ValueError, OSError, KeyError) as e:  # not a zip, not a .keras archive, a foreign layer
        raise ValueError(f"{path}: not a model this Keras can load ({type(e).__name__}: {e})") from None


def model_scale(model) -> int:
    """The model's upscaling factor, read off its output size for a small input."""
    probe = np.zeros((1, 8, 8, 3), np.float32)
    return int(np.asarray(model(probe, training=False)).shape[1] // 8)


def to_float(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0


def to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(x, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def quantise(y):
    """`to_uint8` as TensorFlow operations, inside a compiled model (both round half to even)."""
    import tensorflow as tf

    return tf.cast(tf.clip_by_value(tf.round(y * 255.0), 0.0, 255.0), tf.uint8)


def run_model(run: Callable[[np.ndarray], object], x: np.ndarray, self_ensemble: bool = False) -> np.ndarray:
    """`run` (the model on a batch, float or 8-bit) as float32, averaged over the 8 flips/rotations
    with `self_ensemble` (Lim et al. 2017): each transform undone after the model."""
    if not self_ensemble:
        return np.asarray(run(x), dtype=np.float32)
    total = None
    for k in range(4):
        for flip in (False, True):
            t = np.rot90(x, k, axes=(1, 2))
            t = np.ascontiguousarray(t[:, :, ::-1] if flip else t)
            y = np.asarray(run(t), dtype=np.float32)
            y = np.rot90(y[:, :, ::-1] if flip else y, -k, axes=(1, 2))
            total = y if total is None else total + y
    return total / 8.0


def predict_float(model, lr: np.ndarray, self_ensemble: bool = False) -> np.ndarray:
    """SR of a uint8 batch (N, h, w, 3) -> float32 (N, H, W, 3) in about [0, 1]."""
    return run_model(lambda t: model(t, training=False), to_float(lr), self_ensemble)


def predict(model, lr: np.ndarray, self_ensemble: bool = False, batch: int = 16) -> np.ndarray:
    """uint8 batch in, uint8 batch out, `batch` images at a time to bound memory."""
    parts = [to_uint8(predict_float(model, lr[i:i + batch], self_ensemble)) for i in range(0, len(lr), batch)]
    return np.concatenate(parts) if parts else np.zeros((0,), np.uint8)
