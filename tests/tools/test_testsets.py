"""`python -m pipeline.testsets` on folders of PNGs, checked independently."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio

from pipeline.tools.testsets import main
from tests.support.images import photo_like
from tests.support.sandbox import call, python


def independent_bicubic_psnr_y(hr: np.ndarray) -> float:
    """Pillow bicubic down and up, Y by the BT.601 formula, 2-pixel shave: no project code."""
    h, w = hr.shape[0] // 2 * 2, hr.shape[1] // 2 * 2
    hr = hr[:h, :w]
    lr = Image.fromarray(hr).resize((w // 2, h // 2), Image.Resampling.BICUBIC)
    up = np.asarray(lr.resize((w, h), Image.Resampling.BICUBIC)).astype(np.float64)
    def to_y(a):
        return 16 + (65.481 * a[..., 0] + 128.553 * a[..., 1] + 24.966 * a[..., 2]) / 255
    return peak_signal_noise_ratio(to_y(hr.astype(np.float64))[2:-2, 2:-2], to_y(up)[2:-2, 2:-2], data_range=255)


def test_a_folder_gives_a_table_and_json(tmp_path, model_path, capsys):
    """The one run in a process of its own: the command as a user types it."""
    hr_dir = tmp_path / "set"
    hr_dir.mkdir()
    images = {"a.png": photo_like(41, 53, 1), "b.png": photo_like(64, 48, 2)}
    for name, img in images.items():
        Image.fromarray(img).save(hr_dir / name)
    Image.fromarray(photo_like(40, 40, 3)[..., 0]).save(hr_dir / "gray.png")
    out = tmp_path / "scores.json"
    proc = python("-m", "pipeline.testsets", str(hr_dir), "--model", str(model_path), "--json", str(out),
                  "--downscale", "pillow")
    assert "set: 3 images" in proc.stdout
    assert "bicubic" in proc.stdout
    assert "gain over bicubic" in proc.stdout
    summary = json.loads(out.read_text())["set"]
    assert set(summary) >= {"model", "bicubic", "nearest", "gain_db", "images"}
    assert summary["images"] == 3
    # The untrained model starts as bicubic (its skip), so it is within a hair of it.
    assert abs(summary["gain_db"]) < 0.5
    assert summary["bicubic"]["psnr_y"] > summary["nearest"]["psnr_y"]

    colour_only = tmp_path / "colour"
    colour_only.mkdir()
    for name, img in images.items():
        Image.fromarray(img).save(colour_only / name)
    assert call(main, capsys, colour_only, "--model", model_path, "--json", out, "--downscale", "pillow")[0] == 0
    expected = np.mean([independent_bicubic_psnr_y(img) for img in images.values()])
    assert json.loads(out.read_text())["colour"]["bicubic"]["psnr_y"] == pytest.approx(expected, abs=5e-5)  # 4 decimals


def test_files_that_cannot_be_scored_are_listed_and_the_rest_scored(tmp_path, model_path, capsys):
    from tests.support.images import bomb_png, encoded

    folder = tmp_path / "set"
    folder.mkdir()
    Image.fromarray(photo_like(40, 44, 1)).save(folder / "good.png")
    whole = encoded(photo_like(64, 64, 2), "JPEG")
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (folder / "bomb.png").write_bytes(bomb_png(10_000, 7_000))  # 70 MP declared
    Image.fromarray(photo_like(1, 1, 3)).save(folder / "dot.png")
    Image.fromarray(photo_like(7, 7, 4)).save(folder / "tiny.png")
    out = tmp_path / "s.json"
    status, _, err = call(main, capsys, folder, "--model", model_path, "--json", out)
    assert status == 1
    assert json.loads(out.read_text())["set"]["images"] == 1
    assert f"skipped {folder / 'truncated.jpg'}: cannot decode" in err
    assert f"skipped {folder / 'bomb.png'}: 10000x7000 = 70000000 pixels exceeds the cap" in err
    assert f"skipped {folder / 'dot.png'}: 1x1 is too small to score at x2" in err
    assert f"skipped {folder / 'tiny.png'}: 7x7 is too small to score at x2" in err
    assert "4 file(s) skipped" in err
    assert "Traceback" not in err
