"""Running a trained model on uint8 images: batches, self-ensemble and seamless tiles.

Shared by training (validation PSNR), the evaluate stage and the upscale tool, so all
three see exactly the same numbers for the same image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

DEFAULT_MODEL = Path("models/model.keras")

# LR pixels per tile side: large enough that the overlap's recomputation stays small,
# small enough that a tile's activations fit in well under a gigabyte.
DEFAULT_TILE = 256


def load_model(path: Path = DEFAULT_MODEL):
    """The trained Keras model; FileNotFoundError names the path when it is missing."""
    import keras  # late: TensorFlow takes seconds to import

    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such model (run `dvc repro` first, or pass --model)")
    return keras.models.load_model(path)


def model_scale(model) -> int:
    """The model's upscaling factor, read off its output size for a small input."""
    probe = np.zeros((1, 8, 8, 3), np.float32)
    return int(np.asarray(model(probe, training=False)).shape[1] // 8)


def to_float(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0


def to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(x, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def predict_float(model, lr: np.ndarray, self_ensemble: bool = False) -> np.ndarray:
    """SR of a uint8 batch (N, h, w, 3) -> float32 (N, H, W, 3) in about [0, 1]."""
    x = to_float(lr)
    if not self_ensemble:
        return np.asarray(model(x, training=False), dtype=np.float32)
    # Mean over the 8 dihedral transforms (Lim et al. 2017): each undone after the model.
    total = None
    for k in range(4):
        for flip in (False, True):
            t = np.rot90(x, k, axes=(1, 2))
            t = t[:, :, ::-1] if flip else t
            y = np.asarray(model(np.ascontiguousarray(t), training=False), dtype=np.float32)
            y = y[:, :, ::-1] if flip else y
            y = np.rot90(y, -k, axes=(1, 2))
            total = y if total is None else total + y
    return total / 8.0


def predict(model, lr: np.ndarray, self_ensemble: bool = False, batch: int = 16) -> np.ndarray:
    """uint8 batch in, uint8 batch out, `batch` images at a time to bound memory."""
    parts = [to_uint8(predict_float(model, lr[i:i + batch], self_ensemble)) for i in range(0, len(lr), batch)]
    return np.concatenate(parts) if parts else np.zeros((0,), np.uint8)


def tile_grid(length: int, tile: int) -> list[tuple[int, int]]:
    return [(start, min(start + tile, length)) for start in range(0, length, tile)]


def upscale_tiled(model, rgb: np.ndarray, scale: int, tile: int, overlap: int,
                  self_ensemble: bool = False,
                  progress: Callable[[int], None] | None = None) -> np.ndarray:
    """SR of one (h, w, 3) uint8 image, `tile` LR pixels at a time.

    Each tile is run with `overlap` pixels of real context on every side and only its
    centre is kept, so with overlap >= the model's receptive radius the result equals
    whole-image inference (up to float rounding) while memory stays bounded by the tile.
    """
    h, w = rgb.shape[:2]
    if tile <= 0 or (h <= tile and w <= tile):
        return to_uint8(predict_float(model, rgb[None], self_ensemble)[0])
    out = np.empty((h * scale, w * scale, 3), np.uint8)
    for y0, y1 in tile_grid(h, tile):
        for x0, x1 in tile_grid(w, tile):
            py0, px0 = max(0, y0 - overlap), max(0, x0 - overlap)
            py1, px1 = min(h, y1 + overlap), min(w, x1 + overlap)
            sr = predict_float(model, rgb[None, py0:py1, px0:px1], self_ensemble)[0]
            oy, ox = (y0 - py0) * scale, (x0 - px0) * scale
            out[y0 * scale:y1 * scale, x0 * scale:x1 * scale] = to_uint8(
                sr[oy:oy + (y1 - y0) * scale, ox:ox + (x1 - x0) * scale])
            if progress:
                progress(1)
    return out
