"""How an LR image was made small, told from its pixels by a small CNN: with antialiasing
(MATLAB's or Pillow's bicubic, bilinear, box, lanczos), by a plain cubic without it
(OpenCV's `resize`), or by nearest neighbour (either phase).

The router (routing.py) needs this more than anything else it measures: the clean model
does harm on aliased inputs (-2.7 dB on plain cubic and nearest, docs/results.md) and is
the best of the shipped networks on antialiased ones, and the wear measures' summaries
(spectral ratios next to Nyquist) tell the two apart on only 63-72 % of crops, because the
scene moves them as much as the downscaler does. Aliasing is local and structural
(staircase edges, broken thin lines), which a few convolutions see and a spectrum averages
away. The detector looks at the MAX_PATCHES patches of the image with the most detail (a
flat patch says nothing about the kernel) and averages their probabilities; trained by
`python -m pipeline.detector` on the worn model's own degradations, so JPEG and noise on
top are part of what it has seen.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.imaging.detail import gradient_magnitude, luma

LABELS = ("antialiased", "plain_cubic", "nearest")
KERNEL_LABEL = {"matlab": 0, "pillow": 0, "bilinear": 0, "box": 0, "lanczos": 0, "cubic_sharp": 1,
                "nearest": 2, "nearest_opencv": 2}
PATCH = 48
MAX_PATCHES = 32


def build(filters: int = 32):
    """The detector network: (PATCH, PATCH, 1) luma in, one probability per LABELS out. Two
    stride-2 steps and a global average: it looks at texture, not at where things are."""
    import keras
    from keras import layers

    x = inputs = keras.Input((PATCH, PATCH, 1))
    for width, stride in ((filters, 1), (filters, 1), (2 * filters, 2), (2 * filters, 1), (2 * filters, 2)):
        x = layers.Conv2D(width, 3, strides=stride, padding="valid", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(len(LABELS), activation="softmax")(x)
    return keras.Model(inputs, outputs, name="kernel_detector")


def patches(rgb: np.ndarray, n: int = MAX_PATCHES) -> np.ndarray:
    """(k, PATCH, PATCH, 1) float32 network inputs: of the image's PATCH-pixel patches on a
    grid, the `n` with the most detail (luma in 0..1, less 0.5); an image smaller than one
    patch is padded by reflection."""
    y = luma(rgb) / 255.0 - 0.5
    h, w = y.shape
    if h < PATCH or w < PATCH:
        y = np.pad(y, ((0, max(PATCH - h, 0)), (0, max(PATCH - w, 0))), mode="reflect")
        h, w = y.shape
    grad = gradient_magnitude(y)
    tops = range(0, h - PATCH + 1, PATCH)
    lefts = range(0, w - PATCH + 1, PATCH)
    corners = [(t, s) for t in tops for s in lefts]
    scores = np.array([grad[t:t + PATCH, s:s + PATCH].mean() for t, s in corners])
    keep = sorted(np.argsort(-scores, kind="stable")[:n])
    return np.stack([y[corners[i][0]:corners[i][0] + PATCH, corners[i][1]:corners[i][1] + PATCH]
                     for i in keep])[..., None].astype(np.float32)


class KernelDetector:
    """A trained detector: `probabilities(rgb)` is one probability per LABELS for a whole LR."""

    def __init__(self, model) -> None:
        shape = tuple(model.input_shape[1:])
        if shape != (PATCH, PATCH, 1) or model.output_shape[-1] != len(LABELS):
            raise ValueError(f"a detector takes ({PATCH}, {PATCH}, 1) and gives {len(LABELS)} probabilities; "
                             f"this model takes {shape} and gives {model.output_shape[-1]}")
        self.model = model

    def probabilities(self, rgb: np.ndarray) -> np.ndarray:
        x = patches(rgb)
        return np.asarray(self.model(x, training=False), np.float64).mean(axis=0)


def load_detector(path: Path) -> KernelDetector:
    """A detector file, checked (a wrong file stops here, naming it)."""
    import keras

    try:
        return KernelDetector(keras.saving.load_model(path, compile=False))
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a kernel detector: {e}") from None
