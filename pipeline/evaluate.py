"""Stage `evaluate`: score the model and the classical baselines on every split.

    python -m pipeline.evaluate --model models/model.keras --lr data/lr --hr data/hr \
        --metrics metrics/eval.json --table metrics/eval_images.csv --pictures plots/eval

For every LR/HR pair the model, bicubic and nearest-neighbour upscaling are scored
against HR on shaved Y (PSNR, SSIM), RGB PSNR and pixel accuracy (pipeline/scoring.py).
Writes metrics/eval.json (per split, per method, plus the model's gain over bicubic), a
per-image CSV and comparison pictures. To score a folder of HR images such as Set5, use
`python -m pipeline.testsets`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.cli import stage_params, stage_parser
from pipeline.images import load_rgb, save_png
from pipeline.inference import DEFAULT_MODEL, load_model, predict
from pipeline.outputs import SPLITS, reset_folder, split_images, write_json
from pipeline.params import Evaluate
from pipeline.resize import Method, upscale
from pipeline.scoring import TABLE_FIELDS, print_table, score_methods, summarize, table_rows
from pipeline.tables import write_table


def comparison_picture(lr: np.ndarray, bicubic: np.ndarray, sr: np.ndarray, hr: np.ndarray,
                       scale: int, zoom: int = 2) -> np.ndarray:
    """LR (nearest-enlarged) | bicubic | model | HR, side by side, zoomed for the eye."""
    panels = [upscale(lr, scale, "nearest"), bicubic, sr, hr]
    gap = np.full((hr.shape[0], 4, 3), 255, np.uint8)
    row = np.concatenate([x for p in panels for x in (p, gap)][:-1], axis=1)
    return np.repeat(np.repeat(row, zoom, axis=0), zoom, axis=1)


def evaluate_split(model, lr_dir: Path, hr_dir: Path, split: str, scale: int, baseline: Method,
                   e: Evaluate, picture_dir: Path | None = None) -> tuple[dict | None, list[dict]]:
    """Summary (None for an empty split) and per-image table rows of one split."""
    names = [p.name for p in split_images(hr_dir.parent, hr_dir.name)]
    hr = [load_rgb(hr_dir / n) for n in names]
    lr = [load_rgb(lr_dir / n) for n in names]
    sr = predict(model, np.stack(lr), e.self_ensemble) if names else []
    rows, per_image = [], []
    for k, name in enumerate(names):
        scores = score_methods(sr[k], lr[k], hr[k], scale, baseline, e.tolerance)
        per_image.append(scores)
        rows += table_rows(split, name, scores)
        if picture_dir is not None and k < e.pictures:
            pic = comparison_picture(lr[k], upscale(lr[k], scale, baseline), sr[k], hr[k], scale)
            save_png(pic, picture_dir / f"{split}_{k:02d}.png")
    return summarize(per_image) if per_image else None, rows


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--lr", type=Path, default=Path("data/lr"))
    parser.add_argument("--hr", type=Path, default=Path("data/hr"))
    parser.add_argument("--metrics", type=Path, default=Path("metrics/eval.json"))
    parser.add_argument("--table", type=Path, default=Path("metrics/eval_images.csv"))
    parser.add_argument("--pictures", type=Path, default=Path("plots/eval"))
    args = parser.parse_args()
    p = stage_params(args)
    try:
        model = load_model(args.model)
    except FileNotFoundError as e:
        raise SystemExit(str(e)) from None

    reset_folder(args.pictures, ("*.png",), inputs=[args.model, args.lr, args.hr])
    report, rows = {}, []
    for split in SPLITS:
        summary, split_rows = evaluate_split(model, args.lr / split, args.hr / split, split, p.base.scale,
                                             p.downscale.method, p.evaluate, args.pictures)
        if summary:
            report[split] = summary
            rows += split_rows
            print_table(summary, split)
    write_json(report, args.metrics)
    write_table(rows, TABLE_FIELDS, args.table, float_format="%.4f")


if __name__ == "__main__":
    main()
