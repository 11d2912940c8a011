"""Train the kernel detector the photo model's router looks through
(pipeline/upscaling/kernel_detector.py says what it is and why).

    python -m pipeline.detector data/hr/train --val data/hr/val [--preset photo] [--out FILE]

From every HR image of the training folders, `--crops` random crops of `--crop` pixels, each
made small and worn by the preset's `downscale` section (the worn model's own training
distribution: its kernels, blur, noise and JPEG), seeded per image; from each LR its
`--patches` most detailed patches, labelled by the kind of kernel drawn. The network trains
for `--epochs` on those; each epoch is scored on the `--val` folders' crops as the router
will use it (one whole LR crop, its most detailed patches averaged), and the file (default
models/release/photo.detector.keras) is the last epoch's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from pipeline.cli import tool_parser
from pipeline.dataset.worn_crops import preset_downscale, worn_crops
from pipeline.params import ParamsError
from pipeline.upscaling.kernel_detector import KERNEL_LABEL, LABELS, KernelDetector, build, patches
from pipeline.upscaling.models import RELEASE


def accuracy(detector: KernelDetector, val: list[tuple[np.ndarray, int]]) -> dict:
    """Per-crop accuracy and confusion (rows: true label, columns: predicted)."""
    confusion = np.zeros((len(LABELS), len(LABELS)), int)
    for lr, label in val:
        confusion[label, int(np.argmax(detector.probabilities(lr)))] += 1
    return {"accuracy": round(float(np.trace(confusion) / max(confusion.sum(), 1)), 4),
            "confusion": confusion.tolist()}


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("folders", nargs="+", type=Path, help="HR images to train on")
    parser.add_argument("--val", nargs="+", type=Path, required=True, help="HR images to score on")
    parser.add_argument("--preset", default="photo", help="whose downscale section degrades the crops")
    parser.add_argument("--crops", type=int, default=48, help="training crops per image")
    parser.add_argument("--crop", type=int, default=256, help="HR side of a training crop")
    parser.add_argument("--patches", type=int, default=4, help="patches per training crop")
    parser.add_argument("--val-crops", type=int, default=8, help="val crops per image")
    parser.add_argument("--val-crop", type=int, default=512, help="HR side of a val crop")
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RELEASE / "photo.detector.keras")
    args = parser.parse_args(argv)
    for flag in ("crops", "crop", "patches", "val_crops", "val_crop", "filters", "epochs"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} {getattr(args, flag)}: must be at least 1")
    import keras

    from pipeline.outputs import atomic_path
    from pipeline.training.devices import configure_tensorflow

    configure_tensorflow(args.seed)
    scale = 2  # the shipped networks' factor: what the router decides for
    try:
        worn = preset_downscale(args.preset)
        xs, ys = [], []
        for _, lr, _, kernel in worn_crops(args.folders, worn, args.crops, args.crop, scale, args.seed):
            p = patches(lr, args.patches)
            xs.append(p)
            ys.extend([KERNEL_LABEL[kernel]] * len(p))
        # Other seeds than training's, so no val crop repeats a training draw.
        val = [(lr, KERNEL_LABEL[kernel]) for _, lr, _, kernel
               in worn_crops(args.val, worn, args.val_crops, args.val_crop, scale, args.seed + 1)]
    except ParamsError as e:
        print(f"detector: {e}", file=sys.stderr)
        return 2
    if not xs or not val:
        print(f"detector: no images in {args.folders if not xs else args.val}", file=sys.stderr)
        return 2
    x, y = np.concatenate(xs), np.array(ys)
    counts = np.bincount(y, minlength=len(LABELS))
    print(f"detector: {len(x)} training patches ({dict(zip(LABELS, counts.tolist(), strict=True))}), "
          f"{len(val)} val crops", file=sys.stderr)
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    model = build(args.filters)
    model.compile(optimizer=keras.optimizers.Adam(args.lr), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    detector = KernelDetector(model)
    # Classes weighted to balance: the preset draws antialiased kernels most often, and a
    # detector that calls everything antialiased would send aliased photos to clean.
    weights = {i: len(y) / (len(LABELS) * max(int(c), 1)) for i, c in enumerate(counts)}
    for epoch in range(1, args.epochs + 1):
        fit = model.fit(x, y, batch_size=64, epochs=1, shuffle=True, class_weight=weights, verbose=0)
        scores = accuracy(detector, val)
        print(f"detector: epoch {epoch}/{args.epochs}: train loss {fit.history['loss'][-1]:.4f}, "
              f"patch accuracy {fit.history['accuracy'][-1]:.3f}; val crops {scores}", file=sys.stderr, flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out, ".keras") as tmp:
        model.save(tmp)
    print(f"detector: wrote {args.out} ({model.count_params()} weights, labels {', '.join(LABELS)})")
    return 0
