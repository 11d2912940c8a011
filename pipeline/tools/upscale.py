"""Upscale your own photos with a trained model.

    python -m pipeline.upscale photo.jpg more/ --out out/ [--model models/model.keras]
                               [--tile 1024] [--batch 1] [--overlap N] [--self-ensemble] [--overwrite]

Each input `name.ext` becomes `OUT/name.png` (`--out` may name a file when there is one
input). Any mode Pillow reads works: alpha is upscaled separately (bicubic), grayscale
stays grayscale, EXIF orientation is applied and the ICC profile is carried over.
Large images are processed in overlapping tiles, so memory is bounded by the tile size
and the result has no seams. A bad input is reported on one line and skipped; the exit
status is 1 if any input failed.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from pipeline.cli import tool_parser
from pipeline.imaging.images import DEFAULT_MAX_PIXELS
from pipeline.upscaling.batch import expand_inputs, plan_outputs, run_batch
from pipeline.upscaling.models import add_model_option, load_or_exit
from pipeline.upscaling.tiles import DEFAULT_BATCH, DEFAULT_TILE
from pipeline.upscaling.upscaler import Upscaler


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("inputs", nargs="+", type=Path, help="image files or folders")
    parser.add_argument("--out", type=Path, required=True, help="output folder (or .png file for one input)")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist (never an input)")
    add_model_option(parser)
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help="LR tile side in pixels; 0 = whole image")
    parser.add_argument("--overlap", type=int, default=None,
                        help="context pixels around each tile (default: the model's receptive radius)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="tiles per model call")
    parser.add_argument("--self-ensemble", action="store_true", help="average 8 flips/rotations (8x slower)")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help="refuse inputs with more pixels than this (decompression bombs)")
    args = parser.parse_args(argv)
    for flag, value, lowest in (("--tile", args.tile, 0), ("--overlap", args.overlap, 0),
                                ("--batch", args.batch, 1), ("--max-pixels", args.max_pixels, 1)):
        if value is not None and value < lowest:
            parser.error(f"{flag} {value}: must be at least {lowest}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    try:
        files = expand_inputs(args.inputs)
    except FileNotFoundError as e:
        print(f"upscale: {e}", file=sys.stderr)
        return 2
    pairs, problems = plan_outputs(files, args.out, args.overwrite)
    if problems:
        for problem in problems:
            print(f"upscale: {problem}", file=sys.stderr)
        print("upscale: nothing was written", file=sys.stderr)
        return 2
    up = Upscaler(load_or_exit(args.model, "upscale"), args.tile, args.overlap, args.self_ensemble, args.batch)
    failed = run_batch(up, pairs, args.max_pixels)
    if failed:
        print(f"upscale: {failed} of {len(files)} inputs failed", file=sys.stderr)
    return 1 if failed else 0

