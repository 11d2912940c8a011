"""Residual super-resolution networks, built from params.yaml's `model` section.

Both architectures use only Keras's built-in layers, so a saved `models/model.keras`
loads with a bare `keras.models.load_model(path)`, without this package. Inputs are
RGB in [0, 1] of any size, shape (None, None, 3); outputs are `scale` times larger.

- `edsr` (default): EDSR-style body (Lim et al. 2017): no batch norm, which hurts SR
  by normalising away contrast, residual blocks whose last conv starts at zero
  (`zero_init`, so a deep stack starts as the identity and trains stably at full
  `residual_scale`), a sub-pixel upsampler working at LR resolution, and a global skip
  from the bicubic-upsampled input, so the network only learns the missing detail.
- `original`: the 2019 project's network, kept to reproduce its result side by side:
  a 3-channel residual stream of `blocks` blocks (2 conv(filters, relu) then conv(3, 1x1)),
  nearest upsampling, 3 conv(filters, relu), conv(3, 1x1). Use blocks 9, filters 64.

The byte-stable `.keras` writer is in saving.py; what the tiler reads off a model (its
receptive radius) is in pipeline/upscaling/receptive.py.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from pipeline.imaging.resize import cubic
from pipeline.params import Model


# Every layer gets an explicit name: Keras's automatic names count the layers created
# earlier in the process, so a resumed run would save a different model.keras.
def conv(filters: int, kernel_size: int, name: str, activation: str | None = None,
         kernel_initializer: str = "glorot_uniform") -> layers.Conv2D:
    return layers.Conv2D(filters, kernel_size, padding="same", activation=activation, name=name,
                         kernel_initializer=kernel_initializer)


def residual_block(x, filters: int, kernel_size: int, convs: int, scale: float, name: str, zero_init: bool = False):
    """x + scale * (conv -> relu -> ... -> conv)(x): relu between convs, none after the last.

    `zero_init` starts the last conv at zero, so the block starts as the identity and a deep
    stack trains from the first step without the 0.1 scaling EDSR needed."""
    y = x
    for i in range(convs):
        last = i == convs - 1
        y = conv(filters, kernel_size, f"{name}_conv{i + 1}", None if last else "relu",
                 "zeros" if last and zero_init else "glorot_uniform")(y)
    if scale != 1.0:
        y = layers.Rescaling(scale, name=f"{name}_scale")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def subpixel_upsampler(x, channels: int, kernel_size: int, scale: int, kernel_initializer="glorot_uniform"):
    """A k x k convolution to channels*scale^2 maps followed by a pixel shuffle.

    Implemented as the equivalent strided transposed convolution (kernel k*scale, stride
    scale; Shi et al. 2016, "Is the deconvolution layer the same as a convolutional
    layer?"), because Keras has no built-in pixel-shuffle layer and a custom one would
    make the saved model depend on this package.
    """
    return layers.Conv2DTranspose(channels, kernel_size * scale, strides=scale, padding="same",
                                  kernel_initializer=kernel_initializer, name="subpixel")(x)


def interpolation_kernel(scale: int, method: str) -> np.ndarray:
    """1-D taps of bicubic (Keys, a = -0.5) or bilinear upsampling by `scale`, laid out
    for a SAME transposed convolution with stride `scale` (half-pixel centres, as
    tf.image.resize and Pillow use)."""
    size = (4 if method == "bicubic" else 2) * scale
    pad_before = (size - scale) // 2
    offsets = np.arange(size) - pad_before          # HR pixel offset from scale * LR index
    distance = (offsets + 0.5) / scale - 0.5        # in LR pixels
    return cubic(distance) if method == "bicubic" else np.maximum(0.0, 1.0 - np.abs(distance))


def interpolation_skip(x, scale: int, method: str):
    """Fixed bicubic/bilinear upsampling as a frozen Conv2DTranspose.

    Equal to tf.image.resize away from the border (the outer 2 LR pixels see zero
    padding instead of replicated edges; the learned branch absorbs that). UpSampling2D
    would do the same job, but its resize cannot be traced with unknown image sizes, which
    SavedModel export needs.
    """
    taps = interpolation_kernel(scale, method)
    kernel = np.zeros((taps.size, taps.size, 3, 3), np.float32)
    for c in range(3):
        kernel[:, :, c, c] = np.outer(taps, taps)
    layer = layers.Conv2DTranspose(3, taps.size, strides=scale, padding="same", use_bias=False,
                                   trainable=False, name=f"{method}_skip")
    y = layer(x)
    layer.set_weights([kernel])
    return y


def build_edsr(m: Model, scale: int) -> keras.Model:
    inputs = keras.Input((None, None, 3), name="lr")
    head = conv(m.filters, m.kernel_size, "head")(inputs)
    x = head
    for b in range(m.blocks):
        x = residual_block(x, m.filters, m.kernel_size, m.convs_per_block, m.residual_scale, f"block{b + 1}",
                           m.zero_init)
    x = conv(m.filters, m.kernel_size, "body_tail")(x)
    x = layers.Add(name="body_add")([x, head])
    # With a skip, the last layer starts at zero: the untrained model is exactly the
    # interpolation and training only has to add detail (a random start is 4-7 dB worse).
    last_init = "zeros" if m.skip != "none" else "glorot_uniform"
    if m.upsampler == "pixel_shuffle":
        out = subpixel_upsampler(x, 3, m.kernel_size, scale, last_init)
    else:
        x = layers.UpSampling2D(scale, interpolation="nearest", name="upsample")(x)
        x = conv(m.filters, m.kernel_size, "hr_conv", "relu")(x)
        out = layers.Conv2D(3, m.kernel_size, padding="same", kernel_initializer=last_init, name="hr_out")(x)
    if m.skip != "none":
        out = layers.Add(name="skip_add")([out, interpolation_skip(inputs, scale, m.skip)])
    out = layers.Activation("linear", dtype="float32", name="sr")(out)
    return keras.Model(inputs, out, name="edsr")


def build_original(m: Model, scale: int) -> keras.Model:
    inputs = keras.Input((None, None, 3), name="lr")
    x = inputs
    for b in range(1, m.blocks + 1):
        y = conv(m.filters, m.kernel_size, f"block{b}_conv1", "relu")(x)
        y = conv(m.filters, m.kernel_size, f"block{b}_conv2", "relu")(y)
        x = layers.Add(name=f"block{b}_add")([x, conv(3, 1, f"block{b}_to_rgb")(y)])
    x = layers.UpSampling2D(scale, interpolation="nearest", name="upsample")(x)
    for i in range(1, 4):
        x = conv(m.filters, m.kernel_size, f"hr_conv{i}", "relu")(x)
    out = layers.Activation("linear", dtype="float32", name="sr")(conv(3, 1, "hr_out")(x))
    return keras.Model(inputs, out, name="original")


def build_model(m: Model, scale: int) -> keras.Model:
    return {"edsr": build_edsr, "original": build_original}[m.arch](m, scale)
