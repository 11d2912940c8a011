"""Real TensorFlow training on crops of real photos, with tiny models: the fit loop, resuming, the recipe."""

from __future__ import annotations

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from pipeline.params import load_params
from pipeline.training.callbacks import val_psnr_y
from pipeline.training.checkpoint import Checkpoint, fingerprint
from pipeline.training.loop import WATCH_WINDOW, Diverged, DivergenceWatch, train
from tests.support.models import PARAMS_FILE, tiny_model_params


def small_params(**recipe):
    """Base, a tiny model and a short `train` section (with `recipe` on top)."""
    p = load_params(PARAMS_FILE)
    t = p.train.model_copy(update={"patch_size": 8, "batch_size": 8, "epochs": 3, "steps_per_epoch": 8,
                                   "lr": 0.003, "warmup_steps": 2, **recipe})
    return p.base, tiny_model_params(), t


def fit(tmp_path, photo_crops, stop_after=None, init=None, **recipe):
    lr, hr = photo_crops
    base, m, t = small_params(**recipe)
    val = (list(lr[::8]), list(hr[::8]))
    ckpt = Checkpoint(tmp_path / "checkpoint", fingerprint(base, m, t, [lr, hr, init or []]))
    return train(lr, hr, val, base, m, t, ckpt, tmp_path / "live", stop_after, init)


@pytest.mark.parametrize(("loss", "no_harm"), [("mae", 0.0), ("mse", 0.0), ("charbonnier", 0.0), ("mae", 0.01)])
def test_loss_falls_and_the_model_beats_its_bicubic_start(tmp_path, photo_crops, tf_ready, loss, no_harm):
    model, state = fit(tmp_path, photo_crops, loss=loss, no_harm=no_harm)
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


def test_train_seed_redraws_the_run_alone_and_null_is_base_seed(tmp_path, photo_crops, tf_ready):
    base = small_params()[0]
    default, _ = fit(tmp_path / "a", photo_crops, epochs=1)
    same, _ = fit(tmp_path / "b", photo_crops, epochs=1, seed=base.seed)
    other, _ = fit(tmp_path / "c", photo_crops, epochs=1, seed=base.seed + 1)
    assert all(np.array_equal(a, b) for a, b in zip(default.get_weights(), same.get_weights(), strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(default.get_weights(), other.get_weights(), strict=True))


def test_a_checkpoint_for_other_params_is_not_resumed(tmp_path, photo_crops, tf_ready):
    fit(tmp_path, photo_crops, stop_after=1)
    _, state = fit(tmp_path, photo_crops, lr=0.001)
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3]
    assert state["history"][0]["lr"] < 0.0011


def test_the_checkpoint_fingerprint_covers_code_data_and_params(photo_crops, tf_ready, monkeypatch):
    from pipeline.training import checkpoint

    lr, hr = photo_crops
    base, m, t = small_params()
    fp = fingerprint(base, m, t, [lr, hr])
    assert fp == fingerprint(base, m, t, [lr, hr])
    assert fp != fingerprint(base, m, t.model_copy(update={"loss": "mse"}), [lr, hr])
    assert fp != fingerprint(base, m, t, [lr, hr[::-1]])
    code = checkpoint.local_sources(checkpoint.TRAIN_STAGE)
    expected = {"pipeline/stages/train.py", "pipeline/training/model.py", "pipeline/training/patches.py",
                "pipeline/imaging/quality.py"}
    assert expected <= set(map(str, code))
    monkeypatch.setattr(checkpoint, "local_sources", lambda module: code[:-1])
    assert fp != fingerprint(base, m, t, [lr, hr])


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
    from pipeline.training.recipe import averaged_weights

    lr, hr = photo_crops
    base, m, t = small_params(ema_decay=0.9)
    ckpt = Checkpoint(tmp_path / "checkpoint", fingerprint(base, m, t, [lr, hr]))
    best, state = train(lr, hr, (list(lr[::8]), list(hr[::8])), base, m, t, ckpt)
    last = ckpt.load_last({})
    average = averaged_weights(last)
    assert any(not np.array_equal(a, w) for a, w in zip(average, last.get_weights(), strict=True))
    if state["best"]["epoch"] == 3:  # the last epoch was the best: its average is what was kept
        assert all(np.array_equal(a, b) for a, b in zip(average, best.get_weights(), strict=True))
    assert val_psnr_y(best, list(lr[::8]), list(hr[::8]), 2) == pytest.approx(state["best"]["val_psnr_y"])


def test_an_l2_finish_switches_the_loss_for_the_last_epochs(tmp_path, photo_crops, tf_ready):
    from pipeline.training.recipe import phases

    _, _, t = small_params(finish_loss="mse", finish_epochs=1)
    assert [(p.first_epoch, p.last_epoch, p.loss) for p in phases(t, 0)] == [(0, 2, "mae"), (2, 3, "mse")]
    assert [(p.first_epoch, p.loss) for p in phases(t, 2)] == [(2, "mse")]
    whole, _ = fit(tmp_path / "a", photo_crops, finish_loss="mse", finish_epochs=1)
    fit(tmp_path / "b", photo_crops, stop_after=1, finish_loss="mse", finish_epochs=1)
    resumed, state = fit(tmp_path / "b", photo_crops, finish_loss="mse", finish_epochs=1)
    assert state["history"][-1]["train/loss"] < 0.01  # an MSE, not an MAE, of [0, 1] images
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        assert np.array_equal(a, b)


