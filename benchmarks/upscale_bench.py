"""How close `python -m pipeline.upscale` comes to the speed of the model itself.

    python -m benchmarks.upscale_bench [--sizes 0.3 1 6 25] [--batch-photos 40] [--repeats 2]
                                        [--model models/model.keras]

- the model's own speed: a compiled function on a fixed 256x256 and 512x512 LR input,
  output megapixels per second (median of repeated calls, after warm-up), the faster of
  the two;
- the tool's speed, end to end from JPEG files to PNG files, on photos of each size (those
  under 3 MP several to a run) and on a folder of many ordinary photos (0.3-1 MP), each run
  in its own process: the time the tool reports from its first decode to its last file
  written (what a user waits once the model is loaded, as in the web server), the start-up
  (TensorFlow's import, loading the model) reported apart;
- their ratio per run, against the model measured just before and just after that run
  (these machines' speed drifts by up to 30 % within minutes), with each run's peak memory
  and the CPU model; every input runs `--repeats` times, in turn, and the median ratio of
  each input is reported;
- how far the tiled result is from whole-image inference (max difference in 8-bit levels)
  on a 2 MP photo, and a 6 MP photo with the previous default (512-pixel tiles).
Needs models/model.keras (run `dvc repro` first). Keep the machine otherwise idle.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import run_child, save
from pipeline.machine import cpu_model


def make_photo(path: Path, megapixels: float, seed: int = 0) -> tuple[int, int]:
    """A JPEG with photo-like structure (smooth shapes plus fine texture) of about that size."""
    w = int((megapixels * 1e6 * 3 / 2) ** 0.5)
    h = int(megapixels * 1e6 / w)
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (30, 45, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    texture = rng.normal(0, 6, (h, w, 1))
    Image.fromarray(np.clip(np.asarray(coarse) + texture, 0, 255).astype(np.uint8)).save(path, quality=92)
    return w, h


def model_speed(run, scale: int, side: int, repeats: int = 11) -> float:
    """Output MP/s of the bare model `run`, compiled for one fixed (1, side, side, 3) input."""
    import tensorflow as tf

    x = tf.random.uniform((1, side, side, 3))
    for _ in range(2):
        run(x).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(x).numpy()
        times.append(time.perf_counter() - start)
    return (side * scale) ** 2 / 1e6 / statistics.median(times)


def tiled_vs_whole(model, path: Path) -> int:
    """Largest difference, in 8-bit levels, between the default tiles and one whole-image call."""
    from pipeline.imaging.images import load_rgb
    from pipeline.upscaling.tiles import TileEngine

    rgb = load_rgb(path)
    tiled, whole = TileEngine(model).super_resolve(rgb), TileEngine(model, tile=0).super_resolve(rgb)
    return int(np.abs(tiled.astype(np.int16) - whole).max())


def main() -> None:
    import tensorflow as tf

    from pipeline.upscaling.inference import load_model, model_scale

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.3, 1, 6, 25])
    parser.add_argument("--batch-photos", type=int, default=40, help="ordinary photos in the folder run")
    parser.add_argument("--model", default="models/model.keras")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each input, in turn")
    args = parser.parse_args()
    model = load_model(Path(args.model))
    scale = model_scale(model)
    compiled = tf.function(lambda x: model(x, training=False))

    def model_now() -> dict[str, float]:
        return {f"{side}x{side}": round(model_speed(compiled, scale, side), 3) for side in (256, 512)}

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def upscale(inputs: list[Path], out: str, *extra: str) -> dict:
            return run_child(["pipeline.upscale", *map(str, inputs), "--out", str(tmp / out), "--model",
                              args.model, "--overwrite", *extra])

        def record(label: str, inputs: list[Path], sizes: list[tuple[int, int]], *extra: str) -> None:
            before = model_now()
            r = upscale(inputs, label, *extra)
            after = model_now()
            best = (max(before.values()) + max(after.values())) / 2
            output_mp = sum(w * h for w, h in sizes) * scale**2 / 1e6
            # The tool's own account: first decode to last file written, the model loaded.
            said = re.search(r"written: ([\d.]+) output MP in ([\d.]+) s", r["stderr"])
            if not said or abs(float(said.group(1)) - output_mp) > 0.01:
                sys.exit(f"{label}: the tool did not report {output_mp:.2f} output MP:\n{r['stderr'][-2000:]}")
            seconds = float(said.group(2))
            runs.append({"input": label, "images": len(sizes), "output_mp": round(output_mp, 2),
                         "seconds": round(seconds, 2), "startup_s": round(r["run_s"] - seconds, 2),
                         "output_mp_per_s": round(output_mp / seconds, 3),
                         "model_alone_before": before, "model_alone_after": after,
                         "ratio_to_model": round(output_mp / seconds / best, 3), "peak_mib": round(r["peak_mib"])})
            print(runs[-1], flush=True)

        cases = []
        for mp in args.sizes:
            # Small photos several at a time: one 0.3 MP photo is over in half a second,
            # too short to time against a model measured seconds apart.
            count = max(1, round(3 / mp))
            srcs = [tmp / f"photo_{mp:g}mp_{i}.jpg" for i in range(count)]
            sizes = [make_photo(src, mp, i) for i, src in enumerate(srcs)]
            cases.append((f"{count} photo{'s' * (count > 1)} of {mp:g} MP", srcs, sizes))
        folder = tmp / "photos"
        folder.mkdir()
        rng = np.random.default_rng(1)
        sizes = [make_photo(folder / f"p{i:03d}.jpg", float(rng.uniform(0.3, 1.0)), i)
                 for i in range(args.batch_photos)]
        cases.append((f"{args.batch_photos} photos of 0.3-1 MP", [folder], sizes))
        # The previous default, for comparison: 512-pixel tiles.
        src = tmp / "photo_6mp_0.jpg"
        cases.append(("1 photo of 6 MP, --tile 512", [src], [make_photo(src, 6)], "--tile", "512"))
        for _ in range(args.repeats):
            for case in cases:
                record(*case)
        src = tmp / "photo_2mp.jpg"
        make_photo(src, 2)
        diff = tiled_vs_whole(model, src)
    by_input = {label: statistics.median(r["ratio_to_model"] for r in runs if r["input"] == label)
                for label, *_ in cases}
    ratios = [ratio for label, ratio in by_input.items() if "--tile" not in label]
    save("upscale", {"cpu": cpu_model(), "runs": runs,
                     "median_ratio_by_input": {k: round(v, 3) for k, v in by_input.items()},
                     "lowest_ratio_to_model": round(min(ratios), 3), "tiled_vs_whole_max_levels": diff})

if __name__ == "__main__":
    main()
