"""Real TensorFlow training on crops of real photos, with tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from pipeline import train as train_stage
from pipeline.callbacks import val_psnr_y
from pipeline.checkpoint import Checkpoint, fingerprint
from pipeline.images import load_rgb, save_png
from pipeline.params import load_params
from pipeline.resize import downscale
from tests.helpers import REPO, python, tiny_params, write_params


@pytest.fixture(scope="module")
def photo_crops():
    """LR/HR pairs cut from two of scikit-image's sample photos."""
    from scraper.sample import LIBRARIES, library_folder

    hr = []
    for name in ("astronaut.png", "coffee.png"):
        img = load_rgb(library_folder(LIBRARIES[0]) / name)
        hr += [img[y:y + 32, x:x + 32] for y in range(0, 256, 32) for x in range(0, 256, 64)]
    hr = np.stack(hr)
    lr = np.stack([downscale(h, 2, "matlab") for h in hr])
    return lr, hr


@pytest.fixture(scope="module")
def tf_ready():
    from pipeline.devices import configure_tensorflow

    configure_tensorflow(seed=7)


def small_params(**train):
    p = load_params(REPO / "params.yaml")
    m = p.model.model_copy(update={"blocks": 1, "filters": 8})
    t = p.train.model_copy(update={"patch_size": 8, "batch_size": 8, "epochs": 3, "steps_per_epoch": 8,
                                   "lr": 0.003, "warmup_steps": 2, **train})
    return p.base, m, t


def fit(tmp_path, photo_crops, stop_after=None, **train):
    lr, hr = photo_crops
    base, m, t = small_params(**train)
    val = (list(lr[::8]), list(hr[::8]))
    ckpt = Checkpoint(tmp_path / "checkpoint", fingerprint(base, m, t, [lr, hr]))
    return train_stage.train(lr, hr, val, base, m, t, ckpt, tmp_path / "live", stop_after)


@pytest.mark.parametrize("loss", ["mae", "mse", "charbonnier"])
def test_loss_falls_and_the_model_beats_its_bicubic_start(tmp_path, photo_crops, tf_ready, loss):
    model, state = fit(tmp_path, photo_crops, loss=loss)
    history = state["history"]
    assert len(history) == 3
    assert all(np.isfinite(h["train/loss"]) for h in history)
    assert history[-1]["train/loss"] < history[0]["train/loss"]
    lr, hr = photo_crops
    start = val_psnr_y(keras.models.clone_model(model), lr[::8], hr[::8], 2)
    assert state["best"]["val_psnr_y"] > start  # the zero-initialised start is bicubic
    logged = json.loads((tmp_path / "live" / "metrics.json").read_text())
    assert logged["step"] == 2
    assert logged["best/epoch"] == state["best"]["epoch"]
    assert (tmp_path / "live" / "plots" / "metrics" / "val" / "psnr_y.tsv").read_text().count("\n") == 4


def test_resume_after_interruption_equals_uninterrupted(tmp_path, photo_crops, tf_ready):
    whole, _ = fit(tmp_path / "a", photo_crops)
    _, state = fit(tmp_path / "b", photo_crops, stop_after=1)
    assert state["epoch"] == 1
    resumed, state = fit(tmp_path / "b", photo_crops)
    assert state["epoch"] == 3
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3]
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        assert np.array_equal(a, b)


def test_a_checkpoint_for_other_params_is_not_resumed(tmp_path, photo_crops, tf_ready):
    fit(tmp_path, photo_crops, stop_after=1)
    _, state = fit(tmp_path, photo_crops, lr=0.001)
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3]
    assert state["history"][0]["lr"] < 0.0011


@pytest.fixture
def crop_folders(tmp_path, photo_crops):
    """The photo crops written as the train stage reads them: tmp/{lr,hr}/{train,val}/."""
    lr, hr = photo_crops
    for split, (a, b) in {"train": (lr, hr), "val": (lr[:4], hr[:4])}.items():
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            save_png(x, tmp_path / "lr" / split / f"{i:03d}.png")
            save_png(y, tmp_path / "hr" / split / f"{i:03d}.png")
    return tmp_path


def test_two_logical_cpus_train_with_mirrored_strategy(tmp_path, crop_folders, isolated_env):
    params = write_params(tmp_path / "params.yaml", tiny_params())
    env = {**isolated_env, "SUPERSIZER_CPU_DEVICES": "2"}
    proc = python("-m", "pipeline.train", str(tmp_path / "lr"), str(tmp_path / "hr"), str(tmp_path / "models"),
                  str(tmp_path / "live"), str(tmp_path / "charts"), "--checkpoint", str(tmp_path / "ckpt"),
                  "--params", str(params), env=env)
    assert "MirroredStrategy with 2 replicas" in proc.stderr
    assert (tmp_path / "models" / "model.keras").is_file()
    assert (tmp_path / "models" / "savedmodel" / "saved_model.pb").is_file()


