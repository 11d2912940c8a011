"""Fit the photo model's router: which shipped network helps a photo most, told by how worn
it looks (pipeline/upscaling/routing.py says what a router is and why).

    python -m pipeline.route data/hr/val [--experts clean photo] [--preset photo] [--out FILE]

From every HR image of the folders (images no network trained on: the release run's val
split), `--crops` random crops of `--crop` pixels, each degraded its own way by the
preset's `downscale` section (the worn model's own training distribution), seeded per
image. For each LR: its wear features, and each expert's Y-PSNR gain over bicubic from it.
A regression tree (scikit-learn's, depth `--depth`, at least `--min-leaf` crops a leaf)
learns the gains from the features; the file (default models/release/photo.route.json)
holds the tree as plain numbers, the margin and how it was fitted. Its choices, judged on
images it was not fitted on (two folds by image), are printed and recorded against always
running one network and against the oracle (the best choice per crop, known only with the
HR).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from pipeline.cli import tool_parser
from pipeline.dataset.degradation import degrade
from pipeline.imaging.images import BadImage, decode, list_images
from pipeline.imaging.quality import psnr_y
from pipeline.imaging.resize import interpolate, modcrop
from pipeline.imaging.wear import FEATURES, vector
from pipeline.outputs import write_json
from pipeline.params import ParamsError
from pipeline.randomness import rng_for
from pipeline.tables import read_table, write_table
from pipeline.upscaling.models import RELEASE, choose
from pipeline.upscaling.routing import BICUBIC, Route, Tree


def samples(folders: list[Path], preset: str, crops: int, side: int, scale: int, seed: int):
    """(name, LR, HR) crops, each degraded by the preset's downscale section."""
    from pipeline.params import PARAMS_FILE, load_params, with_overrides
    from pipeline.tools.preset import load_preset

    worn = with_overrides(load_params(PARAMS_FILE), load_preset(preset, need_folders=False)[2]).downscale
    for folder in folders:
        for path in list_images(folder):
            try:
                hr_full = modcrop(decode(path).rgb, scale)
            except BadImage as e:
                print(f"route: skipping {path}: {e.detail}", file=sys.stderr)
                continue
            rng = rng_for(seed, path.name)
            h, w = hr_full.shape[:2]
            for k in range(crops):
                ch, cw = min(side, h) // scale * scale, min(side, w) // scale * scale
                top = int(rng.integers(0, h - ch + 1)) // scale * scale
                left = int(rng.integers(0, w - cw + 1)) // scale * scale
                hr = hr_full[top:top + ch, left:left + cw]
                yield f"{folder.name}/{path.name}#{k}", degrade(hr, scale, worn, rng), hr


