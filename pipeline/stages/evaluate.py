"""Stage `evaluate`: score the model and the classical baselines on every split.

    python -m pipeline.stages.evaluate --model models/model.keras --lr data/lr --hr data/hr \
        --metrics metrics/eval.json --table metrics/eval_images.csv --pictures plots/eval

For every LR/HR pair the model, bicubic and nearest-neighbour upscaling are scored
against HR on shaved Y (PSNR, SSIM), RGB PSNR and pixel accuracy (pipeline/imaging/scoring.py).
Writes metrics/eval.json (per split, per method, plus the model's gain over bicubic), a
per-image CSV, and in plots/eval: labelled crop comparisons chosen by content (see
pipeline/imaging/pictures.py), each test image whole beside bicubic, and the gain per image.
To score a folder of HR images such as Set5, use `python -m pipeline.testsets`.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.cli import stage_params, stage_parser
from pipeline.dataset.splits import SPLITS
from pipeline.evaluation.split import evaluate_split
from pipeline.imaging import charts
from pipeline.imaging.scoring import TABLE_FIELDS, print_table
from pipeline.outputs import reset_folder, write_metrics
from pipeline.tables import write_table
from pipeline.upscaling.models import load_or_exit


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--model", type=Path, required=True, help="the trained .keras model")
    parser.add_argument("--lr", type=Path, required=True, help="LR images (train/, val/, test/)")
    parser.add_argument("--hr", type=Path, required=True, help="their HR truth")
    parser.add_argument("--metrics", type=Path, required=True, help="JSON summary, e.g. metrics/eval.json")
    parser.add_argument("--table", type=Path, required=True, help="per-image CSV")
    parser.add_argument("--pictures", type=Path, required=True, help="folder for the comparison PNGs")
    args = parser.parse_args()
    p = stage_params(args)
    model = load_or_exit(args.model, "evaluate").model  # a path: one network, never a router

    reset_folder(args.pictures, ("*.png",), inputs=[args.model, args.lr, args.hr])
    report, rows = {}, []
    for split in SPLITS:
        summary, split_rows = evaluate_split(model, args.lr / split, args.hr / split, split, p.base.scale,
                                             p.downscale.method, p.evaluate, args.pictures)
        if summary:
            report[split] = summary
            rows += split_rows
            print_table(summary, split)
    write_metrics(report, args.metrics)
    write_table(rows, TABLE_FIELDS, args.table, float_format="%.4f")
    psnr = {(r["split"], r["image"], r["method"]): r["psnr_y"] for r in rows}
    charts.gain_chart([(split, image, psnr[split, image, "model"] - psnr[split, image, "bicubic"])
                       for split, image, method in psnr if method == "model"], args.pictures / "gain_per_image.png")


if __name__ == "__main__":
    main()
