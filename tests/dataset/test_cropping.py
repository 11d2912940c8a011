"""Crops: the grid, exact sizes and pixels, the seeded mode, the error naming the param."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.dataset.cropping import crop_file, crops, tile_origins
from pipeline.imaging.images import load_rgb, save_png
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


@pytest.mark.parametrize("mode", ["tiles", "center"])
def test_a_photo_smaller_than_a_crop_is_kept_whole(mode, tmp_path):
    """It once stopped the crop stage (a 384x191 wallpaper under crop.side 192)."""
    img = photo_like(191, 384)
    assert [c.shape for c in crops(img, Crop(mode=mode, side=192, stride=192, max_per_image=40), rng_for(0, "x"))] \
        == [img.shape]
    (tmp_path / "train").mkdir()
    save_png(img, tmp_path / "wide.png")
    p = Crop(mode=mode, side=192, stride=192, max_per_image=40)
    assert crop_file((tmp_path / "wide.png", tmp_path / "train"), p, seed=0, scale=2) == 1
    assert load_rgb(tmp_path / "train" / "wide_000.png").shape == (190, 384, 3)  # a multiple of the scale
