"""The fit loop: a compiled step around `strategy.run`, its epochs and phases, resuming.

A loop of our own rather than `model.fit`: Keras 3's fit does not run under
MultiWorkerMirroredStrategy (keras-team/keras#20585), and one loop serves one device,
several, and a cluster alike. Interrupted runs resume from the checkpoint; because the
patch stream is a pure function of (seed, step), a resumed run ends with the same weights as
an uninterrupted one.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tqdm import tqdm

from pipeline.params import Base, Model, Train
from pipeline.training import callbacks, recipe
from pipeline.training.checkpoint import Checkpoint
from pipeline.training.devices import choose_strategy, in_cluster, set_precision
from pipeline.training.model import build_model
from pipeline.training.patches import patch_dataset

log = logging.getLogger(__name__)
# The loss is watched in windows of this many steps; a window whose mean is this many times
# the lowest window mean of the phase, or any loss that is not finite, stops the run.
WATCH_WINDOW = 50
BLOWUP = 20.0
LOG_EVERY_S = 60.0  # progress lines in logs, where the bar is off


class Diverged(RuntimeError):
    """The loss blew up: what the steps spent after that would only be thrown away."""


class DivergenceWatch:
    """Stops a phase whose loss has blown up, before it spends hours on garbage.

    A learning rate at the edge of stability can train well for thousands of steps and then
    diverge within one epoch (an 8x48 model at 2e-3: L1 0.014 -> 8104), and Adam rarely
    comes back. The checkpoint of the last good epoch is kept: nothing is saved after the
    blow-up. One watch per phase, since a phase may change the loss (and its scale)."""

    def __init__(self, t: Train, first_step: int) -> None:
        self.t, self.step, self.window, self.lowest = t, first_step, [], math.inf

    def add(self, loss: float) -> None:
        self.step += 1
        if not math.isfinite(loss):
            raise self.diverged(f"the loss is {loss}")
        self.window.append(loss)
        if len(self.window) < WATCH_WINDOW:
            return
        mean, self.window = sum(self.window) / WATCH_WINDOW, []
        if mean > BLOWUP * self.lowest:
            raise self.diverged(f"the mean loss of the last {WATCH_WINDOW} steps is {mean:.4g}, "
                                f"{mean / self.lowest:.0f}x its lowest ({self.lowest:.4g})")
        self.lowest = min(self.lowest, mean)

    def diverged(self, what: str) -> Diverged:
        epoch = (self.step - 1) // self.t.steps_per_epoch + 1
        return Diverged(f"training diverged at step {self.step:,} (epoch {epoch}): {what}. Lower train.lr "
                        f"(now {self.t.lr:g}) or lengthen train.warmup_steps (now {self.t.warmup_steps}); "
                        "the checkpoint of the last finished epoch is kept, but a run with other params "
                        "starts afresh")


def make_step(model: keras.Model, optimizer, loss_fn, strategy: tf.distribute.Strategy, global_batch: int):
    """One compiled training step on a distributed batch; returns the batch's mean loss.
    `loss_fn` takes (lr, hr, sr) batches and gives the loss of each patch (recipe.patch_loss).

    Each replica takes its share of the global batch (train.batch_size); its loss is scaled
    by the global batch, so the summed gradient is the gradient of the batch mean, whatever
    the number of replicas."""

    def replica_step(lr_batch, hr_batch):
        with tf.GradientTape() as tape:
            per_patch = loss_fn(lr_batch, hr_batch, model(lr_batch, training=True))
            loss = tf.nn.compute_average_loss(per_patch, global_batch_size=global_batch)
            scaled = optimizer.scale_loss(loss)  # mixed precision: the loss scale; else as is
        optimizer.apply_gradients(zip(tape.gradient(scaled, model.trainable_variables), model.trainable_variables,
                                      strict=True))
        return loss

    @tf.function
    def step(batch):
        return strategy.reduce("SUM", strategy.run(replica_step, args=batch), axis=None)

    return step


def distribute(data: tf.data.Dataset, strategy: tf.distribute.Strategy):
    """The patch stream as the strategy's replicas take it."""
    options = tf.data.Options()
    # Every worker builds the same stream and keeps its part of each global batch.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(data.with_options(options))


