"""Stage `evaluate`: score the model and the classical baselines with the SR protocol.

    python -m pipeline.evaluate                       # the stage (paths as in dvc.yaml)
    python -m pipeline.evaluate --model models/model.keras --hr-dir Set5/ [--scale 2] [--json out.json]

For every HR image: LR = bicubic downscale (downscale.method), then model, bicubic and
nearest-neighbour upscaling are each scored against HR on shaved Y (PSNR, SSIM), RGB
PSNR and pixel accuracy (see pipeline/metrics.py). Writes metrics/eval.json (per split,
per method, plus the model's gain over bicubic), a per-image CSV and comparison pictures.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from pipeline.images import decode, list_images, load_rgb, save_png
from pipeline.inference import DEFAULT_MODEL, DEFAULT_TILE, load_model, predict, upscale_tiled
from pipeline.metrics import mean_scores, score
from pipeline.outputs import SPLITS, reset_folder, split_images, write_json
from pipeline.params import load_params, stage_parser
from pipeline.resize import Method, downscale, modcrop, upscale

METHODS = ("model", "bicubic", "nearest")
TABLE_FIELDS = ["split", "image", "method", "psnr_y", "psnr_rgb", "ssim", "accuracy"]


def score_methods(sr: np.ndarray, lr: np.ndarray, hr: np.ndarray, scale: int, baseline: Method,
                  tolerance: int, gray: bool = False) -> dict[str, dict[str, float]]:
    """Scores of the model's output and of both baselines for one LR/HR pair."""
    outputs = {"model": sr, "bicubic": upscale(lr, scale, baseline), "nearest": upscale(lr, scale, "nearest")}
    if gray:
        # Papers score grayscale images on their raw values, not on a derived luma.
        outputs = {k: v[..., :1].repeat(3, axis=-1) for k, v in outputs.items()}
    return {name: score(out, hr, scale, tolerance, gray=gray) for name, out in outputs.items()}


def summarize(per_image: list[dict[str, dict[str, float]]]) -> dict:
    summary = {name: mean_scores([r[name] for r in per_image]) for name in METHODS}
    summary["gain_db"] = summary["model"]["psnr_y"] - summary["bicubic"]["psnr_y"]
    summary["images"] = len(per_image)
    return summary


def comparison_picture(lr: np.ndarray, bicubic: np.ndarray, sr: np.ndarray, hr: np.ndarray,
                       scale: int, zoom: int = 2) -> np.ndarray:
    """LR (nearest-enlarged) | bicubic | model | HR, side by side, zoomed for the eye."""
    panels = [upscale(lr, scale, "nearest"), bicubic, sr, hr]
    gap = np.full((hr.shape[0], 4, 3), 255, np.uint8)
    row = np.concatenate([x for p in panels for x in (p, gap)][:-1], axis=1)
    return np.repeat(np.repeat(row, zoom, axis=0), zoom, axis=1)


def evaluate_split(model, lr_dir: Path, hr_dir: Path, scale: int, baseline: Method, tolerance: int,
                   self_ensemble: bool, pictures: int, picture_dir: Path | None, split: str):
    names = [p.name for p in split_images(hr_dir.parent, hr_dir.name)]
    hr = [load_rgb(hr_dir / n) for n in names]
    lr = [load_rgb(lr_dir / n) for n in names]
    sr = predict(model, np.stack(lr), self_ensemble) if names else []
    rows, per_image = [], []
    for k, name in enumerate(names):
        scores = score_methods(sr[k], lr[k], hr[k], scale, baseline, tolerance)
        per_image.append(scores)
        rows += [{"split": split, "image": name, "method": m, **scores[m]} for m in METHODS]
        if picture_dir is not None and k < pictures:
            pic = comparison_picture(lr[k], upscale(lr[k], scale, baseline), sr[k], hr[k], scale)
            save_png(pic, picture_dir / f"{split}_{k:02d}.png")
    return summarize(per_image) if per_image else None, rows


def write_table(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=TABLE_FIELDS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) and math.isfinite(v) else v)
                             for k, v in r.items()})


def evaluate_folder(model, hr_dir: Path, scale: int, baseline: Method, tolerance: int,
                    self_ensemble: bool, tile: int = DEFAULT_TILE) -> tuple[dict, list[dict]]:
    """Score any folder of HR images (e.g. Set5) with the standard protocol."""
    from pipeline.model import receptive_radius

    rows, per_image = [], []
    for path in list_images(hr_dir):
        d = decode(path)
        hr = modcrop(d.rgb, scale)
        lr = downscale(hr, scale, baseline)
        sr = upscale_tiled(model, lr, scale, tile, receptive_radius(model), self_ensemble)
        scores = score_methods(sr, lr, hr, scale, baseline, tolerance, gray=d.grayscale)
        per_image.append(scores)
        rows += [{"split": hr_dir.name, "image": path.name, "method": m, **scores[m]} for m in METHODS]
    if not per_image:
        raise SystemExit(f"{hr_dir}: no images to evaluate")
    return summarize(per_image), rows


def print_table(summary: dict, title: str) -> None:
    print(f"{title}: {summary['images']} images")
    print(f"  {'method':8s} {'PSNR-Y':>8s} {'PSNR-RGB':>9s} {'SSIM':>7s} {'acc':>6s}")
    for m in METHODS:
        s = summary[m]
        print(f"  {m:8s} {s['psnr_y']:8.3f} {s['psnr_rgb']:9.3f} {s['ssim']:7.4f} {s['accuracy']:6.3f}")
    print(f"  model gain over bicubic: {summary['gain_db']:+.3f} dB (Y-PSNR)")


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--lr", type=Path, default=Path("data/lr"))
    parser.add_argument("--hr", type=Path, default=Path("data/hr"))
    parser.add_argument("--metrics", type=Path, default=Path("metrics/eval.json"))
    parser.add_argument("--table", type=Path, default=Path("metrics/eval_images.csv"))
    parser.add_argument("--pictures", type=Path, default=Path("plots/eval"))
    parser.add_argument("--hr-dir", type=Path, help="score this folder of HR images instead of the splits")
    parser.add_argument("--scale", type=int, help="with --hr-dir: scale (default base.scale)")
    parser.add_argument("--json", type=Path, help="with --hr-dir: write the summary here")
    args = parser.parse_args()
    p = load_params(args.params)
    try:
        model = load_model(args.model)
    except FileNotFoundError as e:
        raise SystemExit(str(e)) from None
    scale, e = args.scale or p.base.scale, p.evaluate

    if args.hr_dir:
        summary, _ = evaluate_folder(model, args.hr_dir, scale, p.downscale.method, e.tolerance, e.self_ensemble)
        print_table(summary, str(args.hr_dir))
        if args.json:
            write_json(summary, args.json)
        return

    reset_folder(args.pictures)
    report, rows = {}, []
    for split in SPLITS:
        summary, split_rows = evaluate_split(model, args.lr / split, args.hr / split, scale,
                                             p.downscale.method, e.tolerance, e.self_ensemble,
                                             e.pictures, args.pictures, split)
        if summary:
            report[split] = summary
            rows += split_rows
            print_table(summary, split)
    write_json(report, args.metrics)
    write_table(rows, args.table)


if __name__ == "__main__":
    main()
