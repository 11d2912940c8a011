"""`--precision bfloat16`: the body in bfloat16, the image path in float32, the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.support.images import photo_like
from tests.support.models import tiny_model

pytest.importorskip("keras")


def trained_looking(seed: int = 3):
    """A tiny model whose body does something (an untrained one starts as bicubic: its last
    layer is zero, and any precision computes that exactly)."""
    model = tiny_model(seed=seed, blocks=2, zero_init=False)
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(0, 0.05, w.shape).astype(w.dtype) if w.ndim == 4 else w
                       for w in model.get_weights()])
    return model


def test_the_body_runs_in_bfloat16_the_image_path_in_float32():
    from pipeline.upscaling.precision import bfloat16_copy

    model = trained_looking()
    copy = bfloat16_copy(model)
    policies = {layer.name: layer.dtype_policy.name for layer in copy.layers if layer.weights or "add" in layer.name}
    assert policies["bicubic_skip"] == policies["skip_add"] == "float32"
    assert policies["head"] == policies["block1_conv1"] == policies["subpixel"] == "mixed_bfloat16"
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), copy.get_weights(), strict=True))

    x = photo_like(24, 20).astype(np.float32)[None] / 255
    full, half = np.asarray(model(x)), np.asarray(copy(x))
    assert half.dtype == np.float32
    assert half.shape == full.shape
    assert 0 < np.abs(half - full).max() < 0.02  # rounded, not another result


def test_the_image_path_in_float32_is_why_bfloat16_costs_nothing_on_a_plain_image():
    import keras

    from pipeline.upscaling.precision import bfloat16_copy

    model = tiny_model(blocks=1)  # untrained: exactly bicubic, the body adds zero
    x = photo_like(24, 20).astype(np.float32)[None] / 255
    full = np.asarray(model(x))
    assert np.array_equal(np.asarray(bfloat16_copy(model)(x)), full)
    # The whole network in bfloat16, skip included, rounds the image itself.
    everything = keras.models.clone_model(model, clone_function=lambda layer: layer.__class__.from_config(
        {**layer.get_config(), "dtype": "mixed_bfloat16"}))
    everything.set_weights(model.get_weights())
    rounded = np.asarray(everything(x), np.float32)
    assert np.abs(rounded - full).max() > 1e-3  # a quarter of a grey level


def test_a_router_has_every_network_converted_once(model_path):
    from pipeline.upscaling.inference import load_model
    from pipeline.upscaling.models import Loaded, ModelChoice
    from pipeline.upscaling.precision import with_precision

    net = load_model(model_path)
    plain = Loaded(ModelChoice(model_path), net)
    assert with_precision(plain, "float32") is plain
    assert with_precision(plain, "bfloat16").model.get_layer("head").dtype_policy.name == "mixed_bfloat16"
    routed = Loaded(ModelChoice(model_path, "photo"), net, route=object(), experts={"photo": net, "clean": net})
    converted = with_precision(routed, "bfloat16")
    assert converted.model is converted.experts["photo"]
    assert converted.experts["clean"].get_layer("head").dtype_policy.name == "mixed_bfloat16"
    with pytest.raises(ValueError, match="precision 'float16': must be one of float32, bfloat16"):
        with_precision(plain, "float16")


def test_native_bfloat16_reads_the_cpu_flags(tmp_path):
    from pipeline.upscaling.precision import native_bfloat16

    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 amx_tile\n")
    assert native_bfloat16(info) == "avx512_bf16"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 amx_bf16 avx512_bf16\n")
    assert native_bfloat16(info) == "amx_bf16"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    assert native_bfloat16(info) is None
    assert native_bfloat16(tmp_path / "missing") is None


def test_the_tool_upscales_in_bfloat16_and_says_so(tmp_path, capsys):
    from pipeline.tools.upscale import main
    from pipeline.training.saving import save_model

    model = tmp_path / "m.keras"
    save_model(trained_looking(), model)
    # Rungs of the bucket ladder (tiles.bucket), so bfloat16's windows need no padding and
    # the difference is the rounding alone.
    Image.fromarray(photo_like(48, 32)).save(tmp_path / "in.png")
    results = {}
    for precision in ("float32", "bfloat16"):
        out = tmp_path / f"{precision}.png"
        assert main([str(tmp_path / "in.png"), "--out", str(out), "--model", str(model), "--precision", precision]) == 0
        results[precision] = np.asarray(Image.open(out), np.float64)
    said = capsys.readouterr().err
    assert "computing in bfloat16" in said
    assert results["bfloat16"].shape == (96, 64, 3)
    difference = np.abs(results["bfloat16"] - results["float32"])
    assert 0 < difference.mean() < 1.0  # grey levels
    with pytest.raises(SystemExit):
        main([str(tmp_path / "in.png"), "--out", str(tmp_path / "x.png"), "--precision", "float16"])
