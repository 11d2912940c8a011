"""Stage `evaluate`: score the model and the classical baselines on every split.

    python -m pipeline.evaluate --model models/model.keras --lr data/lr --hr data/hr \
        --metrics metrics/eval.json --table metrics/eval_images.csv --pictures plots/eval

For every LR/HR pair the model, bicubic and nearest-neighbour upscaling are scored
against HR on shaved Y (PSNR, SSIM), RGB PSNR and pixel accuracy (pipeline/scoring.py).
Writes metrics/eval.json (per split, per method, plus the model's gain over bicubic), a
per-image CSV, and in plots/eval: labelled crop comparisons chosen by content (see
pipeline/pictures.py), each test image whole beside bicubic, and the gain per image.
To score a folder of HR images such as Set5, use `python -m pipeline.testsets`.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import charts, pictures
from pipeline.cli import stage_params, stage_parser
from pipeline.images import load_rgb, save_png
from pipeline.inference import DEFAULT_MODEL, load_model
from pipeline.outputs import reset_folder, write_json
from pipeline.params import Evaluate
from pipeline.resize import Method, upscale
from pipeline.scoring import TABLE_FIELDS, print_table, score_methods, summarize, table_rows
from pipeline.splits import SPLITS, split_images
from pipeline.tables import write_table
from pipeline.tiles import TileEngine


def evaluate_split(model, lr_dir: Path, hr_dir: Path, split: str, scale: int, baseline: Method,
                   e: Evaluate, picture_dir: Path | None = None) -> tuple[dict | None, list[dict]]:
    """Summary (None for an empty split) and per-image table rows of one split, and its
    pictures in `picture_dir`: `e.pictures` labelled crops chosen where the model differs
    most from bicubic, and for the test split each whole image side by side. Images may
    have any size (validation and test are whole photos): each is upscaled in tiles."""
    names = [p.name for p in split_images(hr_dir.parent, hr_dir.name)]
    engine = TileEngine(model, self_ensemble=e.self_ensemble)
    rows, per_image, crops, methods = [], [], [], []
    for k, name in enumerate(names):
        hr, lr = load_rgb(hr_dir / name), load_rgb(lr_dir / name)
        sr = engine.upscale(lr)
        scores = score_methods(sr, lr, hr, scale, baseline, e.tolerance)
        per_image.append(scores)
        rows += table_rows(split, name, scores)
        if picture_dir is None:
            continue
        outputs = {"nearest": upscale(lr, scale, "nearest"), "bicubic": upscale(lr, scale, baseline), "model": sr}
        crops += pictures.candidates(k, sr, outputs["bicubic"], hr)
        methods.append((outputs, hr))
        if split == "test":
            whole = {m: outputs[m] for m in ("bicubic", "model")}
            save_png(pictures.whole_comparison(whole, hr, {m: scores[m]["psnr_y"] for m in whole}),
                     picture_dir / f"test_whole_{k:02d}.png")
    if picture_dir is not None:
        for i, c in enumerate(pictures.choose(crops, e.pictures)):
            outputs, hr = methods[c.image]
            save_png(pictures.crop_comparison(outputs, hr, c), picture_dir / f"{split}_crop_{i:02d}.png")
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
    psnr = {(r["split"], r["image"], r["method"]): r["psnr_y"] for r in rows}
    charts.gain_chart([(split, image, psnr[split, image, "model"] - psnr[split, image, "bicubic"])
                       for split, image, method in psnr if method == "model"], args.pictures / "gain_per_image.png")


if __name__ == "__main__":
    main()
