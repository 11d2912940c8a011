"""Stage `crop`: the HR images training and scoring use, cut from the filtered photos.

    python -m pipeline.stages.crop data/filtered data/hr

Training images become crops by crop.mode (pipeline/dataset/cropping.py says what each mode
does); validation and test images go to data/hr/<split>/ whole, cut to a multiple of
base.scale.
"""

from __future__ import annotations

import functools

from pipeline.cli import folder_stage_args
from pipeline.dataset.cropping import crop_file
from pipeline.dataset.per_image import map_per_image


def main() -> None:
    args, params = folder_stage_args(__doc__, "filter output (holds train/, val/, test/)")
    work = functools.partial(crop_file, p=params.crop, seed=params.base.seed, scale=params.base.scale)
    counts = map_per_image(work, args.src, args.out, args.processes, "crop")
    train = sum(count for count, dst in counts if dst.name == "train")
    kind = "whole images" if params.crop.mode == "whole" else f"{params.crop.mode} crops of {params.crop.side}px"
    print(f"crop: {train} training {kind} and {sum(c for c, _ in counts) - train} whole validation/test images "
          f"from {len(counts)} images into {args.out}")


if __name__ == "__main__":
    main()
