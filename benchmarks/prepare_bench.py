"""filter + crop + downscale on generated 2-12 MP photo-like images, with 1 and 2 processes.

    python -m benchmarks.prepare_bench [--count 1000]

Reports images/s per stage and in total, peak memory, and the speed-up from 2 processes.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from benchmarks.common import REPO, run_child, save


def photo(seed: int) -> Image.Image:
    """A 2-12 MP image with smooth structure plus grain, encoded as a JPEG like a camera's."""
    rng = np.random.default_rng(seed)
    mp = rng.uniform(2, 12)
    w = int((mp * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    coarse = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    grain = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return Image.blend(coarse, grain, 0.12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    result: dict = {"images": args.count}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "raw" / "images").mkdir(parents=True)
        megapixels = 0.0
        for i in range(args.count):
            img = photo(i)
            megapixels += img.width * img.height / 1e6
            img.save(tmp / "raw" / "images" / f"{i:05d}.jpg", quality=90)
        result["megapixels"] = round(megapixels, 1)
        p = tmp / "params.yaml"
        p.write_text(yaml.safe_dump(params))
        for processes in (1, 2):
            stages = {
                "filter": ["pipeline.stages.filter", str(tmp / "raw"), str(tmp / "f"), str(tmp / "f.json")],
                "crop": ["pipeline.stages.crop", str(tmp / "f"), str(tmp / "hr")],
                "downscale": ["pipeline.stages.downscale", str(tmp / "hr"), str(tmp / "lr")],
            }
            timings = {}
            for name, argv in stages.items():
                r = run_child([*argv, "--params", str(p), "--processes", str(processes)])
                timings[name] = {"seconds": round(r["run_s"], 2), "peak_mib_per_process": round(r["peak_mib"])}
            total = sum(t["seconds"] for t in timings.values())
            crops = len(list((tmp / "hr").rglob("*.png")))
            result[f"processes_{processes}"] = {**timings, "total_s": round(total, 2),
                                      "images_per_s": round(args.count / total, 2), "crops": crops}
    result["speedup_2_vs_1"] = round(result["processes_1"]["total_s"] / result["processes_2"]["total_s"], 2)
    save("prepare", result)


if __name__ == "__main__":
    main()
