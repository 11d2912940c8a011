"""The evaluation pictures: chosen where the detail is, labelled and enlarged."""

from __future__ import annotations

import numpy as np

from pipeline.imaging import pictures
from pipeline.imaging.detail import detail
from pipeline.imaging.resize import downscale, interpolate
from tests.support.images import photo_like


def sky_and_field(h: int = 160, w: int = 160) -> np.ndarray:
    """Flat sky above, texture below: the kind of photo whose first crop is all sky."""
    img = photo_like(h, w, 3)
    img[: h // 2] = (150, 180, 220)
    return img


def test_chosen_crops_are_never_flat_and_show_the_biggest_difference():
    hr = sky_and_field()
    bicubic = interpolate(downscale(hr, 2, "matlab"), 2, "matlab")
    # A "model" that fixes bicubic's error in one textured square only.
    sr = bicubic.copy()
    sr[100:148, 60:108] = hr[100:148, 60:108]
    chosen = pictures.choose(pictures.candidates(0, sr, bicubic, hr), 2)
    assert len(chosen) == 2
    for c in chosen:
        assert detail(hr[c.y:c.y + 48, c.x:c.x + 48]) >= pictures.MIN_DETAIL
        assert c.y >= 80 - 24  # in the field, not the sky
    best = chosen[0]
    assert abs(best.y - 100) <= 24
    assert abs(best.x - 60) <= 24
    assert abs(chosen[0].y - chosen[1].y) >= 48 or abs(chosen[0].x - chosen[1].x) >= 48  # no overlap


def test_a_crop_comparison_is_labelled_and_enlarged():
    hr = sky_and_field()
    bicubic = interpolate(downscale(hr, 2, "matlab"), 2, "matlab")
    pic = pictures.crop_comparison({"bicubic": bicubic, "model": hr}, hr, pictures.Region(0, 96, 64, 1.0))
    panel = 48 * pictures.ZOOM
    assert pic.shape == (panel + pictures.LABEL_H, 3 * panel + 2 * pictures.GAP, 3)
    label_bar = pic[: pictures.LABEL_H, :panel]
    assert label_bar.min() < 100  # dark text on the white bar
    crop = pic[pictures.LABEL_H:, 2 * (panel + pictures.GAP):]
    assert np.array_equal(crop[::pictures.ZOOM, ::pictures.ZOOM], hr[96:144, 64:112])  # nearest zoom: real pixels
