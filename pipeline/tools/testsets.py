"""Score the model on folders of HR images (Set5, Set14, B100, Urban100, your own).

    python -m pipeline.testsets Set5/ Set14/ [--model clean|photo|PATH] [--json scores.json]
                                [--table per_image.csv] [--downscale matlab] [--degrade photo] [--self-ensemble]

The literature's protocol (see the README): each HR image is cropped to a multiple of the
model's scale, downscaled by MATLAB-compatible bicubic, upscaled by the model, and
scored on the shaved Y channel beside bicubic and nearest-neighbour baselines. A file
that cannot be scored (unreadable, too large, too small for the SSIM window) is listed
with the reason and skipped; the others are still scored and the exit status is 1.
`--degrade photo` makes each LR the way the worn-photo model was trained (another kernel,
blur, noise, JPEG), seeded per image, to score any model on worn inputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.cli import tool_parser
from pipeline.evaluation.folders import score_folder
from pipeline.imaging.images import DEFAULT_MAX_PIXELS
from pipeline.imaging.scoring import TABLE_FIELDS, print_table
from pipeline.outputs import write_metrics
from pipeline.params import PARAMS_FILE, Downscale, ParamsError, load_params, with_overrides
from pipeline.tables import write_table
from pipeline.tools.preset import load_preset
from pipeline.upscaling.models import add_model_option, load_or_exit
from pipeline.upscaling.tiles import DEFAULT_TILE


def degradation(spec: str) -> Downscale:
    """The `downscale` section of preset `spec`, or of the params file at `spec`."""
    if Path(spec).is_file():
        return load_params(spec).downscale
    _, _, values = load_preset(spec, need_folders=False)
    return with_overrides(load_params(PARAMS_FILE), values).downscale


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("folders", nargs="+", type=Path, help="folders of HR images")
    add_model_option(parser)
    parser.add_argument("--json", type=Path, help="write {folder: summary} here")
    parser.add_argument("--table", type=Path, help="write per-image scores here (CSV)")
    parser.add_argument("--downscale", choices=["matlab", "pillow"], default="matlab",
                        help="how LR is made from HR (default: MATLAB imresize, as the papers)")
    parser.add_argument("--degrade", metavar="PRESET|PARAMS", default=None,
                        help="make LR with the `downscale` degradations of a preset (photo) or a params file, "
                             "each image seeded by --seed and its name")
    parser.add_argument("--seed", type=int, default=7, help="seed of --degrade")
    parser.add_argument("--tolerance", type=int, default=8, help="pixel-accuracy tolerance in levels")
    parser.add_argument("--self-ensemble", action="store_true", help="average 8 flips/rotations (8x slower)")
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help="LR tile side; 0 = whole image")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS)
    args = parser.parse_args(argv)
    for folder in args.folders:
        if not folder.is_dir():
            parser.error(f"{folder}: no such folder")
    try:
        worn = degradation(args.degrade) if args.degrade else None
    except ParamsError as e:
        print(f"testsets: --degrade {args.degrade}: {e}", file=sys.stderr)
        return 2
    engine = load_or_exit(args.model, "testsets").engine(args.tile, self_ensemble=args.self_ensemble)

    report, all_rows, all_skipped = {}, [], []
    for folder in args.folders:
        summary, rows, skipped = score_folder(engine, folder, args.downscale, args.tolerance, args.max_pixels, worn,
                                               args.seed)
        for path, why in skipped:
            print(f"testsets: skipped {path}: {why}", file=sys.stderr)
        all_rows += rows
        all_skipped += skipped
        if summary is None:
            print(f"testsets: {folder}: nothing to score", file=sys.stderr)
            continue
        report[folder.name] = summary
        print_table(summary, str(folder))
    if args.json:
        write_metrics(report, args.json)
    if args.table:
        write_table(all_rows, TABLE_FIELDS, args.table, float_format="%.4f")
    if all_skipped:
        print(f"testsets: {len(all_skipped)} file(s) skipped", file=sys.stderr)
    return 1 if all_skipped or not report else 0

