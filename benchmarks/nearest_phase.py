"""How much of a nearest-neighbour input's low score is its phase, not its aliasing.

    python -m benchmarks.nearest_phase HR_FOLDER ... [--limit 12] [--models photo clean]
                                       [--precision float32|bfloat16] [--name nearest_phase]

A 2x nearest downscale keeps one pixel of each 2x2 block, and programs disagree on which:
Pillow (and MATLAB) the lower-right, OpenCV and numpy's `[::2, ::2]` the upper-left. Every
other kernel the project knows, and the networks, put an LR pixel at the centre of its
block, half an HR pixel from either. This scores, per kernel and image, the same cubic
spline placed at the centre (what bicubic and the networks assume), at the kernel's true
phase, and averaged over the two phases (the best answer for an input whose program is
unknown), beside the project's bicubic baseline: what a model could gain on nearest inputs
by placement alone. With `--models`, each model too, its result as it is and moved to the
program's phase (`python -m pipeline.upscale --nearest-input PROGRAM`, for a user who knows
the program; pipeline/upscaling/recentring.py), and moved by `--nearest-input unknown` (the
mean of both moves, for a user who knows only that the input is nearest-made). Writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
from scipy import ndimage

from benchmarks.common import save
from pipeline.imaging.images import list_images, load_rgb
from pipeline.imaging.quality import psnr_y
from pipeline.imaging.resize import downscale, interpolate, modcrop
from pipeline.machine import cpu_model
from pipeline.upscaling.precision import PRECISIONS
from pipeline.upscaling.recentring import KERNEL, NEAREST_KEPT, UNKNOWN, moved

SCALE = 2
PROGRAM = {kernel: program for program, kernel in KERNEL.items()}
# The HR index an LR pixel's sample sits at is 2i + PHASE: 0.5 is the block's centre.
PHASE = {kernel: float(NEAREST_KEPT[program](SCALE)) for kernel, program in PROGRAM.items()}
CENTRE = 0.5


def spline_up(lr: np.ndarray, phase: float) -> np.ndarray:
    """`lr` twice the size by a cubic spline, LR pixel i placed at HR index 2i + `phase`."""
    h, w = lr.shape[0] * SCALE, lr.shape[1] * SCALE
    rows, cols = np.meshgrid((np.arange(h) - phase) / SCALE, (np.arange(w) - phase) / SCALE, indexing="ij")
    planes = [ndimage.map_coordinates(lr[..., c].astype(np.float64), [rows, cols], order=3, mode="reflect")
              for c in range(lr.shape[2])]
    return np.stack(planes, axis=-1)


def as_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def image_scores(hr: np.ndarray, kernel: str, engines: dict) -> dict[str, float]:
    lr = downscale(hr, SCALE, kernel)
    placed = {p: spline_up(lr, p) for p in (CENTRE, *PHASE.values())}
    both = np.mean([placed[p] for p in PHASE.values()], axis=0)
    scores = {"bicubic": psnr_y(interpolate(lr, SCALE, "matlab"), hr, SCALE),
              "spline, centred": psnr_y(as_uint8(placed[CENTRE]), hr, SCALE),
              "spline, true phase": psnr_y(as_uint8(placed[PHASE[kernel]]), hr, SCALE),
              "spline, both phases averaged": psnr_y(as_uint8(both), hr, SCALE)}
    for name, engine in engines.items():
        sr = engine.super_resolve(lr)
        scores[f"{name}, as given"] = psnr_y(sr, hr, SCALE)
        for program in (PROGRAM[kernel], UNKNOWN):
            scores[f"{name}, --nearest-input {program}"] = psnr_y(moved(sr, SCALE, program), hr, SCALE)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="HR images")
    parser.add_argument("--limit", type=int, default=12, help="the first N images of each folder, sorted")
    parser.add_argument("--models", nargs="*", default=[], help="shipped names or .keras paths to score too")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS)
    parser.add_argument("--name", default="nearest_phase", help="results file: benchmarks/results/<name>.json")
    args = parser.parse_args()
    files = [f for folder in args.folders for f in list_images(folder)[:args.limit]]
    hrs = [modcrop(load_rgb(f), SCALE) for f in files]
    engines = {}
    if args.models:
        from pipeline.training.devices import configure_tensorflow
        from pipeline.upscaling.models import choose, load
        from pipeline.upscaling.precision import with_precision

        configure_tensorflow(7)
        engines = {spec: with_precision(load(choose(spec)), args.precision).engine() for spec in args.models}
    results = {}
    for kernel in PHASE:
        per_image = [image_scores(hr, kernel, engines) for hr in hrs]
        gains = {way: [s[way] - s["bicubic"] for s in per_image] for way in per_image[0]}
        results[kernel] = {way: {"psnr_y": round(statistics.mean(s[way] for s in per_image), 3),
                                 "gain": round(statistics.mean(g), 3), "worst_gain": round(min(g), 3),
                                 "worse_than_bicubic": sum(x < 0 for x in g)}
                           for way, g in gains.items() if way != "bicubic"}
        results[kernel]["bicubic"] = round(statistics.mean(s["bicubic"] for s in per_image), 3)
        print(kernel, results[kernel], flush=True)
    save(args.name, {"cpu": cpu_model(), "precision": args.precision, "images": [str(f) for f in files],
                     "results": results})


if __name__ == "__main__":
    main()
