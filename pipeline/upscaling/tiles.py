"""Upscaling images of any size in seamless tiles, at the speed of the model itself.

Shared by the evaluate stage, the upscale tool and the web server. The model runs as one
compiled function traced once, for any input shape, when the engine is built: a new photo
size costs no tracing (0.2 s here, which a function traced per shape paid for every size).
Speed per pixel was flat from 256 to 1060 pixels a side on the 2-core Xeon, so what costs
time is the overlap recomputed around each tile: tiles are as large as memory allows and
balanced (a 3000-pixel side takes three tiles of 1000, not 1024 + 1024 + 952).

A network computing in bfloat16 (pipeline/upscaling/precision.py) runs its windows in a few
fixed shapes instead: oneDNN keeps what it built for every new input shape, and in bfloat16
that is about 200 bytes per LR pixel of the window, never given back, so a folder of
photos of many sizes, or a server taking uploads, grew without bound (60 photos of 0.1-1
MP, each its own size, on the AMX Xeon: float32 peaked at 1.7 GB, bfloat16 at 8.1 GB;
benchmarks/many_sizes.py, docs/results.md).
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
# A server's engines in bfloat16 (pipeline/web/workers.py): 512-pixel tiles. What oneDNN
# keeps grows with the area of each window shape it has run, and a server meets sizes
# without end: the 60 photos above, bfloat16 with buckets, peaked at 5.0 GB in 1024 tiles
# and 2.6 GB in 512 (at the same speed, 3.5 output MP/s, medians of two rounds), where a
# shape per size reached 8.1 GB at 2.6. On one photo size 512 tiles cost up to half again
# the pixels (a 1224 x 816 photo, whole in 1024 tiles, takes 3 x 2 windows of 512).
SERVER_BFLOAT16_TILE = 512
# Window lengths in fixed shapes: about three a doubling, from 32 up (32, 48, 64, 80, 96,
# 128, 160, 208, 256, 320, 400, 512, 640, 816, 1024, ...), multiples of 16 because oneDNN's
# bfloat16 kernels are: a 512-row window 536 wide ran at 4.1 output MP/s, 544 wide at 5.5,
# and a 6 MP photo in 512 tiles with clean's overlap ran at 3.6 in 556-pixel windows, 4.0
# in 560.
BUCKETS_PER_DOUBLING = 3
SMALLEST_BUCKET = 32
BUCKET_MULTIPLE = 16


def bucket(length: int) -> int:
    """The fixed window length that holds `length` pixels: the shortest rung of the ladder
    at least that long."""
    rung, k = SMALLEST_BUCKET, 0
    while rung < length:
        k += 1
        rung = round(SMALLEST_BUCKET * 2 ** (k / BUCKETS_PER_DOUBLING) / BUCKET_MULTIPLE) * BUCKET_MULTIPLE
    return rung


def spans(length: int, tile: int, overlap: int) -> tuple[int, list[tuple[int, int, int]]]:
    """The window length and each tile's (start, end, window start) along one axis.

    The fewest tiles of at most `tile` pixels, their sizes within one pixel of each other,
    each computed in a window with `overlap` pixels of real context on each side where the
    image has them. All windows are the same length and inside the image: at the far edge a
    window slides back rather than being padded, so every pixel sees only the image's own
    border padding, as in whole-image inference."""
    count = -(-length // tile)
    window = min(-(-length // count) + 2 * overlap, length)
    return window, windows(length, count, window, overlap)


def bucketed_spans(length: int, tile: int, overlap: int, whole: bool) -> tuple[int, list[tuple[int, int, int]]]:
    """`spans` in windows of fixed lengths: a rung of `bucket`'s ladder below a full tile's
    window, or that window (`tile` + 2 `overlap`, up to a multiple of 16), or with `whole`
    (the image runs whole) one window holding the whole axis, whichever computes the fewest
    pixels along it. A window runs past the image's far edge (to be padded) only where it
    holds the whole axis."""
    top = -(-(tile + 2 * overlap) // BUCKET_MULTIPLE) * BUCKET_MULTIPLE
    window, count = 0, 0
    if whole or length <= top:  # one window along the axis
        window, count = (bucket(length) if whole or bucket(length) <= top else top), 1
    for rung in [*ladder(top), top]:
        if 2 * overlap < rung < length:
            k = -(-length // (rung - 2 * overlap))  # tiles of at most rung - 2 overlap
            if not count or k * rung < count * window:
                window, count = rung, k
    return window, windows(length, count, window, overlap)


def windows(length: int, count: int, window: int, overlap: int) -> list[tuple[int, int, int]]:
    """`count` balanced tiles along an axis, each (start, end, start of its `window`)."""
    edges = [i * length // count for i in range(count + 1)]
    return [(a, b, max(min(a - overlap, length - window), 0)) for a, b in pairwise(edges)]


def ladder(below: int) -> list[int]:
    """`bucket`'s rungs shorter than `below`."""
    rungs, rung = [], SMALLEST_BUCKET
    while rung < below:
        rungs.append(rung)
        rung = bucket(rung + 1)
    return rungs


