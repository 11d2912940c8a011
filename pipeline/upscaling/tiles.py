"""Upscaling images of any size in seamless tiles, at the speed of the model itself.

Shared by the evaluate stage, the upscale tool and the web server. The model runs as one
compiled function traced once, for any input shape, when the engine is built: a new photo
size costs no tracing (0.2 s here, which a function traced per shape paid for every size).
Speed per pixel was flat from 256 to 1060 pixels a side on the 2-core Xeon, so what costs
time is the overlap recomputed around each tile: tiles are as large as memory allows and
balanced (a 3000-pixel side takes three tiles of 1000, not 1024 + 1024 + 952).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise

import numpy as np

from pipeline.upscaling.inference import model_scale, quantise, run_model, to_uint8

# LR pixels per tile side, and tiles per model call. With the default model's 18 pixels of
# overlap a 1024 tile recomputes 7 % of its pixels (a 512 tile: 15 %); upscaling a 6 MP
# photo this way peaked at 1.6 GB (0.7 GB of it TensorFlow and the model), and the web
# server can cancel within the 2 s or so one tile takes. One tile per call: a tile this
# large keeps both cores busy by itself.
DEFAULT_TILE = 1024
DEFAULT_BATCH = 1


def spans(length: int, tile: int, overlap: int) -> tuple[int, list[tuple[int, int, int]]]:
    """The window length and each tile's (start, end, window start) along one axis.

    The fewest tiles of at most `tile` pixels, their sizes within one pixel of each other,
    each computed in a window with `overlap` pixels of real context on each side where the
    image has them. All windows are the same length and inside the image: at the far edge a
    window slides back rather than being padded, so every pixel sees only the image's own
    border padding, as in whole-image inference."""
    count = -(-length // tile)
    edges = [i * length // count for i in range(count + 1)]
    window = min(-(-length // count) + 2 * overlap, length)
    return window, [(a, b, min(max(a - overlap, 0), length - window)) for a, b in pairwise(edges)]


def tile_side(h: int, w: int, tile: int) -> int:
    """The tile side an h x w image is cut by: `tile`, or the whole image when it holds no
    more than tile x tile pixels (or `tile` is 0)."""
    return tile if tile > 0 and tile**2 < h * w else max(h, w)


def tile_count(h: int, w: int, tile: int = DEFAULT_TILE) -> int:
    """How many tiles an h x w image takes: the unit of progress (no model needed)."""
    side = tile_side(h, w, tile)
    return -(-h // side) * -(-w // side)


class TileEngine:
    """SR of uint8 images of any size, a band of rows at a time.

    With an overlap of at least the model's receptive radius the result equals whole-image
    inference within rounding, while memory is bounded by the tile size. Images of at most
    tile x tile pixels run whole (`tile=0`: every image). `batch` windows go into each call.
    """

    def __init__(self, model, tile: int = DEFAULT_TILE, overlap: int | None = None, batch: int = DEFAULT_BATCH,
                 self_ensemble: bool = False) -> None:
        import tensorflow as tf

        from pipeline.upscaling.receptive import receptive_radius  # late, like TensorFlow: it imports Keras

        self.model, self.scale = model, model_scale(model)
        self.tile, self.batch, self.self_ensemble = tile, batch, self_ensemble
        self.overlap = receptive_radius(model) if overlap is None else overlap

        def forward(x):
            # 8 bits in and (without self-ensemble, whose eight outputs are averaged in float
            # first) 8 bits out: the scaling and the rounding run inside the graph, on all of
            # TensorFlow's threads, and a quarter of the bytes come back (in numpy they ran
            # on one thread between model calls, both cores waiting). The same float32
            # operations as to_float and to_uint8; on AVX-512 this compiled model's floats
            # can differ from predict's by a hair, one level after rounding (test_tiles.py).
            y = model(tf.cast(x, tf.float32) / 255.0, training=False)
            return y if self_ensemble else quantise(y)

        compiled = tf.function(forward, input_signature=[tf.TensorSpec((None, None, None, 3), tf.uint8)])
        compiled.get_concrete_function()
        self._run = lambda x: compiled(x).numpy()

    def layout(self, h: int, w: int) -> tuple[tuple[int, int], list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        """(window height, width), and the row and column spans of the tiles."""
        tile = tile_side(h, w, self.tile)
        (wh, ys), (ww, xs) = spans(h, tile, self.overlap), spans(w, tile, self.overlap)
        return (wh, ww), ys, xs

    def tiles(self, h: int, w: int) -> int:
        """How many tiles an h x w image takes (the unit of progress)."""
        return tile_count(h, w, self.tile)

    def bands(self, rgb: np.ndarray, progress: Callable[[int], None] | None = None) -> Iterator[np.ndarray]:
        """(h, w, 3) uint8 in; out come the (h * scale, w * scale, 3) uint8 result's rows, a
        row of tiles at a time, while the rest is still to compute. `progress(n)` is called
        after every model call with the tiles it finished; an exception it raises (a
        cancelled job) stops the work there."""
        h, w = rgb.shape[:2]
        s = self.scale
        (wh, ww), ys, xs = self.layout(h, w)
        jobs = [(row, y, x) for row, y in enumerate(ys) for x in xs]
        left = [len(xs)] * len(ys)  # tiles still to compute in each row
        rows: dict[int, np.ndarray] = {}
        next_row = 0
        for first in range(0, len(jobs), self.batch):
            chunk = jobs[first:first + self.batch]
            x = np.empty((len(chunk), wh, ww, 3), np.uint8)
            for i, (_, (_, _, wy), (_, _, wx)) in enumerate(chunk):
                x[i] = rgb[wy:wy + wh, wx:wx + ww]
            sr = to_uint8(run_model(self._run, x, True)) if self.self_ensemble else self._run(x)
            for i, (row, (y0, y1, wy), (x0, x1, wx)) in enumerate(chunk):
                if row not in rows:
                    rows[row] = np.empty(((y1 - y0) * s, w * s, 3), np.uint8)
                rows[row][:, x0 * s:x1 * s] = sr[i, (y0 - wy) * s:(y1 - wy) * s, (x0 - wx) * s:(x1 - wx) * s]
                left[row] -= 1
            if progress:
                progress(len(chunk))
            while next_row < len(ys) and left[next_row] == 0:
                yield rows.pop(next_row)
                next_row += 1

    def super_resolve(self, rgb: np.ndarray, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """(h, w, 3) uint8 in, the whole (h * scale, w * scale, 3) uint8 result out."""
        return np.concatenate(list(self.bands(rgb, progress)))