def test_the_checkpoint_fingerprint_covers_code_data_and_params(photo_crops, tf_ready, monkeypatch):
    from pipeline import checkpoint

    lr, hr = photo_crops
    base, m, t = small_params()
    fp = fingerprint(base, m, t, [lr, hr])
    assert fp == fingerprint(base, m, t, [lr, hr])
    assert fp != fingerprint(base, m, t.model_copy(update={"loss": "mse"}), [lr, hr])
    assert fp != fingerprint(base, m, t, [lr, hr[::-1]])
    code = checkpoint.local_sources("pipeline.train")
    expected = {"pipeline/train.py", "pipeline/model.py", "pipeline/patches.py", "pipeline/metrics.py"}
    assert expected <= set(map(str, code))
    monkeypatch.setattr(checkpoint, "local_sources", lambda module: code[:-1])
    assert fp != fingerprint(base, m, t, [lr, hr])


def test_the_stage_stopped_midway_resumes_to_the_same_model_file(tmp_path, crop_folders, isolated_env):
    params = write_params(tmp_path / "params.yaml", tiny_params(train={"epochs": 3}))

    def stage(models: str, *extra: str, check: bool = True):
        return python("-m", "pipeline.train", str(tmp_path / "lr"), str(tmp_path / "hr"), str(tmp_path / models),
                      str(tmp_path / f"{models}-live"), str(tmp_path / f"{models}-charts"), "--checkpoint",
                      str(tmp_path / f"{models}-ckpt"), "--params", str(params), *extra, env=isolated_env, check=check)

    stage("whole")
    stopped = stage("resumed", "--stop-after", "1", check=False)
    assert stopped.returncode != 0
    assert "stopped after epoch 1 of 3; run again to resume" in stopped.stderr
    assert not (tmp_path / "resumed" / "model.keras").exists()
    assert "resuming after epoch 1 of 3" in stage("resumed").stderr
    assert (tmp_path / "resumed" / "model.keras").read_bytes() == (tmp_path / "whole" / "model.keras").read_bytes()
    live = "metrics.json"
    assert (tmp_path / "resumed-live" / live).read_text() == (tmp_path / "whole-live" / live).read_text()
    for chart in ("loss.png", "val_psnr_y.png", "lr.png"):  # the curves as images, the same bytes
        assert (tmp_path / "resumed-charts" / chart).read_bytes() == (tmp_path / "whole-charts" / chart).read_bytes()


def test_a_checkpoint_write_killed_midway_keeps_the_last_good_one(tmp_path, photo_crops, tf_ready, monkeypatch):
    _, state = fit(tmp_path, photo_crops, stop_after=1)
    best = tmp_path / "checkpoint" / "best.weights.h5"
    good = best.read_bytes()

    def dies_midway(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save_weights", dies_midway)
    model = keras.Sequential([keras.Input((2,))])
    with pytest.raises(KeyboardInterrupt):
        Checkpoint(tmp_path / "checkpoint", "fp").save(model, state, best=model)
    assert best.read_bytes() == good
    assert not list((tmp_path / "checkpoint").glob(".*partial*"))


def test_the_weight_average_is_what_is_validated_and_kept(tmp_path, photo_crops, tf_ready):
    from pipeline.recipe import averaged_weights

    lr, hr = photo_crops
    base, m, t = small_params(ema_decay=0.9)
    ckpt = Checkpoint(tmp_path / "checkpoint", fingerprint(base, m, t, [lr, hr]))
    best, state = train_stage.train(lr, hr, (list(lr[::8]), list(hr[::8])), base, m, t, ckpt)
    last = ckpt.load_last({})
    average = averaged_weights(last)
    assert any(not np.array_equal(a, w) for a, w in zip(average, last.get_weights(), strict=True))
    if state["best"]["epoch"] == 3:  # the last epoch was the best: its average is what was kept
        assert all(np.array_equal(a, b) for a, b in zip(average, best.get_weights(), strict=True))
    assert val_psnr_y(best, list(lr[::8]), list(hr[::8]), 2) == pytest.approx(state["best"]["val_psnr_y"])


def test_an_l2_finish_switches_the_loss_for_the_last_epochs(tmp_path, photo_crops, tf_ready):
    from pipeline.recipe import phases

    _, _, t = small_params(finish_loss="mse", finish_epochs=1)
    assert [(p.first_epoch, p.last_epoch, p.loss) for p in phases(t, 0)] == [(0, 2, "mae"), (2, 3, "mse")]
    assert [(p.first_epoch, p.loss) for p in phases(t, 2)] == [(2, "mse")]
    whole, _ = fit(tmp_path / "a", photo_crops, finish_loss="mse", finish_epochs=1)
    fit(tmp_path / "b", photo_crops, stop_after=1, finish_loss="mse", finish_epochs=1)
    resumed, state = fit(tmp_path / "b", photo_crops, finish_loss="mse", finish_epochs=1)
    assert state["history"][-1]["train/loss"] < 0.01  # an MSE, not an MAE, of [0, 1] images
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        assert np.array_equal(a, b)
