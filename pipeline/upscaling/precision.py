"""Upscaling in bfloat16, for CPUs that compute it natively (`--precision bfloat16`).

On a 2-core Xeon with AMX the shipped networks run about 4x faster in bfloat16 than in float32,
at the same Y-PSNR within 0.02 dB on every test photo (docs/results.md,
benchmarks/precision.py); a Zen 4 EPYC, with AVX-512 BF16 and no AMX, ran no faster.

bfloat16 keeps 8 bits of mantissa: rounding a whole image to that would move pixels by up to
a grey level, so the layers that carry the image itself (the interpolation skip, the add onto
it, the output) stay float32; only the residual body, whose output is a small correction,
runs in bfloat16, and its rounding error is as small as that correction.

Opt-in, not the default: a result then depends on the CPU's bf16 kernels (float32 results
agree across the CPUs we measured to a byte or two of a picture), and a CPU without bf16
instructions emulates it, slower than float32.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

PRECISIONS = ("float32", "bfloat16")
NATIVE_FLAGS = ("amx_bf16", "avx512_bf16")
# What bfloat16 does for speed on a CPU, by its best bfloat16 flag (measured: docs/results.md;
# the Zen 4 probe with AVX-512 BF16 and no AMX ran no faster).
SPEED_BY_FLAG = {
    "amx_bf16": "computing in bfloat16 on AMX (about 4x float32's speed on a 2-core Xeon)",
    "avx512_bf16": "computing in bfloat16 with AVX-512 BF16 and no AMX: on a Zen 4 EPYC that ran no faster "
                   "than float32",
    None: "computing in bfloat16, emulated: this CPU has no bfloat16 instructions (AMX, AVX-512 BF16), so "
          "it is slower than float32",
}


def stays_float32(layer_name: str) -> bool:
    """Whether a layer of our networks (pipeline/training/model.py) carries the image itself."""
    return layer_name.endswith("_skip") or layer_name in ("skip_add", "sr")


def bfloat16_copy(model):
    """`model` rebuilt with its body in mixed bfloat16 (float32 weights, bfloat16 compute) and
    its image path in float32; the same weights, a float32 output."""
    import keras

    def clone(layer):
        config = layer.get_config()
        config["dtype"] = "float32" if stays_float32(layer.name) else "mixed_bfloat16"
        return layer.__class__.from_config(config)

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def with_precision(loaded, precision: str):
    """`loaded` (a models.Loaded, whose networks a router's too, or a bare Keras network)
    computing in `precision`."""
    from pipeline.upscaling.models import Loaded

    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r}: must be one of {', '.join(PRECISIONS)}")
    if precision == "float32":
        return loaded
    if not isinstance(loaded, Loaded):
        return bfloat16_copy(loaded)
    experts = loaded.experts and {name: bfloat16_copy(m) for name, m in loaded.experts.items()}
    model = experts[loaded.choice.name] if experts and loaded.choice.name in experts else bfloat16_copy(loaded.model)
    return replace(loaded, model=model, experts=experts)


def native_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """The best CPU flag for bfloat16 here (AMX's first, then AVX-512 BF16's), or None."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return next((flag for flag in NATIVE_FLAGS if flag in flags), None)


def bfloat16_here() -> str:
    """One line for the log: what bfloat16 will do for speed on this CPU."""
    return SPEED_BY_FLAG[native_bfloat16()]
