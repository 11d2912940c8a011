"""The wear features tell the kinds of wear apart on one image, made worn in known ways."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pipeline.imaging.resize import downscale
from pipeline.imaging.wear import FEATURES, features, vector, windows


def scene(side: int = 384, seed: int = 0) -> np.ndarray:
    """A clean HR scene: a smooth colour field with sharp-edged shapes, no noise."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    img = Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(img)
    for _ in range(60):
        x, y = rng.integers(0, side, 2)
        w, h = rng.integers(4, 40, 2)
        draw.rectangle([int(x), int(y), int(x + w), int(y + h)], fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    for k in range(0, side, 6):  # fine stripes: detail near the LR's Nyquist frequency
        draw.line([(k, 0), (k + side // 3, side // 4)], fill=(240, 240, 240), width=1)
    return np.asarray(img)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


def test_noise_is_measured_in_levels_and_texture_does_not_pass_for_it():
    lr = downscale(scene(), 2, "matlab")
    noisy = np.clip(lr + np.random.default_rng(1).normal(0, 10, lr.shape), 0, 255).astype(np.uint8)
    assert features(lr)["noise"] < 2.5
    # Noise of sigma 10 in each of R, G and B is 10 * |luma weights| = 6.7 in the luma.
    assert 5.5 < features(noisy)["noise"] < 8


def test_jpeg_leaves_its_grid_and_an_uncompressed_image_none():
    lr = downscale(scene(), 2, "matlab")
    clean, q30, q90 = features(lr), features(jpeg(lr, 30)), features(jpeg(lr, 90))
    assert abs(clean["jpeg_grid"]) < 0.05
    assert abs(clean["jpeg_zeros"]) < 0.05
    assert q90["jpeg_zeros"] > 0.2
    assert q30["jpeg_zeros"] > q90["jpeg_zeros"]
    assert q30["jpeg_grid"] > clean["jpeg_grid"] + 0.05


def test_a_downscale_without_antialiasing_keeps_more_next_to_nyquist():
    hr = scene()
    careful, plain, nearest = (features(downscale(hr, 2, k))["nyquist_ratio"] for k in ("matlab", "cubic_sharp",
                                                                                          "nearest"))
    assert careful + 0.5 < min(plain, nearest)


def test_windows_sit_on_the_jpeg_grid_and_small_images_are_one_window():
    y = np.arange(300 * 500, dtype=np.float32).reshape(300, 500)  # each pixel holds its index
    wins = windows(y)
    corners = [divmod(int(w[0, 0]), 500) for w in wins]
    assert all(top % 8 == 0 and left % 8 == 0 for top, left in corners)
    assert len(set(corners)) == len(wins)
    assert len(wins) <= 64
    assert all(w.shape == (64, 64) for w in wins)
    assert all((w.base is y or w.base is y.base) for w in wins)
    assert windows(np.zeros((20, 37), np.float32))[0].shape == (16, 32)


@pytest.mark.parametrize("shape", [(9, 9, 3), (64, 64, 3), (700, 90, 3), (50, 50)])
def test_every_image_shape_gives_finite_features_in_order(shape):
    img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    v = vector(img)
    assert v.shape == (len(FEATURES),)
    assert np.all(np.isfinite(v))
