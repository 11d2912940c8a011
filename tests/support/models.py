"""Tiny params and tiny models: the repo's own params.yaml shrunk so every stage runs in
seconds, and untrained models of the default architecture (which start as bicubic)."""

from __future__ import annotations

from pathlib import Path

import yaml

PARAMS_FILE = Path(__file__).resolve().parents[2] / "params.yaml"


def repo_params() -> dict:
    return yaml.safe_load(PARAMS_FILE.read_text())


def tiny_params(**overrides: dict) -> dict:
    """The repo's params.yaml shrunk so every stage runs in seconds; `section={key: v}`."""
    p = repo_params()
    p["filter"].update(min_side=32)
    p["crop"].update(side=32, stride=32, max_per_image=6)
    p["model"].update(blocks=1, filters=8)
    p["train"].update(patch_size=8, batch_size=4, epochs=2, steps_per_epoch=3, warmup_steps=1)
    p["evaluate"].update(pictures=1)
    for section, values in overrides.items():
        p[section].update(values)
    return p


def write_params(path: Path, params: dict) -> Path:
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def tiny_model_params(**model):
    """The repo's `model` section with one 8-filter block (or what `model` says)."""
    from pipeline.params import load_params

    return load_params(PARAMS_FILE).model.model_copy(update={"blocks": 1, "filters": 8, **model})


def tiny_model(path: Path | None = None, scale: int = 2, seed: int | None = None, **model):
    """An untrained tiny model (a 2-block one: `blocks=2`), saved byte-stably at `path` (then
    the path is returned) or returned as a Keras model. `seed` draws its initial weights."""
    import keras

    from pipeline.training.model import build_model
    from pipeline.training.saving import save_model

    if seed is not None:
        keras.utils.set_random_seed(seed)
    built = build_model(tiny_model_params(**model), scale)
    if path is None:
        return built
    save_model(built, path)
    return path


def with_random_weights(model, seed: int = 0):
    """`model` with a residual branch of random weights (the last two tensors, the output
    layer, kept), so a test sees the network at work and not just its bicubic start."""
    import numpy as np

    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.2, w.shape).astype(np.float32) if i < len(model.weights) - 2 else w
                       for i, w in enumerate(model.get_weights())])
    return model
