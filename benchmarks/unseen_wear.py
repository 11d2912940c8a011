"""The shipped models on wear no preset trains on, against bicubic: harm found here first.

    python -m benchmarks.unseen_wear HR_FOLDER ... [--models photo] [--only "WebP 75" ...]
                                     [--precision float32|bfloat16] [--name unseen_wear]

benchmarks/worn_inputs.py replays the photo preset's own kinds of wear one at a time; held-out
sets will be degraded in ways not known in advance. These are other common ones, each made
in benchmarks/unseen_conditions.py, seeded per image: WebP instead of JPEG, JPEG without chroma
subsampling, noise the same in all three channels (what a camera's luminance noise looks
like; training noise is independent per channel), signal-dependent (Poisson) noise, noise
before the downscale instead of after, a blur stronger than training's, and Lanczos without
antialiasing. Per model and condition: mean Y-PSNR of the model and of bicubic from the
same LR, the gain, the worst image's gain, and how many images the model made worse.
Writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import gain_summary, save
from benchmarks.unseen_conditions import CONDITIONS, SCALE, Maker
from pipeline.imaging.images import list_images, load_rgb
from pipeline.imaging.quality import psnr_y
from pipeline.imaging.resize import interpolate, modcrop
from pipeline.machine import cpu_model
from pipeline.randomness import rng_for
from pipeline.upscaling.precision import PRECISIONS


def scores(engine, hrs: dict[str, np.ndarray], make: Maker, seed: int) -> dict:
    model, bicubic = [], []
    for name, hr in hrs.items():
        lr = make(hr, rng_for(seed, name))
        model.append(psnr_y(engine.super_resolve(lr), hr, SCALE))
        bicubic.append(psnr_y(interpolate(lr, SCALE, "matlab"), hr, SCALE))
    return gain_summary(model, bicubic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="HR images no model trained on")
    parser.add_argument("--models", nargs="+", default=["photo"], help="shipped names or .keras paths")
    parser.add_argument("--only", nargs="*", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--precision", default="float32", choices=PRECISIONS)
    parser.add_argument("--name", default="unseen_wear", help="results file: benchmarks/results/<name>.json")
    args = parser.parse_args()
    from pipeline.training.devices import configure_tensorflow
    from pipeline.upscaling.models import choose, load
    from pipeline.upscaling.precision import with_precision

    configure_tensorflow(args.seed)
    engines = {spec: with_precision(load(choose(spec)), args.precision).engine() for spec in args.models}
    hrs = {f"{f.parent.name}/{f.name}": modcrop(load_rgb(f), SCALE) for folder in args.folders
           for f in list_images(folder)}
    results = {}
    for name in args.only:
        results[name] = {spec: scores(engine, hrs, CONDITIONS[name], args.seed) for spec, engine in engines.items()}
        print(name, results[name], flush=True)
        save(args.name, {"cpu": cpu_model(), "folders": [str(f) for f in args.folders], "seed": args.seed,
                         "precision": args.precision, "results": results})


if __name__ == "__main__":
    main()