def computes_in_bfloat16(model) -> bool:
    """Whether any layer of `model` computes in bfloat16 (precision.bfloat16_copy's body)."""
    return any(getattr(layer, "compute_dtype", None) == "bfloat16" for layer in getattr(model, "layers", ()))


def runs_whole(h: int, w: int, tile: int) -> bool:
    """Whether an h x w image runs in one window: it holds no more than tile x tile pixels
    (or `tile` is 0)."""
    return tile <= 0 or h * w <= tile**2


def tile_side(h: int, w: int, tile: int) -> int:
    """The tile side an h x w image is cut by: `tile`, or the whole image (`runs_whole`)."""
    return max(h, w) if runs_whole(h, w, tile) else tile


def tile_count(h: int, w: int, tile: int = DEFAULT_TILE) -> int:
    """How many tiles an h x w image takes: the unit of progress (no model needed)."""
    side = tile_side(h, w, tile)
    return -(-h // side) * -(-w // side)


class TileEngine:
    """SR of uint8 images of any size, a band of rows at a time.

    With an overlap of at least the model's receptive radius the result equals whole-image
    inference within rounding, while memory is bounded by the tile size. Images of at most
    tile x tile pixels run whole (`tile=0`: every image). `batch` windows go into each call.

    `buckets` (by default: when the network computes in bfloat16) runs every window in one
    of a few fixed shapes (`bucket`), an axis shorter than its window padded by mirroring
    the image at its far edge: pixels within the receptive radius of that edge then see
    mirrored image where whole-image inference sees the network's zero padding.
    """

    def __init__(self, model, tile: int = DEFAULT_TILE, overlap: int | None = None, batch: int = DEFAULT_BATCH,
                 self_ensemble: bool = False, buckets: bool | None = None) -> None:
        import tensorflow as tf

        from pipeline.upscaling.receptive import receptive_radius  # late, like TensorFlow: it imports Keras

        self.model, self.scale = model, model_scale(model)
        self.tile, self.batch, self.self_ensemble = tile, batch, self_ensemble
        self.buckets = computes_in_bfloat16(model) if buckets is None else buckets
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
        if self.buckets:
            whole = runs_whole(h, w, self.tile)
            (wh, ys), (ww, xs) = (bucketed_spans(n, self.tile, self.overlap, whole) for n in (h, w))
        else:
            tile = tile_side(h, w, self.tile)
            (wh, ys), (ww, xs) = spans(h, tile, self.overlap), spans(w, tile, self.overlap)
        return (wh, ww), ys, xs

    def tiles(self, h: int, w: int) -> int:
        """How many tiles an h x w image takes (the unit of progress)."""
        _, ys, xs = self.layout(h, w)
        return len(ys) * len(xs)

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
                part = rgb[wy:wy + wh, wx:wx + ww]
                if part.shape[:2] != (wh, ww):  # a bucket longer than the image
                    part = np.pad(part, ((0, wh - part.shape[0]), (0, ww - part.shape[1]), (0, 0)), "symmetric")
                x[i] = part
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