def test_a_loss_that_blows_up_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, photo_crops, tf_ready):
    fit(tmp_path, photo_crops, stop_after=1)
    kept = (tmp_path / "checkpoint" / "state.json").read_bytes()
    with pytest.raises(Diverged, match=r"training diverged at step \d+ \(epoch 1\): .* Lower train.lr \(now 10000\)"):
        fit(tmp_path / "wild", photo_crops, lr=1e4, lr_schedule="constant")
    assert not (tmp_path / "wild" / "checkpoint" / "state.json").exists()  # nothing saved after the blow-up
    # A run that was fine keeps its checkpoint, and the watch judges windows, not steps.
    assert (tmp_path / "checkpoint" / "state.json").read_bytes() == kept


def test_the_watch_compares_windows_with_the_lowest_and_refuses_non_finite():
    t = small_params(steps_per_epoch=100)[2]
    watch = DivergenceWatch(t, first_step=0)
    for loss in [0.02] * WATCH_WINDOW + [0.01] * WATCH_WINDOW + [0.15] * WATCH_WINDOW:  # 15x: noisy, not diverged
        watch.add(loss)
    for loss in [0.25] * (WATCH_WINDOW - 1):
        watch.add(loss)
    with pytest.raises(Diverged, match=r"step 200 \(epoch 2\): the mean loss of the last 50 steps is 0.25, 25x"):
        watch.add(0.25)
    with pytest.raises(Diverged, match="step 1 .*the loss is nan"):
        DivergenceWatch(t, 0).add(float("nan"))


def test_a_fine_tuning_run_starts_from_the_given_weights_and_checks_they_fit(tmp_path, photo_crops, tf_ready):
    from pipeline.training.saving import save_model
    from pipeline.training.warm_start import InitMismatch, initial_weights

    trained, _ = fit(tmp_path / "first", photo_crops)
    save_model(trained, tmp_path / "first.keras")
    base, m, _ = small_params()
    init = initial_weights(tmp_path / "first.keras", m, base.scale)
    # At a learning rate of 0 nothing moves: what comes out is what the run started from.
    tuned, _ = fit(tmp_path / "tuned", photo_crops, init=init, lr=0.0)
    scratch, _ = fit(tmp_path / "scratch", photo_crops, lr=0.0)
    assert all(np.array_equal(a, b) for a, b in zip(tuned.get_weights(), trained.get_weights(), strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(scratch.get_weights(), trained.get_weights(), strict=True))
    # A checkpoint of a run from scratch is not resumed by one that starts elsewhere.
    fit(tmp_path / "mixed", photo_crops, stop_after=1)
    _, state = fit(tmp_path / "mixed", photo_crops, init=init)
    assert [h["epoch"] for h in state["history"]] == [1, 2, 3]
    with pytest.raises(InitMismatch, match=r"first.keras \([\d,]+ weights .* model.blocks=1, model.filters=16"):
        initial_weights(tmp_path / "first.keras", m.model_copy(update={"filters": 16}), base.scale)
    with pytest.raises(InitMismatch, match="first.keras upscales 2x, base.scale is 3"):
        initial_weights(tmp_path / "first.keras", m, 3)
    with pytest.raises(InitMismatch, match=r"train.init: .*gone.keras: no such model \(in .*: first.keras\)$"):
        initial_weights(tmp_path / "gone.keras", m, base.scale)


def test_a_run_logged_to_a_file_says_how_far_each_epoch_is(tmp_path, photo_crops, tf_ready, monkeypatch, caplog):
    import pipeline.training.loop as loop

    # Under pytest stderr is no terminal, as in `dvc repro > log`: the bar is off, the lines on.
    monkeypatch.setattr(loop, "LOG_EVERY_S", 0.0)
    with caplog.at_level("INFO", logger="pipeline.training.loop"):
        fit(tmp_path, photo_crops)
    lines = [r.getMessage() for r in caplog.records if ": step " in r.getMessage()]
    want = [f"epoch {e}/3: step {s}/8" for e in (1, 2, 3) for s in range(1, 9)]
    assert [line.split(",")[0] for line in lines] == want
    assert all(re.search(r"mean loss \d\.\d{5}, [\d.]+ steps/s$", line) for line in lines)


def test_the_no_harm_term_charges_each_db_a_patch_falls_below_bicubic(photo_crops, tf_ready):
    import tensorflow as tf

    from pipeline.training.recipe import HARM_FLOOR, bicubic_reference, patch_loss

    lr, hr = (tf.constant(a[:4] / 255.0, tf.float32) for a in photo_crops)
    bicubic = bicubic_reference(lr, hr.shape[1:3])
    l1 = lambda sr: tf.reduce_mean(tf.abs(sr - hr), axis=[1, 2, 3]).numpy()  # noqa: E731
    plain, guarded = patch_loss("mae", 0.0), patch_loss("mae", 0.5)
    for sr in (hr, bicubic):  # at or above bicubic: no charge
        np.testing.assert_allclose(guarded(lr, hr, sr).numpy(), l1(sr), rtol=1e-5)
        np.testing.assert_allclose(plain(lr, hr, sr).numpy(), l1(sr), rtol=1e-5)
    # Twice bicubic's error is four times its MSE: 6.02 dB short, less what the floor absorbs.
    worse = hr + 2.0 * (bicubic - hr)
    mse = tf.reduce_mean(tf.square(bicubic - hr), axis=[1, 2, 3]).numpy()
    shortfall = 10 * np.log10((4 * mse + HARM_FLOOR) / (mse + HARM_FLOOR))
    assert (shortfall > 5).all()
    np.testing.assert_allclose(guarded(lr, hr, worse).numpy(), l1(worse) + 0.5 * shortfall, rtol=1e-4)
    np.testing.assert_allclose(plain(lr, hr, worse).numpy(), l1(worse), rtol=1e-5)
