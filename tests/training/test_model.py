"""The Keras builders: shapes for any input, the bicubic start, a byte-stable file that loads anywhere."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from pipeline.imaging.resize import interpolate
from pipeline.training.model import build_model
from pipeline.training.saving import save_model
from pipeline.upscaling.inference import predict
from tests.support.images import photo_like
from tests.support.models import tiny_model_params
from tests.support.sandbox import REPO, run

TINY = tiny_model_params(blocks=2)


@pytest.mark.parametrize("arch", ["edsr", "original"])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_is_scale_times_any_input(arch, scale):
    m = build_model(TINY.model_copy(update={"arch": arch}), scale)
    for h, w in [(7, 9), (16, 5)]:
        assert m(np.zeros((1, h, w, 3), np.float32)).shape == (1, h * scale, w * scale, 3)


@pytest.mark.parametrize("upsampler", ["pixel_shuffle", "nearest"])
def test_untrained_model_is_exactly_bicubic_inside(upsampler):
    m = build_model(TINY.model_copy(update={"upsampler": upsampler, "skip": "bicubic"}), 2)
    lr = photo_like(20, 24)
    sr = predict(m, lr[None])[0].astype(int)
    bicubic = interpolate(lr, 2, "pillow").astype(int)
    assert np.abs(sr - bicubic)[8:-8, 8:-8].max() <= 1


def test_saved_model_reloads_with_plain_keras_and_is_byte_stable(tmp_path):
    m = build_model(TINY, 2)
    save_model(m, tmp_path / "model.keras")
    save_model(m, tmp_path / "again.keras")
    assert (tmp_path / "model.keras").read_bytes() == (tmp_path / "again.keras").read_bytes()
    # And across processes, where Keras's object ids differ.
    code = ("import sys, keras; from pipeline.training.model import build_model; "
            "from pipeline.training.saving import save_model; "
            "from pipeline.params import load_params; "
            "m = load_params('params.yaml').model.model_copy(update=dict(blocks=2, filters=8)); "
            "keras.utils.set_random_seed(1); save_model(build_model(m, 2), sys.argv[1])")
    for name in ("p1.keras", "p2.keras"):
        run([sys.executable, "-c", code, str(tmp_path / name)], REPO)
    assert (tmp_path / "p1.keras").read_bytes() == (tmp_path / "p2.keras").read_bytes()
    code = ("import keras, numpy as np; m = keras.models.load_model('model.keras'); "
            "print(m(np.zeros((1, 5, 7, 3), 'float32')).shape)")
    # No PYTHONPATH: the file must not need this project's code to load.
    proc = run([sys.executable, "-c", code], tmp_path, env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert "(1, 10, 14, 3)" in proc.stdout
