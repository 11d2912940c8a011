"""How far each output pixel of a model sees into its input: the overlap seamless tiles need."""

from __future__ import annotations

import keras
from keras import layers


def receptive_radius(model: keras.Model) -> int:
    """LR pixels of context each output pixel sees on each side (for seamless tiling)."""
    radius = 0.0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2DTranspose):
            radius += (layer.kernel_size[0] / layer.strides[0]) / 2
        elif isinstance(layer, layers.Conv2D):
            k = layer.kernel_size[0]
            # Convs after an upsampling layer work at HR and see half as far in LR pixels.
            radius += (k // 2) / (2 if after_upsampling(model, layer) else 1)
    return int(radius) + 1


def after_upsampling(model: keras.Model, target: layers.Layer) -> bool:
    """Whether `target` comes after a nearest-neighbour upsampling layer (works at HR)."""
    for layer in model.layers:
        if layer is target:
            return False
        if isinstance(layer, layers.UpSampling2D) and layer.interpolation == "nearest":
            return True
    return False
