"""Stage `downscale`: make the LR input for every HR image.

    python -m pipeline.stages.downscale data/hr data/lr

MATLAB-compatible bicubic by base.scale, with the optional degradations of params.yaml's
`downscale` section (pipeline/dataset/degradation.py).
"""

from __future__ import annotations

import functools

from pipeline.cli import folder_stage_args
from pipeline.dataset.degradation import degrade_file
from pipeline.dataset.per_image import map_per_image


def main() -> None:
    args, params = folder_stage_args(__doc__, "HR images (train/, val/, test/)")
    work = functools.partial(degrade_file, p=params.downscale, scale=params.base.scale, seed=params.base.seed)
    done = map_per_image(work, args.src, args.out, args.processes, "downscale")
    print(f"downscale: {len(done)} LR images (x{params.base.scale}, {params.downscale.method}) in {args.out}")


if __name__ == "__main__":
    main()