def fit_epochs(model: keras.Model, step, batches, first: int, last: int, t: Train,
               epoch_end: keras.callbacks.CallbackList) -> None:
    """Epochs [first, last) of `step` over the distributed `batches`, the callbacks after each."""
    batches = iter(batches)
    model.stop_training = False
    watch = DivergenceWatch(t, first * t.steps_per_epoch)
    for epoch in range(first, last):
        total = 0.0
        # A live bar in a terminal; in logs (dvc repro, CI), where tqdm turns itself off, a
        # line a minute, and the History callback's line per epoch.
        bar = tqdm(range(t.steps_per_epoch), desc=f"epoch {epoch + 1}/{t.epochs}", unit="step", leave=False,
                   disable=None)
        started = last_line = time.monotonic()
        for done, _ in enumerate(bar, 1):
            loss = float(step(next(batches)))
            watch.add(loss)
            total += loss
            if bar.disable and time.monotonic() - last_line >= LOG_EVERY_S:
                last_line = time.monotonic()
                log.info("epoch %d/%d: step %d/%d, mean loss %.5f, %.2f steps/s", epoch + 1, t.epochs, done,
                         t.steps_per_epoch, total / done, done / (last_line - started))
        epoch_end.on_epoch_end(epoch, {"loss": total / t.steps_per_epoch})
        if model.stop_training:
            return


def train(lr: list[np.ndarray], hr: list[np.ndarray], val: tuple[list[np.ndarray], list[np.ndarray]], base: Base,
          m: Model, t: Train, checkpoint: Checkpoint, log_dir: Path | None = None,
          stop_after: int | None = None, init: list[np.ndarray] | None = None) -> tuple[keras.Model, dict]:
    """Fit a model, resuming from `checkpoint` when it matches; returns the best epoch's
    model and the run's state (epoch, history, best). A new run starts from the weights
    `init` (fine-tuning) when given, else from random ones.

    `stop_after` ends the run after that many epochs of this call, as an interruption
    would (used to test resuming)."""
    strategy = choose_strategy()
    log.info("training with %s with %d replicas", type(strategy).__name__, strategy.num_replicas_in_sync)
    set_precision(t.mixed_precision)
    # A cluster's workers would each need the chief's checkpoint to resume together;
    # rather than risk them starting from different states, a cluster run starts over.
    state = None if in_cluster() else checkpoint.resume_state()
    with strategy.scope():
        if state:
            model = checkpoint.load_last(recipe.CUSTOM_OBJECTS)
            optimizer = model.optimizer
            log.info("resuming after epoch %d of %d", state["epoch"], t.epochs)
        else:
            # Seeded here, not at import: the initial weights depend on the seed alone.
            keras.utils.set_random_seed(t.draws_seed(base))
            model = build_model(m, base.scale)
            if init is not None:  # before the optimizer builds: its weight average starts from these
                model.set_weights(init)
                log.info("starting from the weights of %s", t.init)
            optimizer = recipe.make_optimizer(t)
            if keras.mixed_precision.global_policy().name == "mixed_float16":
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            state = {"epoch": 0, "history": [], "best": {"epoch": 0, "val_psnr_y": -1.0}}
        # Validation and the best checkpoint use this copy, holding the averaged weights.
        shadow = build_model(m, base.scale)

    epoch_end = [callbacks.ValidationPSNR(*val, base.scale, shadow), callbacks.LearningRate(),
                 callbacks.History(state, t.epochs), callbacks.CheckpointSaver(checkpoint, state, shadow)]
    if log_dir is not None:
        epoch_end.append(callbacks.DvcliveLogger(log_dir, state))
    if stop_after is not None:
        epoch_end.append(callbacks.StopAfter(stop_after))
    todo = recipe.phases(t, state["epoch"])
    for phase in todo:
        with strategy.scope():
            # Compiled only to attach the optimizer, so checkpoints save its state (moments,
            # average, step); recompiling with the same optimizer keeps that state.
            model.compile(optimizer=optimizer, loss=recipe.make_loss(phase.loss))
            if not optimizer.built:  # its variables must exist before a replica step uses them
                optimizer.build(model.trainable_variables)
        data = patch_dataset(lr, hr, t.patch_size, base.scale, t.batch_size, t.draws_seed(base),
                             phase.first_epoch * t.steps_per_epoch, phase.last_epoch * t.steps_per_epoch,
                             t.detail_keep)
        step = make_step(model, optimizer, recipe.patch_loss(phase.loss, t.no_harm), strategy, t.batch_size)
        fit_epochs(model, step, distribute(data, strategy), phase.first_epoch, phase.last_epoch, t,
                   keras.callbacks.CallbackList(epoch_end, model=model))
        if state["epoch"] < phase.last_epoch:
            break  # stopped early (StopAfter)
    if not todo and log_dir is not None:  # a finished run resumed (its export had failed)
        callbacks.write_dvclive(state["history"], state["best"], log_dir)

    # The exported model is float32 whatever the training precision: it must run anywhere.
    keras.mixed_precision.set_global_policy("float32")
    best = build_model(m, base.scale)
    checkpoint.load_best_into(best)
    return best, state
