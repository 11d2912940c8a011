"""The arithmetic a model costs per input pixel, read off its layers (for the benchmarks)."""

from __future__ import annotations

import keras
from keras import layers

from pipeline.upscaling.receptive import after_upsampling


def flops_per_lr_pixel(model: keras.Model, scale: int) -> int:
    """Multiply-adds x 2 of all convolutions, per LR input pixel (forward pass)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, (layers.Conv2D, layers.Conv2DTranspose)):
            kh, kw = layer.kernel_size
            cin = layer.input.shape[-1]
            # A transposed conv scatters its whole kernel from each LR pixel: the same cost
            # per LR pixel as the k x k conv to filters*scale^2 maps it stands for.
            macs = kh * kw * cin * layer.filters
            if isinstance(layer, layers.Conv2D) and after_upsampling(model, layer):
                macs *= scale * scale
            total += 2 * macs
    return total
