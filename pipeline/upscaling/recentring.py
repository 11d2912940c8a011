"""Results for inputs made small by nearest-neighbour, moved to where their scene is.

A nearest-neighbour shrink keeps one HR pixel of each `scale` x `scale` block, and programs
disagree on which: Pillow (and MATLAB) the one nearest the block's centre, floor((i + 0.5) s),
the lower-right of a 2x2 block; OpenCV's INTER_NEAREST (and slicing, `a[::2, ::2]`) the
upper-left. The networks, like every antialiased kernel, put an LR pixel at its block's
centre, so from such an input they draw the scene half an HR pixel off (at x2), and that
misplacement costs them more than anything else on such inputs. No blind model can
tell which pixel was kept (a flip turns one phase into the other), but a user who knows the
program can say so, and then the result is moved back by that fraction of a pixel.

Moving the result, not the input: re-placing the LR by a quarter pixel before the network
(a cubic spline through the samples) gained two thirds as much over bicubic on the release
run's val photos, since the network then meets interpolated aliasing it was not trained on
(docs/results.md, "`--nearest-input`"). The move is Keys' cubic (a = -0.5):
finite, so it streams band by band with the tile engine's output, and on those photos
sharper than a spline or a Lanczos window (32.34 dB against 32.25 and 32.17, 8 photos).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from pipeline.imaging.resize import cubic

# The kept pixel's offset in its block, by program.
NEAREST_KEPT = {"pillow": lambda scale: scale // 2, "opencv": lambda scale: 0}
PROGRAMS = tuple(NEAREST_KEPT)


def offset(scale: int, program: str) -> float:
    """HR pixels from where a network draws `program`'s input to where its scene is."""
    return (scale - 1) / 2 - NEAREST_KEPT[program](scale)


def taps(d: float) -> tuple[np.ndarray, np.ndarray]:
    """(integer offsets, weights) with out[i] = sum(w * x[i + offsets]) = x[i + d]."""
    base = math.floor(d)
    if d == base:
        return np.array([base]), np.array([1.0])
    offsets = base + np.arange(-1, 3)
    weights = cubic(offsets - d)
    return offsets, weights / weights.sum()


def mirrored(index: np.ndarray, n: int) -> np.ndarray:
    """Half-sample symmetric indices (-1 -> 0, n -> n - 1), as MATLAB pads."""
    index = np.where(index < 0, -index - 1, index)
    return np.where(index >= n, 2 * n - index - 1, index)


def along_columns(band: np.ndarray, offsets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    lo, hi, w = -int(offsets.min()), int(offsets.max()), band.shape[1]
    padded = np.pad(band.astype(np.float32), ((0, 0), (max(lo, 0), max(hi, 0)), (0, 0)), mode="symmetric")
    return sum(wt * padded[:, max(lo, 0) + o:max(lo, 0) + o + w] for o, wt in zip(offsets, weights, strict=True))


def moved_bands(bands: Iterable[np.ndarray], scale: int, program: str) -> Iterator[np.ndarray]:
    """The result's row bands (uint8, as the tile engine yields them, top to bottom) moved by
    `offset(scale, program)` on both axes, yielded as soon as the rows they need have come:
    memory stays a band and a few rows."""
    offsets, weights = taps(offset(scale, program))
    lo, hi = int(offsets.min()), int(offsets.max())
    rows = None      # the column-moved rows kept, the first of them being row `first`
    first = done = 0

    def emit(upto: int, total: int | None) -> np.ndarray:
        wanted = np.arange(done, upto)
        need = [wanted + o for o in offsets]
        if total is not None:
            need = [mirrored(n, total) for n in need]
        else:  # only the top edge can be mirrored before the end is known
            need = [np.where(n < 0, -n - 1, n) for n in need]
        out = sum(w * rows[n - first] for n, w in zip(need, weights, strict=True))
        return np.clip(np.round(out), 0, 255).astype(np.uint8)

    for band in bands:
        across = along_columns(band, offsets, weights)
        rows = across if rows is None else np.concatenate([rows, across])
        received = first + len(rows)
        upto = received - max(hi, 0)  # the rows all of whose needs have come
        if upto > done:
            yield emit(upto, None)
            done = upto
            # Rows from here on are needed: done + lo and up, or at the bottom edge's mirror
            # done and up; below 0, the top edge's mirror needs the first rows.
            keep = max(0, done + min(lo, 0))
            rows, first = rows[keep - first:], keep
    if rows is not None and done < first + len(rows):
        yield emit(first + len(rows), first + len(rows))


def moved(img: np.ndarray, scale: int, program: str) -> np.ndarray:
    """A whole result, (H, W) or (H, W, C) uint8, moved as `moved_bands` moves bands."""
    out = np.concatenate(list(moved_bands([img[..., None] if img.ndim == 2 else img], scale, program)))
    return out[..., 0] if img.ndim == 2 else out
