"""Running a trained model on uint8 images: batches, self-ensemble and seamless tiles.

Shared by training (validation PSNR), the evaluate stage and the upscale tool, so all
three see exactly the same numbers for the same image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

DEFAULT_MODEL = Path("models/model.keras")

# LR pixels per tile side, and tiles per model call. One 512-pixel tile per call took 9.5 s
# on a 6 MP photo where 256-pixel tiles in calls of 4 took 12.6 s (less overlap recomputed),
# lets the web server cancel a job within one tile, and keeps activations to a few hundred
# MB (benchmarks/upscale_bench.py measures speed and peak memory).
DEFAULT_TILE = 512
DEFAULT_BATCH = 1


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


def run_model(run: Callable[[np.ndarray], object], x: np.ndarray, self_ensemble: bool = False) -> np.ndarray:
    """`run` (the model on a float batch) as float32, averaged over the 8 flips/rotations
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


def spans(length: int, tile: int, window: int, overlap: int) -> list[tuple[int, int, int]]:
    """(start, end) of each tile along one axis, with the start of the window that computes
    it: `overlap` pixels of real context on each side where the image has them. Windows are
    all `window` long and inside the image: at the far edge the window slides back rather
    than being padded, so every pixel sees the zero padding of the image's own border, like
    whole-image inference, and never a padding of ours."""
    out = []
    for start in range(0, length, tile):
        end = min(start + tile, length)
        out.append((start, end, min(max(start - overlap, 0), length - window)))
    return out


class TileEngine:
    """SR of uint8 images of any size, in tiles, at the model's full speed.

    The model runs as one compiled function on a fixed input shape: `batch` windows of
    (tile + 2 * overlap) pixels a side, so TensorFlow traces it once per image shape class
    (not per edge tile) and both cores work on several tiles per call. With overlap >= the
    model's receptive radius the result equals whole-image inference within rounding, while
    memory is bounded by the batch. `tile=0` runs each image whole, as does any image of
    at most (2 x tile)^2 pixels.
    """

    def __init__(self, model, tile: int = DEFAULT_TILE, overlap: int | None = None, batch: int = DEFAULT_BATCH,
                 self_ensemble: bool = False) -> None:
        import tensorflow as tf

        from pipeline.model import receptive_radius

        self.model, self.scale = model, model_scale(model)
        self.tile, self.batch, self.self_ensemble = tile, batch, self_ensemble
        self.overlap = receptive_radius(model) if overlap is None else overlap
        compiled = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        self._run = lambda x: compiled(x).numpy()

    def tile_for(self, h: int, w: int) -> int:
        """The tile side for an h x w image; 0 = whole. Up to (2 x tile)^2 pixels an image
        runs whole: one call and no overlap recomputed, twice as fast as tiles on 1 MP
        photos, in memory still bounded by the tile size."""
        return 0 if self.tile <= 0 or h * w <= (2 * self.tile) ** 2 else self.tile

    def window(self, h: int, w: int) -> tuple[int, int]:
        tile = self.tile_for(h, w)
        side = tile + 2 * self.overlap
        return (h, w) if tile <= 0 else (min(side, h), min(side, w))

    def tiles(self, h: int, w: int) -> int:
        """How many tiles an h x w image takes (the unit of `upscale`'s progress)."""
        tile = self.tile_for(h, w)
        return 1 if tile <= 0 else -(-h // tile) * -(-w // tile)

    def upscale(self, rgb: np.ndarray, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(h, w, 3) uint8 in, (h * scale, w * scale, 3) uint8 out. `progress(n)` is called
        after every batch with the tiles it finished; an exception it raises (a cancelled
        job) stops the work there."""
        h, w = rgb.shape[:2]
        s, (wh, ww) = self.scale, self.window(h, w)
        tile = self.tile_for(h, w) or max(h, w)
        jobs = [(ys, xs) for ys in spans(h, tile, wh, self.overlap) for xs in spans(w, tile, ww, self.overlap)]
        out = np.empty((h * s, w * s, 3), np.uint8)
        for first in range(0, len(jobs), self.batch):
            chunk = jobs[first:first + self.batch]
            x = np.zeros((self.batch if len(jobs) > 1 else 1, wh, ww, 3), np.float32)  # fixed shape
            for i, ((_, _, wy), (_, _, wx)) in enumerate(chunk):
                x[i] = rgb[wy:wy + wh, wx:wx + ww]
            sr = run_model(self._run, x / np.float32(255.0), self.self_ensemble)
            for i, ((y0, y1, wy), (x0, x1, wx)) in enumerate(chunk):
                out[y0 * s:y1 * s, x0 * s:x1 * s] = to_uint8(
                    sr[i, (y0 - wy) * s:(y1 - wy) * s, (x0 - wx) * s:(x1 - wx) * s])
            if progress:
                progress(len(chunk))
        return out
