"""The degradations of the downscale stage: seeded, and off by default."""

from __future__ import annotations

import numpy as np

from pipeline.dataset.degradation import degrade
from pipeline.imaging.resize import downscale
from pipeline.params import Downscale
from pipeline.randomness import rng_for
from tests.support.images import photo_like


def test_degradations_are_seeded_and_off_by_default():
    hr = photo_like(32, 32)
    off = Downscale(method="matlab", jpeg_quality=(), blur_sigma=(), noise_sigma=0.0)
    assert np.array_equal(degrade(hr, 2, off, rng_for(1, "a")), downscale(hr, 2, "matlab"))
    on = Downscale(method="matlab", jpeg_quality=(30, 60), blur_sigma=(0.5, 1.5), noise_sigma=3.0)
    a = degrade(hr, 2, on, rng_for(1, "a"))
    assert np.array_equal(a, degrade(hr, 2, on, rng_for(1, "a")))
    assert not np.array_equal(a, downscale(hr, 2, "matlab"))
    assert not np.array_equal(a, degrade(hr, 2, on, rng_for(2, "a")))
