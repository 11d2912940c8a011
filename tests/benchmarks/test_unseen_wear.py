"""The unseen-wear benchmark's conditions make what they say, seeded."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.unseen_conditions import CONDITIONS, clean, lanczos_unaliased
from pipeline.randomness import rng_for
from tests.support.images import photo_like


@pytest.mark.parametrize("name", list(CONDITIONS))
def test_each_condition_makes_a_worn_lr_of_half_the_size_the_same_way_twice(name):
    hr = photo_like(64, 80)
    lr = CONDITIONS[name](hr, rng_for(7, "a.png"))
    assert (lr.shape, lr.dtype) == ((32, 40, 3), np.uint8)
    assert np.array_equal(lr, CONDITIONS[name](hr, rng_for(7, "a.png")))
    assert not np.array_equal(lr, clean(hr))


def test_lanczos_samples_each_blocks_centre_without_widening():
    ramp = np.broadcast_to(np.arange(40, dtype=np.uint8)[None, :, None] * 4, (40, 40, 3)).copy()
    lr = lanczos_unaliased(ramp)
    assert np.allclose(lr[10, 5:15, 0], 4 * (2 * np.arange(5, 15) + 0.5), atol=1)  # the centre, 2i + 0.5
    # Stripes of period 3 HR pixels lie above the LR's Nyquist: antialiasing all but removes
    # them (MATLAB's bicubic keeps 31 of 255 levels of contrast), this aliases them (173).
    row = np.round(127.5 + 127.5 * np.cos(2 * np.pi * np.arange(48) / 3)).astype(np.uint8)
    stripes = np.broadcast_to(row[None, :, None], (48, 48, 3)).copy()
    inner = (20, slice(4, -4), 0)
    assert np.ptp(lanczos_unaliased(stripes)[inner]) > 4 * np.ptp(clean(stripes)[inner])