def fit_tree(x: np.ndarray, y: np.ndarray, depth: int, min_leaf: int, seed: int) -> Tree:
    from sklearn.tree import DecisionTreeRegressor

    reg = DecisionTreeRegressor(max_depth=depth, min_samples_leaf=min_leaf, random_state=seed).fit(x, y)
    t = reg.tree_
    values = t.value.reshape(t.node_count, -1)
    return Tree(tuple(int(f) if f >= 0 else 0 for f in t.feature), tuple(round(float(v), 6) for v in t.threshold),
                tuple(int(i) for i in t.children_left), tuple(int(i) for i in t.children_right),
                tuple(tuple(round(float(v), 4) for v in row) for row in values))


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("folders", nargs="+", type=Path, help="HR images no network trained on")
    parser.add_argument("--experts", nargs="+", default=["clean", "photo"], help="shipped networks to choose among")
    parser.add_argument("--preset", default="photo", help="whose downscale section degrades the crops")
    parser.add_argument("--crops", type=int, default=24, help="crops per image")
    parser.add_argument("--crop", type=int, default=512, help="HR crop side")
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--min-leaf", type=int, default=25)
    parser.add_argument("--margin", type=float, default=0.05, help="dB a predicted gain must clear")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RELEASE / "photo.route.json")
    parser.add_argument("--samples", type=Path, default=None,
                        help="the crops' features and gains as CSV: written after measuring, or read instead of "
                             "measuring when it exists (to refit with another depth or margin)")
    args = parser.parse_args(argv)
    if args.samples and args.samples.is_file():
        table = read_table(args.samples)
        missing = [c for c in ("crop", *FEATURES, *(f"gain_{e}" for e in args.experts)) if c not in table.columns]
        if missing:
            print(f"route: {args.samples}: no column {', '.join(missing)} (measured with other features or "
                  "--experts? delete it to measure again)", file=sys.stderr)
            return 2
        names, xs = list(table["crop"]), table[list(FEATURES)].to_numpy()
        ys = table[[f"gain_{e}" for e in args.experts]].to_numpy()
        return fit_and_write(args, names, xs, ys)
    from pipeline.training.devices import configure_tensorflow
    from pipeline.upscaling.inference import load_model
    from pipeline.upscaling.tiles import TileEngine

    configure_tensorflow(args.seed)
    try:
        # Each expert's network alone (models.load would run a shipped router as its router).
        engines = {e: TileEngine(load_model(choose(e).path)) for e in args.experts}
    except (FileNotFoundError, ValueError, OSError) as e:
        print(f"route: {e}", file=sys.stderr)
        return 2
    scale = next(iter(engines.values())).scale
    names, xs, ys = [], [], []
    try:
        for name, lr, hr in samples(args.folders, args.preset, args.crops, args.crop, scale, args.seed):
            base = psnr_y(interpolate(lr, scale, "matlab"), hr, scale)
            names.append(name)
            xs.append(vector(lr))
            ys.append([psnr_y(engines[e].super_resolve(lr), hr, scale) - base for e in args.experts])
            if len(names) % 50 == 0:
                print(f"route: {len(names)} crops", file=sys.stderr, flush=True)
    except ParamsError as e:
        print(f"route: {e}", file=sys.stderr)
        return 2
    if args.samples:
        columns = ["crop", *FEATURES, *(f"gain_{e}" for e in args.experts)]
        rows = [dict(zip(columns, [n, *x, *y], strict=True)) for n, x, y in zip(names, xs, ys, strict=True)]
        write_table(rows, columns, args.samples, float_format="%.6g")
    return fit_and_write(args, names, xs, ys)


def fit_and_write(args, names: list[str], xs, ys) -> int:
    if len(names) < 2 * args.min_leaf:
        print(f"route: {len(names)} crops from {args.folders}: too few for leaves of {args.min_leaf}", file=sys.stderr)
        return 2
    x, y = np.array(xs), np.array(ys)
    groups = np.array([n.split("#")[0] for n in names])
    tree = fit_tree(x, y, args.depth, args.min_leaf, args.seed)
    # Choices judged on images the tree did not see: fitted on half the images, applied to
    # the other half, both ways. The shipped tree is fitted on all of them.
    picks = [""] * len(names)
    halves = sorted(set(groups))
    for fold in (halves[::2], halves[1::2]):
        held = np.isin(groups, fold)
        part = Route(tuple(args.experts), fit_tree(x[~held], y[~held], args.depth, args.min_leaf, args.seed),
                     args.margin, {})
        for i in np.flatnonzero(held):
            picks[i] = part.decide(x[i])[0]
    gain_of = {BICUBIC: np.zeros(len(y)), **{e: y[:, i] for i, e in enumerate(args.experts)}}
    routed = np.array([gain_of[p][i] for i, p in enumerate(picks)])
    oracle = np.maximum(y.max(axis=1), 0)
    summary = {"crops": len(names), "images": len(halves), "judged": "two folds by image",
               "mean_gain_db": {**{e: round(float(y[:, i].mean()), 3) for i, e in enumerate(args.experts)},
                                "routed": round(float(routed.mean()), 3), "oracle": round(float(oracle.mean()), 3)},
               "worse_than_bicubic": {**{e: int((y[:, i] < 0).sum()) for i, e in enumerate(args.experts)},
                                      "routed": int((routed < 0).sum())},
               "choices": {c: picks.count(c) for c in (*args.experts, BICUBIC)}}
    fitted = {"folders": [str(f) for f in args.folders], "preset": args.preset, "crop": args.crop,
              "crops_per_image": args.crops, "seed": args.seed, "depth": args.depth, "min_leaf": args.min_leaf,
              "on_val_crops": summary}
    write_json(Route(tuple(args.experts), tree, args.margin, fitted).to_json(), args.out)
    print(f"route: {summary}\nroute: wrote {args.out} (features {', '.join(FEATURES)})")
    return 0
