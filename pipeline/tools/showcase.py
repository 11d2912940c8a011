"""The README's opening picture: bicubic vs the model vs the truth, on the test photo crop
where the model helps most (chosen by content, like the evaluate stage's pictures).

    python -m pipeline.showcase [--model models/model.keras] [--hr data/hr/test] [--lr data/lr/test]
                                [--out docs/before_after.png]

Run it after a default `dvc repro`; it reads the test split (never trained on). The PNG is
a few hundred kilobytes at most, small enough for git.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.cli import tool_parser
from pipeline.dataset.splits import split_images
from pipeline.imaging import pictures
from pipeline.imaging.images import load_rgb, save_png
from pipeline.imaging.resize import interpolate
from pipeline.upscaling.models import add_model_option, load_or_exit

CROP, ZOOM = 96, 3


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    add_model_option(parser)
    parser.add_argument("--hr", type=Path, default=Path("data/hr/test"), help="HR images (a split never trained on)")
    parser.add_argument("--lr", type=Path, default=Path("data/lr/test"), help="their LR inputs")
    parser.add_argument("--out", type=Path, default=Path("docs/before_after.png"))
    args = parser.parse_args(argv)
    engine = load_or_exit(args.model, "showcase").engine()
    images, crops = [], []
    for k, path in enumerate(split_images(args.hr.parent, args.hr.name)):
        hr, lr = load_rgb(path), load_rgb(args.lr / path.name)
        outputs = {"bicubic": interpolate(lr, engine.scale, "matlab"), "model": engine.super_resolve(lr)}
        images.append((outputs, hr))
        crops += pictures.candidates(k, outputs["model"], outputs["bicubic"], hr, CROP)
    if not crops:
        print(f"showcase: {args.hr}: no textured {CROP}-pixel crop to show", file=sys.stderr)
        return 1
    best = pictures.choose(crops, 1, CROP)[0]
    outputs, hr = images[best.image]
    save_png(pictures.crop_comparison(outputs, hr, best, CROP, ZOOM), args.out)
    print(f"showcase: {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0

