from __future__ import annotations

import numpy as np
import pytest

from pipeline.crop import crops, tile_origins
from pipeline.params import Crop
from pipeline.randomness import rng_for
from tests.helpers import photo_like


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


def test_missing_or_empty_splits_are_not_an_error(tmp_path):
    """A small scrape can leave a split empty, and DVC does not restore empty folders."""
    from pipeline.images import save_png
    from tests.helpers import python, tiny_params, write_params

    save_png(photo_like(70, 70), tmp_path / "filtered" / "train" / "a.png")
    params = write_params(tmp_path / "params.yaml", tiny_params(crop={"mode": "tiles"}))
    python("-m", "pipeline.crop", str(tmp_path / "filtered"), str(tmp_path / "hr"), "--params", str(params))
    python("-m", "pipeline.downscale", str(tmp_path / "hr"), str(tmp_path / "lr"), "--params", str(params))
    assert len(list((tmp_path / "lr" / "train").iterdir())) == 4
    assert [list((tmp_path / d / s).iterdir()) for d in ("hr", "lr") for s in ("val", "test")] == [[]] * 4


def test_validation_and_test_images_stay_whole(tmp_path):
    from pipeline.images import load_rgb, save_png
    from tests.helpers import python, tiny_params, write_params

    for split in ("train", "val", "test"):
        save_png(photo_like(71, 90), tmp_path / "filtered" / split / "a.png")
    params = write_params(tmp_path / "params.yaml", tiny_params(crop={"mode": "tiles"}))
    python("-m", "pipeline.crop", str(tmp_path / "filtered"), str(tmp_path / "hr"), "--params", str(params))
    assert len(list((tmp_path / "hr" / "train").iterdir())) == 4  # 32-pixel tiles
    for split in ("val", "test"):
        assert load_rgb(tmp_path / "hr" / split / "a.png").shape == (70, 90, 3)  # cut to a multiple of 2
