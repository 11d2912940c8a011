"""float32 against bfloat16 (`--precision`), per model: quality on whole images and speed.

    python -m benchmarks.precision HR_FOLDER ... [--models clean photo fast] [--name precision]

Quality: every HR image made small by MATLAB's bicubic and upscaled by the tile engine in
each precision; mean Y-PSNR per precision and the largest per-image difference. Speed: the
engine (1024-pixel tiles, as the CLI) on a 1024 x 768 LR crop of the first image (tiled out
of it if smaller), after one warm-up, the median of `--repeats` runs, in output MP/s, and
the ratio of the two precisions measured in the same process. Run it on images no model
trained on (the release run's data/hr/test). Writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.common import save
from pipeline.machine import cpu_model


def speed(engine, lr: np.ndarray, repeats: int) -> float:
    engine.super_resolve(lr)  # warm-up: traces the graph for this tile size
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        engine.super_resolve(lr)
        times.append(time.perf_counter() - start)
    return lr.shape[0] * lr.shape[1] * engine.scale ** 2 / 1e6 / statistics.median(times)


def speed_input(folder: Path) -> np.ndarray:
    from pipeline.imaging.images import decode, list_images

    rgb = decode(list_images(folder)[0]).rgb
    reps = (-(-768 // rgb.shape[0]), -(-1024 // rgb.shape[1]), 1)
    return np.tile(rgb, reps)[:768, :1024]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="HR images no model trained on")
    parser.add_argument("--models", nargs="+", default=["clean"], help="shipped names or .keras paths")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--name", default="precision", help="results file: benchmarks/results/<name>.json")
    args = parser.parse_args()
    from pipeline.evaluation.folders import score_folder
    from pipeline.training.devices import configure_tensorflow
    from pipeline.upscaling.models import choose, load
    from pipeline.upscaling.precision import PRECISIONS, native_bfloat16, with_precision

    configure_tensorflow(7)
    lr = speed_input(args.folders[0])
    results = {}
    for spec in args.models:
        loaded = load(choose(spec))
        engines = {p: with_precision(loaded, p).engine() for p in PRECISIONS}
        psnr = {p: {} for p in PRECISIONS}
        for p, engine in engines.items():
            for folder in args.folders:
                _, rows, _ = score_folder(engine, folder)
                psnr[p].update({f"{folder.name}/{r['image']}": r["psnr_y"] for r in rows if r["method"] == "model"})
        mps = {p: round(speed(engine, lr, args.repeats), 3) for p, engine in engines.items()}
        diffs = [psnr["bfloat16"][k] - psnr["float32"][k] for k in psnr["float32"]]
        results[spec] = {"images": len(diffs),
                         "psnr_y": {p: round(statistics.mean(v.values()), 4) for p, v in psnr.items()},
                         "largest_image_difference_db": round(max(diffs, key=abs), 4),
                         "output_mp_s": mps, "speed_ratio": round(mps["bfloat16"] / mps["float32"], 2)}
        print(spec, results[spec], flush=True)
    save(args.name, {"cpu": cpu_model(), "native_bfloat16": native_bfloat16(),
                     "folders": [str(f) for f in args.folders], "models": results})


if __name__ == "__main__":
    main()
