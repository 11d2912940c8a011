"""Upscale speed and peak memory of the trained model: whole-image vs tiled.

    python -m benchmarks.upscale_bench [--sizes 1 6 24] [--tiles 512 1024]

Each run is a separate `python -m pipeline.upscale` process, so its peak resident
memory is its own. Whole-image inference is skipped above 6 MP (it needs many GB).
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
    parser.add_argument("--tiles", type=int, nargs="+", default=[512, 1024])
    parser.add_argument("--model", default="models/model.keras")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mp in args.sizes:
            src = Path(tmp) / f"in_{mp:g}mp.jpg"
            w, h = make_input(src, mp)
            for tile in ([0] if mp <= 6 else []) + args.tiles:
                r = run_child(["pipeline.upscale", str(src), "--out", str(Path(tmp) / "out"), "--model",
                               args.model, "--tile", str(tile)])
                out_mp = w * h * 4 / 1e6
                rows.append({"input_mp": mp, "input": f"{w}x{h}", "tile": tile or "whole",
                             "seconds": round(r["run_s"], 2), "output_mp_per_s": round(out_mp / r["run_s"], 3),
                             "peak_mib": round(r["peak_mib"])})
                print(rows[-1], flush=True)
    overhead = {}
    for mp in args.sizes:
        whole = next((r for r in rows if r["input_mp"] == mp and r["tile"] == "whole"), None)
        if whole:
            for r in rows:
                if r["input_mp"] == mp and r["tile"] != "whole":
                    overhead[f"{mp:g}mp_tile{r['tile']}"] = round(r["seconds"] / whole["seconds"] - 1, 3)
    save("upscale", {"runs": rows, "tiling_overhead": overhead})


if __name__ == "__main__":
    main()
