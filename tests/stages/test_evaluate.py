"""The evaluate stage draws the same pictures, byte for byte, every run."""

from __future__ import annotations

from PIL import Image

from pipeline.imaging import pictures
from pipeline.imaging.images import load_rgb, save_png
from pipeline.imaging.resize import downscale
from tests.support.images import photo_like
from tests.support.models import tiny_params, write_params
from tests.support.sandbox import python


def test_the_evaluate_stage_draws_the_same_pictures_twice(tmp_path, model_path):
    for split, seed in [("train", 1), ("val", 2), ("test", 3), ("test", 4)]:
        hr = photo_like(96, 112, seed)
        save_png(hr, tmp_path / "hr" / split / f"img{seed}.png")
        save_png(downscale(hr, 2, "matlab"), tmp_path / "lr" / split / f"img{seed}.png")
    params = write_params(tmp_path / "params.yaml", tiny_params(evaluate={"pictures": 2}))
    runs = []
    for run in ("a", "b"):
        python("-m", "pipeline.stages.evaluate", "--model", str(model_path), "--lr", str(tmp_path / "lr"),
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
