"""A trained model with more residual blocks that computes what it did: a start for
`train.init` that keeps what the model learned and adds capacity.

    python -m pipeline.deepen models/release/photo.keras models/init/photo_12.keras --blocks 12

The new blocks go after the old ones, each with its last conv at zero (as `model.zero_init`
starts every block), so each is the identity and the deeper model's output equals the
source's; training then has only to use the new blocks. Width, kernel and convs per block are
read from the source; the rest of the architecture (upsampler, skip, residual scale) is
params.yaml's `model` section, and the deeper model is refused unless it reproduces the
source's output. Then train with `-S model.blocks=N -S train.init=<the new file>`. Cheaper than
training the deeper model from scratch; what it bought on the photo model is in
docs/results.md ("v4 deepened to 12 blocks").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from pipeline.params import ParamsError, load_params
from pipeline.training.model import build_model
from pipeline.training.saving import save_model
from pipeline.upscaling.inference import load_model, model_scale


def block_count(model) -> int:
    return sum(1 for layer in model.layers if layer.name.startswith("block") and layer.name.endswith("_add"))


def deepened(source, m, blocks: int):
    """`source` with `blocks` blocks in all: params `m` with the source's width, kernel and
    convs per block."""
    have = block_count(source)
    if blocks <= have:
        raise ValueError(f"--blocks {blocks}: the model has {have} blocks already; deepening adds blocks")
    if m.arch != "edsr":
        raise ValueError(f"model.arch={m.arch}: only the edsr architecture's blocks are the identity at zero")
    head = source.get_layer("head")
    convs = sum(1 for layer in source.layers if layer.name.startswith("block1_conv"))
    m = m.model_copy(update={"filters": head.filters, "kernel_size": head.kernel_size[0], "convs_per_block": convs})
    scale = model_scale(source)
    like_source = build_model(m.model_copy(update={"blocks": have}), scale)
    if [w.shape for w in source.weights] != [w.shape for w in like_source.weights]:
        raise ValueError(f"params.yaml's model section (model.upsampler={m.upsampler}, model.skip={m.skip}, ...) "
                         f"does not describe the source model ({source.count_params():,} weights)")
    deeper = build_model(m.model_copy(update={"blocks": blocks, "zero_init": True}), scale)
    old = {layer.name: layer for layer in source.layers}
    for layer in deeper.layers:
        if layer.weights and layer.name in old:
            layer.set_weights(old[layer.name].get_weights())
    return deeper


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a trained .keras model")
    parser.add_argument("target", type=Path, help="the deeper model's .keras file (must not exist)")
    parser.add_argument("--blocks", type=int, required=True, help="residual blocks in all")
    args = parser.parse_args(argv)
    if args.target.exists() or args.target.suffix != ".keras":
        print(f"deepen: {args.target}: {'exists; not replaced' if args.target.exists() else 'must end .keras'}",
              file=sys.stderr)
        return 2
    import keras

    keras.utils.set_random_seed(0)  # the new blocks' first convs: the same file every time
    try:
        source = load_model(args.source)
        deeper = deepened(source, load_params().model, args.blocks)
    except (FileNotFoundError, ValueError, ParamsError) as e:
        print(f"deepen: {args.source}: {e}", file=sys.stderr)
        return 2
    probe = np.random.default_rng(0).random((1, 24, 20, 3), dtype=np.float32)
    drift = float(np.abs(np.asarray(source(probe)) - np.asarray(deeper(probe))).max())
    if drift > 1e-5:  # a param no weight shows (model.residual_scale) differs from the source's
        print(f"deepen: {args.source}: the deeper model's output is {drift:.2g} from the source's: "
              f"params.yaml's model section does not describe it (model.residual_scale?)", file=sys.stderr)
        return 2
    try:
        save_model(deeper, args.target)
    except OSError as e:
        print(f"deepen: {args.target}: cannot write ({e.strerror or e})", file=sys.stderr)
        return 2
    print(f"deepen: {args.target}: {block_count(deeper)} blocks, {deeper.count_params():,} weights "
          f"(from {source.count_params():,}); largest output difference from the source {drift:.2g}")
    return 0
