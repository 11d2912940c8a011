"""Running a model on uint8 images: self-ensemble undoes each transform."""

from __future__ import annotations

import numpy as np

from pipeline.training.model import build_model
from pipeline.upscaling.inference import predict_float
from pipeline.upscaling.tiles import TileEngine
from tests.support.images import photo_like
from tests.support.models import tiny_model_params

TINY = tiny_model_params(blocks=2)


def test_self_ensemble_is_equivariant_to_flips_and_rotations():
    m = build_model(TINY, 2)
    rng = np.random.default_rng(1)
    m.set_weights([rng.normal(0, 0.2, w.shape).astype(np.float32) for w in m.get_weights()])
    x = photo_like(12, 12)[None]
    plain = predict_float(m, x)
    ens = predict_float(m, x, self_ensemble=True)
    flipped = predict_float(m, x[:, :, ::-1].copy(), self_ensemble=True)
    rotated = predict_float(m, np.rot90(x, 1, axes=(1, 2)).copy(), self_ensemble=True)
    assert np.allclose(flipped, ens[:, :, ::-1], atol=1e-5)
    assert np.allclose(rotated, np.rot90(ens, 1, axes=(1, 2)), atol=1e-5)
    assert not np.allclose(plain, ens, atol=1e-3)  # random weights are not symmetric by themselves
    tiled = TileEngine(m, tile=8, self_ensemble=True).super_resolve(x[0])
    assert np.abs(tiled.astype(int) - np.clip(np.round(ens[0] * 255), 0, 255).astype(int)).max() <= 1
