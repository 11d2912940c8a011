"""The shipped models on worn inputs, one kind of wear at a time, against bicubic.

    python -m benchmarks.worn_inputs HR_FOLDER ... [--models clean photo] [--only clean jpeg_50 ...]

Each condition makes every LR one fixed way (a downscaler with or without antialiasing,
JPEG at one quality or twice, noise, blur, a mix), seeded per image, beyond what the photo
preset trains on where it says so (noise 25, JPEG 15): the question is not how a model does
on its own training distribution but whether it ever does harm. For each model and
condition: mean Y-PSNR of the model and of bicubic from the same LR, the gain, the worst
image's gain, and how many images the model made worse than bicubic. Run it on images no
model trained on (the release run's data/hr/val and data/hr/test). Writes
benchmarks/results/worn_inputs.json (or `--name`.json).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.common import gain_summary, save
from benchmarks.worn_conditions import CONDITIONS, condition
from pipeline.machine import cpu_model
from pipeline.params import Downscale
from pipeline.upscaling.precision import PRECISIONS, with_precision


def scores(engine, folders: list[Path], worn: Downscale, seed: int) -> dict:
    """Model and bicubic Y-PSNR per image over all folders, and their summary."""
    from pipeline.evaluation.folders import score_folder

    per_image = {}
    for folder in folders:
        _, rows, _ = score_folder(engine, folder, worn=worn, seed=seed)
        for row in rows:
            per_image.setdefault(f"{folder.name}/{row['image']}", {})[row["method"]] = row["psnr_y"]
    return gain_summary([s["model"] for s in per_image.values()], [s["bicubic"] for s in per_image.values()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="HR images no model trained on")
    parser.add_argument("--models", nargs="+", default=["clean", "photo"], help="shipped names or .keras paths")
    parser.add_argument("--only", nargs="*", default=list(CONDITIONS), choices=list(CONDITIONS))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--self-ensemble", action="store_true",
                        help="each model averaged over the 8 flips and rotations")
    parser.add_argument("--precision", default="float32", choices=PRECISIONS,
                        help="bfloat16 scores within 0.012 dB of float32 (results/precision_buckets_xeon.json)")
    parser.add_argument("--name", default="worn_inputs", help="results file: benchmarks/results/<name>.json")
    args = parser.parse_args()
    from pipeline.training.devices import configure_tensorflow
    from pipeline.upscaling.models import choose, load

    configure_tensorflow(args.seed)
    engines = {spec: with_precision(load(choose(spec)), args.precision).engine(self_ensemble=args.self_ensemble)
               for spec in args.models}
    results = {}
    for name in args.only:
        worn = condition(CONDITIONS[name])
        results[name] = {spec: scores(engine, args.folders, worn, args.seed) for spec, engine in engines.items()}
        print(name, results[name], flush=True)
        # After every condition: a run stopped midway keeps what it measured.
        save(args.name, {"cpu": cpu_model(), "folders": [str(f) for f in args.folders], "seed": args.seed,
                         "self_ensemble": args.self_ensemble, "precision": args.precision,
                         "conditions": {n: CONDITIONS[n] for n in results}, "results": results})


if __name__ == "__main__":
    main()
