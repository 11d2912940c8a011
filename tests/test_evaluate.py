"""`python -m pipeline.evaluate --hr-dir` on a folder of PNGs, checked independently."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio

from pipeline.params import load_params
from tests.conftest import REPO, photo_like, python, tiny_params, write_params

keras = pytest.importorskip("keras")


@pytest.fixture
def untrained_model(tmp_path):
    from pipeline.model import build_model

    m = dataclasses.replace(load_params(REPO / "params.yaml").model, blocks=1, filters=8)
    path = tmp_path / "model.keras"
    build_model(m, 2).save(path)
    return path


def independent_bicubic_psnr_y(hr: np.ndarray) -> float:
    """Pillow bicubic down and up, Y by the BT.601 formula, 2-pixel shave: no project code."""
    h, w = hr.shape[0] // 2 * 2, hr.shape[1] // 2 * 2
    hr = hr[:h, :w]
    lr = Image.fromarray(hr).resize((w // 2, h // 2), Image.Resampling.BICUBIC)
    up = np.asarray(lr.resize((w, h), Image.Resampling.BICUBIC)).astype(np.float64)
    to_y = lambda a: 16 + (65.481 * a[..., 0] + 128.553 * a[..., 1] + 24.966 * a[..., 2]) / 255  # noqa: E731
    return peak_signal_noise_ratio(to_y(hr.astype(np.float64))[2:-2, 2:-2], to_y(up)[2:-2, 2:-2], data_range=255)


def test_hr_dir_prints_a_table_and_writes_json(tmp_path, untrained_model):
    hr_dir = tmp_path / "set"
    hr_dir.mkdir()
    images = {"a.png": photo_like(41, 53, 1), "b.png": photo_like(64, 48, 2)}
    for name, img in images.items():
        Image.fromarray(img).save(hr_dir / name)
    Image.fromarray(photo_like(40, 40, 3)[..., 0]).save(hr_dir / "gray.png")
    params = write_params(tmp_path / "params.yaml", tiny_params(downscale={"method": "pillow"}))
    out = tmp_path / "scores.json"
    proc = python("-m", "pipeline.evaluate", "--model", str(untrained_model), "--hr-dir", str(hr_dir),
                  "--json", str(out), "--params", str(params))
    assert "set: 3 images" in proc.stdout and "bicubic" in proc.stdout and "gain over bicubic" in proc.stdout
    summary = json.loads(out.read_text())
    assert set(summary) >= {"model", "bicubic", "nearest", "gain_db", "images"}
    assert summary["images"] == 3
    # The untrained model starts as bicubic (its skip), so it is within a hair of it.
    assert abs(summary["gain_db"]) < 0.5
    assert summary["bicubic"]["psnr_y"] > summary["nearest"]["psnr_y"]

    colour_only = tmp_path / "colour"
    colour_only.mkdir()
    for name, img in images.items():
        Image.fromarray(img).save(colour_only / name)
    python("-m", "pipeline.evaluate", "--model", str(untrained_model), "--hr-dir", str(colour_only),
           "--json", str(out), "--params", str(params))
    expected = np.mean([independent_bicubic_psnr_y(img) for img in images.values()])
    assert json.loads(out.read_text())["bicubic"]["psnr_y"] == pytest.approx(expected, abs=1e-6)


def test_missing_model_is_a_clear_error(tmp_path):
    proc = python("-m", "pipeline.evaluate", "--model", str(tmp_path / "none.keras"), "--hr-dir", str(tmp_path),
                  check=False)
    assert proc.returncode != 0 and "none.keras: no such model" in proc.stderr
