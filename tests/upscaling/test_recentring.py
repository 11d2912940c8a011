"""Moving results of nearest-made inputs: the right pixel for each program, the right
direction, the mean of both when the program is unknown, and the same bytes however the
engine's bands fall."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.imaging.quality import psnr_y
from pipeline.imaging.resize import downscale, interpolate
from pipeline.upscaling.recentring import KERNEL, NEAREST_KEPT, PROGRAMS, UNKNOWN, moved, moved_bands, offset, taps
from tests.support.images import smooth_field

OTHER = {"pillow": "opencv", "opencv": "pillow"}


@pytest.mark.parametrize("program", NEAREST_KEPT)
def test_each_program_keeps_the_pixel_its_offset_assumes(program):
    hr = np.random.default_rng(1).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    kept = 1 if program == "pillow" else 0
    assert np.array_equal(downscale(hr, 2, KERNEL[program]), hr[kept::2, kept::2])
    assert offset(2, program) == 0.5 - kept


def test_half_a_pixel_is_keys_cubic_and_a_whole_one_is_a_plain_shift():
    offsets, weights = taps(-0.5)
    assert offsets.tolist() == [-2, -1, 0, 1]
    assert np.allclose(weights, [-1 / 16, 9 / 16, 9 / 16, -1 / 16])
    assert [a.tolist() for a in taps(1.0)] == [[1], [1.0]]


@pytest.mark.parametrize("program", NEAREST_KEPT)
def test_a_result_drawn_at_the_centres_moves_onto_its_scene(program):
    """Bicubic from a nearest LR draws the scene as every network does, from the centres."""
    hr = smooth_field(96, 128, seed=2, cells=12)
    drawn = interpolate(downscale(hr, 2, KERNEL[program]), 2, "matlab")
    as_drawn = psnr_y(drawn, hr, 2)
    assert psnr_y(moved(drawn, 2, program), hr, 2) > as_drawn + 3
    assert psnr_y(moved(drawn, 2, OTHER[program]), hr, 2) < as_drawn  # a whole HR pixel off


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("cuts", [[], [1], [1, 2, 3], [2, 7, 8, 30], list(range(1, 40))])
def test_bands_give_the_bytes_of_the_whole(program, cuts):
    img = np.random.default_rng(4).integers(0, 256, (40, 9, 3), dtype=np.uint8)
    whole = moved(img, 2, program)
    streamed = list(moved_bands(np.split(img, cuts), 2, program))
    assert sum(len(b) for b in streamed) == 40
    assert np.array_equal(np.concatenate(streamed), whole)


def test_unknown_is_the_mean_of_both_moves_and_beats_no_move_from_either_phase():
    img = smooth_field(30, 22, seed=6)  # no overshoot for the clipping to take away
    mean = (moved(img, 2, "pillow").astype(int) + moved(img, 2, "opencv")) / 2
    assert np.abs(moved(img, 2, UNKNOWN) - mean).max() <= 1  # one rounding, not two
    assert not np.array_equal(moved(img, 2, UNKNOWN), img)
    hr = smooth_field(96, 128, seed=3, cells=24)  # detail near LR's Nyquist, where the mean pays
    for program in NEAREST_KEPT:
        drawn = interpolate(downscale(hr, 2, KERNEL[program]), 2, "matlab")
        as_drawn, named = psnr_y(drawn, hr, 2), psnr_y(moved(drawn, 2, program), hr, 2)
        assert as_drawn + 0.05 < psnr_y(moved(drawn, 2, UNKNOWN), hr, 2) < named


def test_a_move_of_the_rows_is_the_move_of_the_columns_transposed():
    img = np.random.default_rng(5).integers(0, 256, (14, 14, 3), dtype=np.uint8)
    assert np.array_equal(moved(img.transpose(1, 0, 2), 2, "pillow"), moved(img, 2, "pillow").transpose(1, 0, 2))


def test_shapes_and_types_are_kept_and_odd_pillow_scales_are_already_centred():
    gray = smooth_field(20, 24)[..., 0]
    out = moved(gray, 2, "pillow")
    assert (out.shape, out.dtype) == (gray.shape, np.uint8)
    rgb = smooth_field(21, 27)
    assert np.array_equal(moved(rgb, 3, "pillow"), rgb)  # floor((i + 0.5) 3) = 3i + 1, the centre
    assert np.array_equal(moved(rgb, 3, "opencv")[:-1, :-1], rgb[1:, 1:])  # a whole pixel
