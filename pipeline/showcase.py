"""The README's opening picture: bicubic vs the model vs the truth, on the test photo crop
where the model helps most (chosen by content, like the evaluate stage's pictures).

    python -m pipeline.showcase [--model models/model.keras] [--split data/hr/test] [--out docs/before_after.png]

Run it after a default `dvc repro`; it reads the test split (never trained on). The PNG is
a few hundred kilobytes at most, small enough for git.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline import pictures
from pipeline.images import load_rgb, save_png
from pipeline.inference import DEFAULT_MODEL, load_model
from pipeline.resize import upscale
from pipeline.splits import split_images
from pipeline.tiles import TileEngine

CROP, ZOOM = 96, 3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--hr", type=Path, default=Path("data/hr/test"), help="HR images (a split never trained on)")
    parser.add_argument("--lr", type=Path, default=Path("data/lr/test"), help="their LR inputs")
    parser.add_argument("--out", type=Path, default=Path("docs/before_after.png"))
    args = parser.parse_args(argv)
    engine = TileEngine(load_model(args.model))
    images, crops = [], []
    for k, path in enumerate(split_images(args.hr.parent, args.hr.name)):
        hr, lr = load_rgb(path), load_rgb(args.lr / path.name)
        outputs = {"bicubic": upscale(lr, engine.scale, "matlab"), "model": engine.upscale(lr)}
        images.append((outputs, hr))
        crops += pictures.candidates(k, outputs["model"], outputs["bicubic"], hr, CROP)
    if not crops:
        raise SystemExit(f"{args.hr}: no textured {CROP}-pixel crop to show")
    best = pictures.choose(crops, 1, CROP)[0]
    outputs, hr = images[best.image]
    save_png(pictures.crop_comparison(outputs, hr, best, CROP, ZOOM), args.out)
    print(f"showcase: {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
