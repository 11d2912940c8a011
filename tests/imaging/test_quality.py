"""PSNR/SSIM against hand-computed cases and an independent implementation (scikit-image)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from pipeline.imaging.quality import luma, mean_scores, pixel_accuracy, psnr, score, shave, ssim
from tests.support.images import photo_like


def test_psnr_of_a_known_mse():
    a = np.zeros((10, 10))
    assert psnr(a, a + 1) == pytest.approx(10 * math.log10(255**2))  # MSE 1 -> 48.13 dB
    assert psnr(a, a + 10) == pytest.approx(28.1308, abs=1e-4)
    assert psnr(a, a) == math.inf


def test_psnr_matches_scikit_image():
    a, b = photo_like(40, 40, 1), photo_like(40, 40, 2)
    assert psnr(a, b) == pytest.approx(peak_signal_noise_ratio(a, b, data_range=255))


def test_ssim_matches_scikit_image_gaussian_protocol():
    a = luma(photo_like(48, 56, 1))
    b = luma(np.clip(photo_like(48, 56, 1) + np.random.default_rng(0).normal(0, 12, (48, 56, 3)), 0, 255))
    ref = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                data_range=255)
    assert ssim(a, b) == pytest.approx(ref, abs=1e-6)
    assert ssim(a, a) == pytest.approx(1.0)


def test_luma_is_bt601_unrounded():
    px = np.array([[[255, 255, 255], [0, 0, 0], [10, 20, 30]]], np.uint8)
    y = luma(px)[0]
    assert y[0] == pytest.approx(235.0)
    assert y[1] == pytest.approx(16.0)
    assert y[2] == pytest.approx(16 + (65.481 * 10 + 128.553 * 20 + 24.966 * 30) / 255)


def test_shave_on_odd_sizes():
    assert shave(np.zeros((17, 13)), 2).shape == (13, 9)
    assert shave(np.zeros((17, 13)), 0).shape == (17, 13)


def test_accuracy_counts_pixels_with_every_channel_within_tolerance():
    truth = np.zeros((1, 4, 3), np.uint8)
    pred = np.array([[[8, 8, 8], [9, 0, 0], [0, 0, 8], [0, 20, 0]]], np.uint8)
    assert pixel_accuracy(pred, truth, 8) == 0.5


def test_score_handles_grayscale_and_perfect_images():
    gray = np.repeat(photo_like(32, 32)[..., :1], 3, axis=-1)
    s = score(gray, gray, 2, 8, gray=True)
    assert s["psnr_y"] == math.inf
    assert s["ssim"] == pytest.approx(1.0)
    assert s["accuracy"] == 1.0
    assert mean_scores([{"psnr_y": math.inf}, {"psnr_y": 30.0}, {"psnr_y": 40.0}]) == {"psnr_y": 35.0}
