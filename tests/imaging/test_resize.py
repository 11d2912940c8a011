"""MATLAB-compatible bicubic against values computed here by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.imaging.resize import cubic, downscale, imresize, interpolate, modcrop
from tests.support.images import photo_like

# MATLAB's x1/2 bicubic: Keys' kernel stretched to 8 taps, weights cubic(d/2)/2 at
# distances 3.5, 2.5, ..., -3.5 from the output centre (which lies between two inputs).
HALF_TAPS = np.array([-0.0234375, -0.0703125, 0.2265625, 0.8671875,
                      0.8671875, 0.2265625, -0.0703125, -0.0234375]) / 2


def reference_half(row: np.ndarray) -> np.ndarray:
    """out[k] = sum_j HALF_TAPS[j] * in[2k - 3 + j], edges mirrored (MATLAB 'symmetric')."""
    n = len(row)
    padded = np.concatenate([row[2::-1], row, row[: n - 4: -1]])  # in[-3..-1] = in[2], in[1], in[0]
    return np.array([HALF_TAPS @ padded[2 * k: 2 * k + 8] for k in range(n // 2)])


def test_kernel_values():
    assert cubic(np.array([0.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.0]
    assert cubic(np.array([0.5]))[0] == pytest.approx(0.5625)
    assert HALF_TAPS.sum() == pytest.approx(1.0)


def test_matlab_half_matches_the_hand_computed_filter():
    rng = np.random.default_rng(3)
    row = rng.integers(0, 256, 20).astype(np.float64)
    img = np.tile(row.astype(np.uint8), (6, 1))  # constant down the columns
    got = imresize(img, 0.5, (3, 10))
    expected = np.clip(np.round(reference_half(row)), 0, 255)
    assert np.array_equal(got[1], expected)


def test_constant_and_ramp():
    flat = np.full((10, 12, 3), 77, np.uint8)
    assert np.all(downscale(flat, 2, "matlab") == 77)
    assert np.all(interpolate(flat[:5, :6], 2, "matlab") == 77)
    ramp = np.tile((np.arange(16) * 10).astype(np.uint8), (4, 1))
    # Away from the edges a linear ramp halves to the mean of each pair.
    assert downscale(ramp, 2, "matlab")[0, 2:6].tolist() == [45, 65, 85, 105]


def test_matlab_and_pillow_agree_away_from_the_border():
    img = photo_like(64, 64)
    a = downscale(img, 2, "matlab").astype(int)
    b = downscale(img, 2, "pillow").astype(int)
    assert np.abs(a - b)[3:-3, 3:-3].max() <= 1


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_sizes_for_every_scale(scale):
    hr = modcrop(photo_like(50, 38), scale)
    assert hr.shape[0] % scale == 0
    assert hr.shape[1] % scale == 0
    for method in ("matlab", "pillow"):
        lr = downscale(hr, scale, method)
        assert lr.shape == (hr.shape[0] // scale, hr.shape[1] // scale, 3)
        assert interpolate(lr, scale, method).shape == hr.shape
    with pytest.raises(ValueError, match="not a multiple of scale"):
        downscale(photo_like(7, 9), 2, "matlab")


def test_the_two_nearest_kernels_keep_opposite_corners_of_each_block():
    hr = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    assert np.array_equal(downscale(hr, 2, "nearest"), hr[1::2, 1::2])  # Pillow's: lower-right
    assert np.array_equal(downscale(hr, 2, "nearest_opencv"), hr[::2, ::2])  # OpenCV's: upper-left
