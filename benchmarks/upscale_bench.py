"""How close `python -m pipeline.upscale` comes to the speed of the model itself.

    python -m benchmarks.upscale_bench [--sizes 0.3 1 6 25] [--batch-photos 40] [--model models/model.keras]

- the model's own speed: a compiled function on a fixed 256x256 and 512x512 LR input,
  output megapixels per second (median of repeated calls, after warm-up);
- the tool's speed, end to end from JPEG files to PNG files, on single photos of each size
  and on a folder of many ordinary photos (0.3-1 MP), each in its own process with
  TensorFlow's import and model loading timed apart and subtracted;
- their ratio, and each run's peak memory, with the CPU model; and a 6 MP photo with the
  previous default (256-pixel tiles, 4 per call) for comparison.
Needs models/model.keras (run `dvc repro` first). Keep the machine otherwise idle.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import cpu_model, run_child, save


def make_photo(path: Path, megapixels: float, seed: int = 0) -> tuple[int, int]:
    """A JPEG with photo-like structure (smooth shapes plus fine texture) of about that size."""
    w = int((megapixels * 1e6 * 3 / 2) ** 0.5)
    h = int(megapixels * 1e6 / w)
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (30, 45, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    texture = rng.normal(0, 6, (h, w, 1))
    Image.fromarray(np.clip(np.asarray(coarse) + texture, 0, 255).astype(np.uint8)).save(path, quality=92)
    return w, h


def model_speed(model_path: str, side: int, repeats: int = 15) -> float:
    """Output MP/s of the bare model, compiled for one fixed (1, side, side, 3) input."""
    import tensorflow as tf

    from pipeline.inference import load_model, model_scale

    model = load_model(Path(model_path))
    scale = model_scale(model)
    run = tf.function(lambda x: model(x, training=False))
    x = tf.random.uniform((1, side, side, 3))
    for _ in range(3):
        run(x).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(x).numpy()
        times.append(time.perf_counter() - start)
    return (side * scale) ** 2 / 1e6 / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.3, 1, 6, 25])
    parser.add_argument("--batch-photos", type=int, default=40, help="ordinary photos in the folder run")
    parser.add_argument("--model", default="models/model.keras")
    args = parser.parse_args()
    model = {f"{side}x{side}": round(model_speed(args.model, side), 3) for side in (256, 512)}
    best_model = max(model.values())
    print("model alone, output MP/s:", model, flush=True)

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def upscale(inputs: list[Path], out: str, *extra: str) -> dict:
            return run_child(["pipeline.upscale", *map(str, inputs), "--out", str(tmp / out), "--model",
                              args.model, "--overwrite", *extra])

        tiny = tmp / "tiny.png"
        Image.new("RGB", (32, 32)).save(tiny)
        startup = min(upscale([tiny], "o0")["run_s"] for _ in range(2))

        def record(label: str, inputs: list[Path], sizes: list[tuple[int, int]], *extra: str) -> None:
            r = upscale(inputs, label, *extra)
            seconds = r["run_s"] - startup
            output_mp = sum(w * h for w, h in sizes) * 4 / 1e6
            runs.append({"input": label, "images": len(inputs), "output_mp": round(output_mp, 2),
                         "seconds": round(seconds, 2), "output_mp_per_s": round(output_mp / seconds, 3),
                         "ratio_to_model": round(output_mp / seconds / best_model, 3),
                         "peak_mib": round(r["peak_mib"])})
            print(runs[-1], flush=True)

        for mp in args.sizes:
            src = tmp / f"photo_{mp:g}mp.jpg"
            record(f"{mp:g} MP photo", [src], [make_photo(src, mp)])
        # The previous default, for comparison: smaller tiles, four per call.
        src = tmp / "photo_6mp.jpg"
        record("6 MP photo, --tile 256 --batch 4", [src], [make_photo(src, 6)], "--tile", "256", "--batch", "4")
        folder = tmp / "photos"
        folder.mkdir()
        rng = np.random.default_rng(1)
        sizes = [make_photo(folder / f"p{i:03d}.jpg", float(rng.uniform(0.3, 1.0)), i)
                 for i in range(args.batch_photos)]
        record(f"{args.batch_photos} photos of 0.3-1 MP", [folder], sizes)
    save("upscale", {"cpu": cpu_model(), "model_alone_output_mp_per_s": model, "startup_s": round(startup, 2),
                     "runs": runs})


if __name__ == "__main__":
    main()
