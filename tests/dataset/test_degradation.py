"""The degradations of the downscale stage: off by default, seeded, each one what it says."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.dataset.degradation import degrade
from pipeline.imaging.resize import downscale
from pipeline.params import load_params
from pipeline.randomness import rng_for
from tests.support.images import photo_like
from tests.support.models import PARAMS_FILE

DEFAULT = load_params(PARAMS_FILE).downscale


def worn(**change):
    return DEFAULT.model_copy(update=change)


def test_degradations_are_off_by_default_and_seeded():
    hr = photo_like(32, 32)
    assert np.array_equal(degrade(hr, 2, DEFAULT, rng_for(1, "a")), downscale(hr, 2, "matlab"))
    on = worn(kernels=("matlab", "box", "cubic_sharp"), jpeg_quality=(30, 60), blur_sigma=(0.5, 1.5),
              noise_sigma=(1.0, 5.0), jpeg_twice=0.5)
    a = degrade(hr, 2, on, rng_for(1, "a"))
    assert np.array_equal(a, degrade(hr, 2, on, rng_for(1, "a")))
    assert not np.array_equal(a, downscale(hr, 2, "matlab"))
    assert not np.array_equal(a, degrade(hr, 2, on, rng_for(2, "a")))


def test_each_kernel_is_drawn_and_those_without_antialiasing_alias():
    x = np.arange(64)
    row = (127.5 + 127.5 * np.sin(2 * np.pi * x / 2.6)).astype(np.uint8)  # above the LR Nyquist limit
    hr = np.repeat(np.repeat(row[None, :, None], 64, 0), 3, 2)
    kernels = ("matlab", "pillow", "bilinear", "box", "lanczos", "nearest", "cubic_sharp")
    drawn = {degrade(hr, 2, worn(kernels=kernels), rng_for(k, "stripes")).tobytes() for k in range(100)}
    assert len(drawn) == len(kernels)  # every kernel drawn, each its own result
    # What survives of a frequency the LR cannot hold: antialiased kernels remove it, the
    # others fold it into a false pattern (the model must learn to undo it, not sharpen it).
    left = {name: downscale(hr, 2, name)[4:-4, 4:-4, 0].std() for name in kernels}
    assert max(left[k] for k in ("matlab", "pillow", "bilinear", "lanczos")) < 6
    assert min(left["nearest"], left["cubic_sharp"]) > 40


@pytest.mark.parametrize(("change", "what"), [
    ({"noise_sigma": (8.0, 8.0)}, "noise"), ({"jpeg_quality": (10, 10)}, "jpeg"), ({"blur_sigma": (2.0, 2.0)}, "blur"),
])
def test_a_probability_of_zero_turns_a_degradation_off_and_one_always_on(change, what):
    hr = photo_like(48, 48, 3)
    clean = downscale(hr, 2, "matlab")
    prob = f"{what}_prob"
    never = degrade(hr, 2, worn(**change, **{prob: 0.0}), rng_for(3, "x"))
    always = degrade(hr, 2, worn(**change, **{prob: 1.0}), rng_for(3, "x"))
    assert np.array_equal(never, clean)
    assert np.abs(always.astype(int) - clean).mean() > 1.5


def test_grey_noise_is_the_same_in_every_channel_and_off_keeps_the_old_draws():
    hr = np.clip(photo_like(48, 48, 3), 40, 215).astype(np.uint8)  # no clipping of the noise at 0 or 255
    clean = downscale(hr, 2, "matlab").astype(int)
    noisy = {"noise_sigma": (6.0, 6.0), "noise_prob": 1.0}
    grey = degrade(hr, 2, worn(**noisy, noise_grey=1.0), rng_for(3, "x")).astype(int) - clean
    assert np.abs(grey).mean() > 3
    assert np.array_equal(grey[..., 0], grey[..., 1])
    assert np.array_equal(grey[..., 0], grey[..., 2])
    colour = degrade(hr, 2, worn(**noisy, noise_grey=0.0), rng_for(3, "x")).astype(int) - clean
    assert (colour[..., 0] != colour[..., 1]).mean() > 0.5
    # noise_grey 0 draws nothing more, so the recipes trained before it existed keep their bytes.
    rng = rng_for(3, "x")
    rng.random()  # the noise_prob draw
    before = np.clip(np.round(clean + rng.normal(0.0, float(rng.uniform(6.0, 6.0)), clean.shape)), 0, 255)
    assert np.array_equal(colour + clean, before)
