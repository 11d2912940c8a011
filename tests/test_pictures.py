"""The evaluation pictures: chosen where the detail is, labelled, and the same bytes every run."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pipeline import pictures
from pipeline.images import load_rgb, save_png
from pipeline.metrics import luma
from pipeline.resize import downscale, upscale
from tests.helpers import photo_like, python, tiny_params, write_params


def sky_and_field(h: int = 160, w: int = 160) -> np.ndarray:
    """Flat sky above, texture below: the kind of photo whose first crop is all sky."""
    img = photo_like(h, w, 3)
    img[: h // 2] = (150, 180, 220)
    return img


def test_chosen_crops_are_never_flat_and_show_the_biggest_difference():
    hr = sky_and_field()
    bicubic = upscale(downscale(hr, 2, "matlab"), 2, "matlab")
    # A "model" that fixes bicubic's error in one textured square only.
    sr = bicubic.copy()
    sr[100:148, 60:108] = hr[100:148, 60:108]
    chosen = pictures.choose(pictures.candidates(0, sr, bicubic, hr), 2)
    assert len(chosen) == 2
    for c in chosen:
        assert pictures.detail(luma(hr[c.y:c.y + 48, c.x:c.x + 48])) >= pictures.MIN_DETAIL
        assert c.y >= 80 - 24  # in the field, not the sky
    best = chosen[0]
    assert abs(best.y - 100) <= 24
    assert abs(best.x - 60) <= 24
    assert abs(chosen[0].y - chosen[1].y) >= 48 or abs(chosen[0].x - chosen[1].x) >= 48  # no overlap


def test_a_crop_comparison_is_labelled_and_enlarged():
    hr = sky_and_field()
    bicubic = upscale(downscale(hr, 2, "matlab"), 2, "matlab")
    pic = pictures.crop_comparison({"bicubic": bicubic, "model": hr}, hr, pictures.Crop(0, 96, 64, 1.0))
    panel = 48 * pictures.ZOOM
    assert pic.shape == (panel + pictures.LABEL_H, 3 * panel + 2 * pictures.GAP, 3)
    label_bar = pic[: pictures.LABEL_H, :panel]
    assert label_bar.min() < 100  # dark text on the white bar
    crop = pic[pictures.LABEL_H:, 2 * (panel + pictures.GAP):]
    assert np.array_equal(crop[::pictures.ZOOM, ::pictures.ZOOM], hr[96:144, 64:112])  # nearest zoom: real pixels


def test_the_evaluate_stage_draws_the_same_pictures_twice(tmp_path, model_path):
    for split, seed in [("train", 1), ("val", 2), ("test", 3), ("test", 4)]:
        hr = photo_like(96, 112, seed)
        save_png(hr, tmp_path / "hr" / split / f"img{seed}.png")
        save_png(downscale(hr, 2, "matlab"), tmp_path / "lr" / split / f"img{seed}.png")
    params = write_params(tmp_path / "params.yaml", tiny_params(evaluate={"pictures": 2}))
    runs = []
    for run in ("a", "b"):
        python("-m", "pipeline.evaluate", "--model", str(model_path), "--lr", str(tmp_path / "lr"),
               "--hr", str(tmp_path / "hr"), "--metrics", str(tmp_path / run / "eval.json"),
               "--table", str(tmp_path / run / "images.csv"), "--pictures", str(tmp_path / run / "pictures"),
               "--params", str(params))
        runs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run / "pictures").iterdir())})
    assert runs[0] == runs[1]
    names = set(runs[0])
    assert {"test_whole_00.png", "test_whole_01.png", "gain_per_image.png"} <= names
    assert {"test_crop_00.png", "test_crop_01.png", "val_crop_00.png"} <= names
    whole = load_rgb(tmp_path / "a" / "pictures" / "test_whole_00.png")
    assert whole.shape[1] == 3 * 112 + 2 * pictures.GAP  # bicubic | model | truth
    assert Image.open(tmp_path / "a" / "pictures" / "gain_per_image.png").size[0] == 640
