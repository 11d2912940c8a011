"""The training recipe: losses, the learning-rate schedule, the optimizer and its weight
average, and the phases a run goes through. What each choice gave is in docs/results.md."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from pipeline.params import Train


def charbonnier(y_true, y_pred):
    """A differentiable L1: sqrt(d^2 + eps^2), robust like MAE but smooth at zero; per
    pixel (the mean over channels), like Keras's own losses."""
    return tf.reduce_mean(tf.sqrt(tf.square(y_true - y_pred) + 1e-6), axis=-1)


CUSTOM_OBJECTS = {"charbonnier": charbonnier}  # what a checkpoint needs to load


def make_loss(name: str):
    """The loss as Keras's compile takes it (kept in checkpoints)."""
    return {"mae": "mean_absolute_error", "mse": "mean_squared_error", "charbonnier": charbonnier}[name]


def pixel_loss(name: str):
    """The loss per pixel: (batch, H, W, 3) pairs -> (batch, H, W)."""
    return {"mae": keras.losses.mean_absolute_error, "mse": keras.losses.mean_squared_error,
            "charbonnier": charbonnier}[name]


# An MSE below this (about 50 dB PSNR) counts as this: on flat patches the ratio of two tiny
# errors says nothing, and its gradient would swamp the batch.
HARM_FLOOR = 1e-5


def bicubic_reference(lr_batch, hr_shape):
    """What plain bicubic upsampling gives for the LR batch, clipped to the image range as
    an 8-bit result would be: the baseline a worn input must never fall below."""
    return tf.clip_by_value(tf.image.resize(tf.cast(lr_batch, tf.float32), hr_shape, "bicubic"), 0.0, 1.0)


def patch_loss(name: str, no_harm: float):
    """The loss per patch: (lr, hr, sr) batches -> (batch,), the mean pixel loss.

    With no_harm > 0, each patch where the model's MSE is above bicubic's also pays
    no_harm per dB of the shortfall. The worn-photo model must never score below bicubic,
    and a plain pixel loss weighs a patch by its error, not by whether the model did harm
    there: aliased inputs (nearest) are where it loses to bicubic, and this term is what
    tells it that being sharp there is worse than being safe. Bicubic's error is a constant
    of the data, so only the model's side carries gradient."""
    per_pixel = pixel_loss(name)

    def loss(lr_batch, hr_batch, sr_batch):
        value = tf.reduce_mean(per_pixel(hr_batch, sr_batch), axis=[1, 2])
        if not no_harm:
            return value
        hr = tf.cast(hr_batch, tf.float32)
        mse_model = tf.reduce_mean(tf.square(tf.cast(sr_batch, tf.float32) - hr), axis=[1, 2, 3])
        mse_bicubic = tf.reduce_mean(tf.square(bicubic_reference(lr_batch, tf.shape(hr)[1:3]) - hr), axis=[1, 2, 3])
        ratio = (mse_model + HARM_FLOOR) / (mse_bicubic + HARM_FLOOR)
        shortfall_db = 10.0 * tf.math.log(ratio) / np.log(10.0)
        return tf.cast(value, tf.float32) + no_harm * tf.nn.relu(shortfall_db)

    return loss


def make_optimizer(t: Train) -> keras.optimizers.Optimizer:
    """Adam; with `cosine`, a linear warm-up to train.lr over warmup_steps, then cosine decay
    to 1% of it. With ema_decay > 0 the optimizer also keeps an exponential moving average
    of the weights (Keras's use_ema), which is what is validated and exported."""
    total = t.epochs * t.steps_per_epoch
    if t.lr_schedule == "constant":
        lr = t.lr
    elif t.warmup_steps:
        lr = keras.optimizers.schedules.CosineDecay(0.0, total - t.warmup_steps, alpha=0.01,
                                                    warmup_target=t.lr, warmup_steps=t.warmup_steps)
    else:
        lr = keras.optimizers.schedules.CosineDecay(t.lr, total, alpha=0.01)
    ema = {"use_ema": True, "ema_momentum": t.ema_decay} if t.ema_decay > 0 else {}
    return keras.optimizers.Adam(lr, **ema)


def averaged_weights(model: keras.Model) -> list[np.ndarray]:
    """The model's weights with each trainable one replaced by its moving average when the
    optimizer keeps one (non-trainable weights, like the frozen bicubic skip, as they are).
    Read without swapping: the training weights are never touched, so resuming stays exact."""
    opt = model.optimizer
    opt = getattr(opt, "inner_optimizer", opt)  # under mixed precision: the LossScaleOptimizer's
    if not getattr(opt, "use_ema", False):
        return model.get_weights()
    # Keras 3 keeps the averages beside its list of the variables it trains (private names,
    # pinned Keras version; tests/test_train.py checks the average is really used).
    average = {id(v): a for v, a in zip(opt._trainable_variables, opt._model_variables_moving_average, strict=True)}
    return [keras.ops.convert_to_numpy(average.get(id(w), w)) for w in model.weights]


@dataclass(frozen=True)
class Phase:
    first_epoch: int
    last_epoch: int  # exclusive
    loss: str


def phases(t: Train, start_epoch: int) -> list[Phase]:
    """The epochs still to run, grouped by loss: train.loss, then train.finish_loss for the
    last train.finish_epochs (an L1 run finished with a short L2 phase)."""
    switch = t.epochs - t.finish_epochs
    planned = [Phase(0, switch, t.loss), Phase(switch, t.epochs, t.finish_loss)]
    return [Phase(max(p.first_epoch, start_epoch), p.last_epoch, p.loss)
            for p in planned if max(p.first_epoch, start_epoch) < p.last_epoch]
