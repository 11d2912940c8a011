"""Score the model on folders of HR images (Set5, Set14, B100, Urban100, your own).

    python -m pipeline.testsets Set5/ Set14/ [--model models/model.keras] [--json scores.json]
                                [--table per_image.csv] [--downscale matlab] [--self-ensemble]

The literature's protocol (see the README): each HR image is cropped to a multiple of the
model's scale, downscaled by MATLAB-compatible bicubic, upscaled by the model, and
scored on the shaved Y channel beside bicubic and nearest-neighbour baselines. A file
that cannot be scored (unreadable, too large, too small for the SSIM window) is listed
with the reason and skipped; the others are still scored and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.images import DEFAULT_MAX_PIXELS, BadImage, decode, list_images
from pipeline.inference import DEFAULT_MODEL, load_model
from pipeline.outputs import write_json
from pipeline.resize import downscale, modcrop
from pipeline.scoring import TABLE_FIELDS, min_side, print_table, score_methods, summarize, table_rows
from pipeline.tables import write_table
from pipeline.tiles import DEFAULT_TILE, TileEngine


def score_folder(engine: TileEngine, folder: Path, args: argparse.Namespace) -> tuple[dict | None, list, list]:
    """(summary or None, table rows, [(file, why skipped)]) for one folder of HR images."""
    per_image, rows, skipped, scale = [], [], [], engine.scale
    for path in list_images(folder):
        try:
            d = decode(path, args.max_pixels)
        except BadImage as e:
            skipped.append((path, e.detail))
            continue
        hr = modcrop(d.rgb, scale)
        if min(hr.shape[:2]) < min_side(scale):
            skipped.append((path, f"{d.rgb.shape[1]}x{d.rgb.shape[0]} is too small to score at x{scale} "
                                  f"(needs {min_side(scale)} pixels a side)"))
            continue
        lr = downscale(hr, scale, args.downscale)
        sr = engine.upscale(lr)
        scores = score_methods(sr, lr, hr, scale, args.downscale, args.tolerance, gray=d.grayscale)
        per_image.append(scores)
        rows += table_rows(folder.name, path.name, scores)
    return (summarize(per_image) if per_image else None), rows, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path, help="folders of HR images")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--json", type=Path, help="write {folder: summary} here")
    parser.add_argument("--table", type=Path, help="write per-image scores here (CSV)")
    parser.add_argument("--downscale", choices=["matlab", "pillow"], default="matlab",
                        help="how LR is made from HR (default: MATLAB imresize, as the papers)")
    parser.add_argument("--tolerance", type=int, default=8, help="pixel-accuracy tolerance in levels")
    parser.add_argument("--self-ensemble", action="store_true", help="average 8 flips/rotations (8x slower)")
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help="LR tile side; 0 = whole image")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS)
    args = parser.parse_args(argv)
    for folder in args.folders:
        if not folder.is_dir():
            parser.error(f"{folder}: no such folder")
    try:
        engine = TileEngine(load_model(args.model), args.tile, self_ensemble=args.self_ensemble)
    except FileNotFoundError as e:
        print(f"testsets: {e}", file=sys.stderr)
        return 2

    report, all_rows, all_skipped = {}, [], []
    for folder in args.folders:
        summary, rows, skipped = score_folder(engine, folder, args)
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
        write_json(report, args.json)
    if args.table:
        write_table(all_rows, TABLE_FIELDS, args.table, float_format="%.4f")
    if all_skipped:
        print(f"testsets: {len(all_skipped)} file(s) skipped", file=sys.stderr)
    return 1 if all_skipped or not report else 0


if __name__ == "__main__":
    sys.exit(main())
