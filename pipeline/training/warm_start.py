"""The weights a fine-tuning run starts from (`train.init`): a trained model's, checked
against the model params before any training, so a mismatch is named, not a shape error
deep inside Keras."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.params import Model
from pipeline.training.model import build_model
from pipeline.upscaling.inference import load_model, model_scale


class InitMismatch(ValueError):
    """`train.init` names a model that is missing, unreadable or of another architecture."""


def initial_weights(path: Path, m: Model, scale: int) -> list[np.ndarray]:
    if not path.is_file():  # load_model's advice (run `dvc repro`) would not help here
        there = sorted(p.name for p in path.parent.glob("*.keras")) if path.parent.is_dir() else []
        raise InitMismatch(f"train.init: {path}: no such model (in {path.parent}/: {', '.join(there) or 'none'})")
    try:
        source = load_model(path)
    except (FileNotFoundError, ValueError) as e:
        raise InitMismatch(f"train.init: {e}") from None
    if (got := model_scale(source)) != scale:
        raise InitMismatch(f"train.init: {path} upscales {got}x, base.scale is {scale}")
    want = build_model(m, scale)
    if [w.shape for w in source.weights] != [w.shape for w in want.weights]:
        raise InitMismatch(
            f"train.init: {path} ({source.count_params():,} weights in {len(source.weights)} arrays) is not the "
            f"model the params describe ({want.count_params():,} in {len(want.weights)}: model.arch={m.arch}, "
            f"model.blocks={m.blocks}, model.filters={m.filters}, ...): fine-tuning needs the same architecture")
    return source.get_weights()
