"""`python -m pipeline.showcase`: the README's picture, from a test split, in this process."""

from __future__ import annotations

from PIL import Image

from pipeline.imaging.images import save_png
from pipeline.imaging.resize import downscale
from pipeline.tools.showcase import CROP, ZOOM, main
from tests.support.images import photo_like
from tests.support.sandbox import call


def test_the_picture_is_three_labelled_zoomed_crops(tmp_path, model_path, capsys):
    for seed in (1, 2):
        hr = photo_like(200, 220, seed)
        save_png(hr, tmp_path / "hr" / f"p{seed}.png")
        save_png(downscale(hr, 2, "matlab"), tmp_path / "lr" / f"p{seed}.png")
    out = tmp_path / "before_after.png"
    status, stdout, _ = call(main, capsys, "--model", model_path, "--hr", tmp_path / "hr", "--lr", tmp_path / "lr",
                             "--out", out)
    assert status == 0
    assert f"showcase: {out}" in stdout
    picture = Image.open(out)
    assert picture.width > 3 * CROP * ZOOM  # bicubic | model | truth, with gaps
    assert picture.height > CROP * ZOOM     # and a label above


def test_a_split_with_nothing_to_show_is_an_error(tmp_path, model_path, capsys):
    (tmp_path / "hr").mkdir()
    (tmp_path / "lr").mkdir()
    status, _, err = call(main, capsys, "--model", model_path, "--hr", tmp_path / "hr", "--lr", tmp_path / "lr",
                          "--out", tmp_path / "x.png")
    assert status == 1
    assert f"showcase: {tmp_path / 'hr'}: no textured {CROP}-pixel crop to show" in err
    assert not (tmp_path / "x.png").exists()
