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
