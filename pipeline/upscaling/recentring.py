"""Results for inputs made small by nearest-neighbour, moved to where their scene is.

A nearest-neighbour shrink keeps one HR pixel of each `scale` x `scale` block, and programs
disagree on which: Pillow (and MATLAB) the one nearest the block's centre, floor((i + 0.5) s),
the lower-right of a 2x2 block; OpenCV's INTER_NEAREST (and slicing, `a[::2, ::2]`) the
upper-left. The networks, like every antialiased kernel, put an LR pixel at its block's
centre, so from such an input they draw the scene half an HR pixel off (at x2), and that
misplacement costs them more than anything else on such inputs. No blind model can
tell which pixel was kept (a flip turns one phase into the other), but a user who knows the
program can say so, and then the result is moved back by that fraction of a pixel. A user who
knows only that the input is nearest-made says `unknown`: the result is then the mean of its
moves to both programs' phases (both axes at once, since one program made both), which is
what the least-squares answer is when either is as likely. At x2 that filters the result by
cos(pi (fx + fy)): for detail that is the scene's (not aliasing) it misses by less, in
expectation, than the result left half a pixel off, though it gains far less than naming
the program (docs/results.md).

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
from scipy import ndimage

from pipeline.imaging.resize import cubic

# The kept pixel's offset in its block, by program, and the downscale kernel (params.Kernel)
# that replays each program's nearest-neighbour shrink.
NEAREST_KEPT = {"pillow": lambda scale: scale // 2, "opencv": lambda scale: 0}
KERNEL = {"pillow": "nearest", "opencv": "nearest_opencv"}
UNKNOWN = "unknown"
PROGRAMS = (*NEAREST_KEPT, UNKNOWN)


def offset(scale: int, program: str) -> float:
    """HR pixels from where a network draws `program`'s input to where its scene is."""
    return (scale - 1) / 2 - NEAREST_KEPT[program](scale)


def offsets(scale: int, program: str) -> list[float]:
    """The moves whose mean is the answer for `program`: one, or both programs' for UNKNOWN."""
    return [offset(scale, p) for p in (NEAREST_KEPT if program == UNKNOWN else [program])]


def taps(d: float) -> tuple[np.ndarray, np.ndarray]:
    """(integer offsets, weights) with out[i] = sum(w * x[i + offsets]) = x[i + d]."""
    base = math.floor(d)
    if d == base:
        return np.array([base]), np.array([1.0])
    offsets = base + np.arange(-1, 3)
    weights = cubic(offsets - d)
    return offsets, weights / weights.sum()


def kernel(d: float) -> np.ndarray:
    """`taps(d)` as one odd-length filter centred on the pixel (scipy's correlate1d layout)."""
    offsets, weights = taps(d)
    reach = int(max(-offsets.min(), offsets.max(), 1))
    full = np.zeros(2 * reach + 1)
    full[offsets + reach] = weights
    return full


def moved_bands(bands: Iterable[np.ndarray], scale: int, program: str) -> Iterator[np.ndarray]:
    """The result's row bands (uint8, as the tile engine yields them, top to bottom) moved by
    `offset(scale, program)` on both axes (for UNKNOWN, the mean of both programs' moves),
    yielded as soon as the rows they need have come: memory stays about two bands' worth of
    float32 per move. The image's edges are mirrored (half a sample, as MATLAB pads); scipy's
    correlate1d does the arithmetic, in place of numpy temporaries that made the move cost
    half again the network's time on a 12 MP result."""
    filters = [kernel(d) for d in offsets(scale, program)]
    reach = max(len(w) for w in filters) // 2
    carries = None   # per move, the column-moved rows kept, the first of them being row `first`
    first = done = 0

    def rows_moved(blocks: list[np.ndarray], start: int, stop: int) -> np.ndarray:
        # Summed in float32 into the first move's buffer; the mean is taken before rounding.
        out = None
        for block, weights in zip(blocks, filters, strict=True):
            part = ndimage.correlate1d(block, weights, axis=0, output=np.float32, mode="reflect")[start:stop]
            out = part if out is None else np.add(out, part, out=out)
        if len(blocks) > 1:
            out /= len(blocks)
        return out

    for band in bands:
        across = [ndimage.correlate1d(band, w, axis=1, output=np.float32, mode="reflect") for w in filters]
        blocks = across if carries is None else [np.concatenate([c, a]) for c, a in zip(carries, across, strict=True)]
        upto = first + len(blocks[0]) - reach  # the rows whose every source row has come
        if upto > done:
            # A block's top is the image's own only when `first` is 0, and then mirroring it
            # is right; otherwise rows from `done` on reach no higher than `first`.
            yield as_uint8(rows_moved(blocks, done - first, upto - first))
            done = upto
        keep = max(0, done - reach)
        carries, first = [b[keep - first:] for b in blocks], keep
    if carries is not None and done < first + len(carries[0]):  # the bottom rows, mirrored at the image's end
        yield as_uint8(rows_moved(carries, done - first, len(carries[0])))


def as_uint8(x: np.ndarray) -> np.ndarray:
    """Rounded and clipped in place (`x` is a slice of a buffer nobody reads again)."""
    np.round(x, out=x)
    return np.clip(x, 0, 255, out=x).astype(np.uint8)


def moved(img: np.ndarray, scale: int, program: str) -> np.ndarray:
    """A whole result, (H, W) or (H, W, C) uint8, moved as `moved_bands` moves bands."""
    out = np.concatenate(list(moved_bands([img[..., None] if img.ndim == 2 else img], scale, program)))
    return out[..., 0] if img.ndim == 2 else out
