"""Crops: the grid, exact sizes and pixels, the seeded mode, the error naming the param."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.dataset.cropping import crops, tile_origins
from pipeline.params import Crop
from pipeline.randomness import rng_for
from tests.support.images import photo_like


def test_tiles_cover_the_grid_and_respect_the_cap():
    assert tile_origins(100, 70, 32, 32, 100) == [(0, 0), (0, 32), (32, 0), (32, 32), (64, 0), (64, 32)]
    thinned = tile_origins(100, 70, 32, 32, 3)
    assert len(thinned) == 3
    assert thinned[0] == (0, 0)
    assert thinned[-1] == (64, 32)


@pytest.mark.parametrize(("mode", "count"), [("tiles", 6), ("center", 1), ("seed", 1)])
def test_every_crop_has_the_exact_size(mode, count):
    img = photo_like(100, 70)
    out = crops(img, Crop(mode=mode, side=32, stride=32, max_per_image=50), rng_for(7, "x.png"))
    assert len(out) == count
    assert all(c.shape == (32, 32, 3) for c in out)


def test_center_and_tiles_are_exact_pixels_of_the_input():
    img = photo_like(100, 70)
    (center,) = crops(img, Crop(mode="center", side=32, stride=32, max_per_image=1), rng_for(7, "x"))
    assert np.array_equal(center, img[34:66, 19:51])


def test_seed_mode_resizes_the_shorter_side_and_is_seeded():
    img = photo_like(100, 70)
    p = Crop(mode="seed", side=64, stride=64, max_per_image=1)
    a, b = crops(img, p, rng_for(7, "x.png"))[0], crops(img, p, rng_for(7, "x.png"))[0]
    assert np.array_equal(a, b)
    others = [crops(img, p, rng_for(seed, "x.png"))[0] for seed in range(8)]
    assert any(not np.array_equal(a, o) for o in others)


def test_too_small_is_an_error_naming_the_param():
    with pytest.raises(ValueError, match="crop.side=64"):
        crops(photo_like(40, 80), Crop(mode="center", side=64, stride=64, max_per_image=1), rng_for(0, "x"))
