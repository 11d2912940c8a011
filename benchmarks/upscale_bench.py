"""How close `python -m pipeline.upscale` comes to the speed of the model itself.

    python -m benchmarks.upscale_bench [--sizes 0.3 1 6 25] [--batch-photos 40] [--repeats 2]
                                        [--models clean photo models/model.keras] [--formats png jpeg webp]
                                        [--precision float32|bfloat16] [--name upscale]

- each model's own speed: a compiled function on a fixed 256x256 and 512x512 LR input,
  output megapixels per second (median of repeated calls, after warm-up), the faster of
  the two (and, once per model at the end, at the window the tool computes large photos in);
- the tool's speed, end to end from JPEG files to PNG files (`--format png`), on photos of
  each size (those under 3 MP several to a run) and on a folder of many ordinary photos
  (0.3-1 MP), each run in its own process: the time the tool reports from its first decode
  to its last file written (what a user waits once the model is loaded, as in the web
  server), the start-up (TensorFlow's import, loading the model) reported apart; the first
  model also writes JPEG and WebP (the other `--formats`) from the same inputs;
- their ratio per run, against the model measured just before and just after that run
  (these machines' speed drifts by up to 30 % within minutes), with each run's peak memory
  and the CPU model; every input runs `--repeats` times, in turn, and the median ratio of
  each input is reported;
- with `--precision bfloat16`, the models and the tool both compute in bfloat16
  (pipeline/upscaling/precision.py), so the ratio is the tool's overhead at that speed;
- how far the tiled result is from whole-image inference (max difference in 8-bit levels)
  on a 2 MP photo, and a 6 MP photo with the previous default (512-pixel tiles); in
  bfloat16 both run in fixed window shapes (pipeline/upscaling/tiles.py), the whole image
  mirrored past its far edges to a rung, so their edges differ by more than rounding.
Models are shipped names or paths (models/model.keras needs a `dvc repro`). Keep the
machine otherwise idle.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.bare_model import BareModel
from benchmarks.common import photo_jpeg, run_child, save
from pipeline.machine import cpu_model
from pipeline.upscaling.precision import PRECISIONS
from pipeline.upscaling.receptive import receptive_radius
from pipeline.upscaling.tiles import DEFAULT_TILE, TileEngine


def make_photo(path: Path, megapixels: float, seed: int = 0) -> tuple[int, int]:
    """A JPEG with photo-like structure (smooth shapes plus fine texture) of about that size."""
    data, w, h = photo_jpeg(megapixels, seed)
    path.write_bytes(data)
    return w, h


def tiled_vs_whole(model, path: Path) -> int:
    """Largest difference, in 8-bit levels, between the default tiles and one whole-image call."""
    from pipeline.imaging.images import load_rgb

    rgb = load_rgb(path)
    tiled, whole = TileEngine(model).super_resolve(rgb), TileEngine(model, tile=0).super_resolve(rgb)
    return int(np.abs(tiled.astype(np.int16) - whole).max())


class Subject(BareModel):
    """One model under test: its file, its bare speed now, and the tool's runs with it."""

    def __init__(self, spec: str, out: Path, precision: str = "float32") -> None:
        super().__init__(spec, precision)
        self.out = out
        self.overlap = receptive_radius(self.model)  # the overlap TileEngine gives its tiles

    def run(self, label: str, inputs: list[Path], sizes: list[tuple[int, int]], fmt: str, *extra: str) -> dict:
        before = self.alone()
        r = run_child(["pipeline.upscale", *map(str, inputs), "--out", str(self.out / fmt), "--model", str(self.path),
                       "--overwrite", "--format", fmt, "--precision", self.precision, *extra])
        after = self.alone()
        best = (max(before.values()) + max(after.values())) / 2
        output_mp = sum(w * h for w, h in sizes) * self.scale**2 / 1e6
        # The tool's own account: first decode to last file written, the model loaded.
        said = re.search(r"failed: ([\d.]+) output MP in ([\d.]+) s", r["stderr"])
        if not said or abs(float(said.group(1)) - output_mp) > 0.01:
            sys.exit(f"{label}: the tool did not report {output_mp:.2f} output MP:\n{r['stderr'][-2000:]}")
        seconds = float(said.group(2))
        return {"model": self.spec, "format": fmt, "input": label, "images": len(sizes),
                "output_mp": round(output_mp, 2), "seconds": round(seconds, 2),
                "startup_s": round(r["run_s"] - seconds, 2), "output_mp_per_s": round(output_mp / seconds, 3),
                "model_alone_before": before, "model_alone_after": after,
                "ratio_to_model": round(output_mp / seconds / best, 3), "peak_mib": round(r["peak_mib"])}


