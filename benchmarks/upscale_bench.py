"""Upscale speed and peak memory of the trained model: whole-image vs tiled.

    python -m benchmarks.upscale_bench [--sizes 1 6 24] [--tiles 256 512]

Each run is a separate `python -m pipeline.upscale` process, so its peak resident
memory is its own; seconds exclude TensorFlow's import and model loading (timed apart).
Whole-image inference runs only at 1 MP: it needs about 5 GB per input megapixel.
Needs models/model.keras (run `dvc repro` first).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.common import run_child, save


def make_input(path: Path, megapixels: float) -> tuple[int, int]:
    w = int((megapixels * 1e6 * 3 / 2) ** 0.5)
    h = int(megapixels * 1e6 / w)
    rng = np.random.default_rng(0)
    coarse = Image.fromarray(rng.integers(0, 256, (30, 45, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    coarse.save(path, quality=92)
    return w, h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 6, 24])
    parser.add_argument("--tiles", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--model", default="models/model.keras")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        def upscale(src: Path, tile: int) -> dict:
            return run_child(["pipeline.upscale", str(src), "--out", str(Path(tmp) / "out"),
                              "--model", args.model, "--tile", str(tile)])

        # Importing TensorFlow and loading the model: timed on a tiny image, then subtracted.
        tiny = Path(tmp) / "tiny.png"
        Image.new("RGB", (32, 32)).save(tiny)
        startup = min(upscale(tiny, 0)["run_s"] for _ in range(2))
        for mp in args.sizes:
            src = Path(tmp) / f"in_{mp:g}mp.jpg"
            w, h = make_input(src, mp)
            # Whole-image inference needs ~5 GB per input megapixel; the largest sizes get
            # only the default tile (each takes minutes).
            tiles = ([0] if mp <= 1 else []) + (args.tiles if mp <= 6 else args.tiles[:1])
            for tile in tiles:
                r = upscale(src, tile)
                compute = r["run_s"] - startup
                rows.append({"input_mp": mp, "input": f"{w}x{h}", "tile": tile or "whole",
                             "seconds": round(compute, 2), "output_mp_per_s": round(w * h * 4 / 1e6 / compute, 3),
                             "peak_mib": round(r["peak_mib"])})
                print(rows[-1], flush=True)
    overhead = {}
    for mp in args.sizes:
        whole = next((r for r in rows if r["input_mp"] == mp and r["tile"] == "whole"), None)
        for r in rows:
            if whole and r["input_mp"] == mp and r["tile"] != "whole":
                overhead[f"{mp:g}mp_tile{r['tile']}"] = round(r["seconds"] / whole["seconds"] - 1, 3)
    save("upscale", {"startup_s": round(startup, 2), "runs": rows, "tiling_overhead_vs_whole": overhead})


if __name__ == "__main__":
    main()