def photo_cases(tmp: Path, sizes_mp: list[float], batch_photos: int) -> list[tuple[str, list[Path], list]]:
    """(label, inputs, pixel sizes): photos of each size, and a folder of ordinary ones."""
    cases = []
    for mp in sizes_mp:
        # Small photos several at a time: one 0.3 MP photo is over in half a second,
        # too short to time against a model measured seconds apart.
        count = max(1, round(3 / mp))
        srcs = [tmp / f"photo_{mp:g}mp_{i}.jpg" for i in range(count)]
        sizes = [make_photo(src, mp, i) for i, src in enumerate(srcs)]
        cases.append((f"{count} photo{'s' * (count > 1)} of {mp:g} MP", srcs, sizes))
    folder = tmp / "photos"
    folder.mkdir()
    rng = np.random.default_rng(1)
    sizes = [make_photo(folder / f"p{i:03d}.jpg", float(rng.uniform(0.3, 1.0)), i) for i in range(batch_photos)]
    cases.append((f"{batch_photos} photos of 0.3-1 MP", [folder], sizes))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.3, 1, 6, 25])
    parser.add_argument("--batch-photos", type=int, default=40, help="ordinary photos in the folder run")
    parser.add_argument("--models", nargs="+", default=["models/model.keras"], help="shipped names or .keras paths")
    parser.add_argument("--formats", nargs="+", default=["png"], choices=["png", "jpeg", "webp"],
                        help="output formats; all but png for the first model only")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each input, in turn")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32")
    parser.add_argument("--name", default="upscale", help="writes benchmarks/results/<name>.json")
    args = parser.parse_args()
    runs, speeds, diffs = [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cases = photo_cases(tmp, args.sizes, args.batch_photos)
        two_mp = tmp / "photo_2mp.jpg"
        make_photo(two_mp, 2)
        for k, spec in enumerate(args.models):
            subject = Subject(spec, tmp / f"out{k}", args.precision)
            plan = [(*case, "png") for case in cases]
            if k == 0:
                plan += [(*case, fmt) for fmt in args.formats if fmt != "png" for case in cases]
                six = tmp / "photo_6mp_0.jpg"  # the previous default, for comparison: 512-pixel tiles
                plan.append(("1 photo of 6 MP, --tile 512", [six], [make_photo(six, 6)], "png", "--tile", "512"))
            for _ in range(args.repeats):
                for label, inputs, sizes, fmt, *extra in plan:
                    runs.append(subject.run(label, inputs, sizes, fmt, *extra))
                    print(runs[-1], flush=True)
            # Once more at the end, with the window the tool computes large photos in (1024 LR
            # pixels plus overlap): on some CPUs the model makes fewer pixels a second there
            # than at 256 or 512, which the ratios above, against the faster of those, include.
            speeds[spec] = {**subject.alone(), **subject.alone((DEFAULT_TILE + 2 * subject.overlap,), repeats=3)}
            diffs[spec] = tiled_vs_whole(subject.model, two_mp)

    table: dict[str, dict[str, dict[str, float]]] = {}
    for r in runs:
        table.setdefault(r["model"], {}).setdefault(r["format"], {}).setdefault(r["input"], [])
        table[r["model"]][r["format"]][r["input"]].append(r["ratio_to_model"])
    medians = {m: {f: {i: round(statistics.median(v), 3) for i, v in by_input.items()} for f, by_input in fmts.items()}
               for m, fmts in table.items()}
    png = [ratio for fmts in medians.values() for label, ratio in fmts["png"].items() if "--tile" not in label]
    save(args.name, {"cpu": cpu_model(), "precision": args.precision, "runs": runs, "model_alone_mp_per_s": speeds,
                     "median_ratio": medians,
                     "lowest_png_ratio_to_model": round(min(png), 3), "tiled_vs_whole_max_levels": diffs})


if __name__ == "__main__":
    main()
