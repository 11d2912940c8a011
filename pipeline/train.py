"""Stage `train`: fit the residual SR network on random LR/HR patch pairs.

    python -m pipeline.train data/lr data/hr models metrics/train

Writes models/model.keras (the best epoch by validation Y-PSNR; loads with plain
`keras.models.load_model`), models/savedmodel (TF SavedModel for serving) and
dvclive logs under metrics/train (loss, val PSNR and learning rate per epoch).

Interrupted runs resume: every epoch ends with a checkpoint in models/checkpoint
(declared `persist: true`, so DVC leaves it in place). A re-run with the same params
and data continues from it, and because the patch stream is a pure function of
(seed, step), it ends with the same weights as an uninterrupted run.
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pipeline import callbacks
from pipeline.checkpoint import Checkpoint, fingerprint
from pipeline.cli import stage_params, stage_parser
from pipeline.devices import choose_strategy, configure_tensorflow, cpu_devices_from_env, set_precision
from pipeline.model import build_model, save_model
from pipeline.params import Base, Model, Train
from pipeline.patches import load_split, patch_dataset

log = logging.getLogger(__name__)


def charbonnier(y_true, y_pred):
    """A differentiable L1: sqrt(d^2 + eps^2), robust like MAE but smooth at zero."""
    return tf.reduce_mean(tf.sqrt(tf.square(y_true - y_pred) + 1e-6))


def make_loss(name: str):
    return {"mae": "mean_absolute_error", "mse": "mean_squared_error", "charbonnier": charbonnier}[name]


def make_optimizer(t: Train) -> keras.optimizers.Optimizer:
    total = t.epochs * t.steps_per_epoch
    lr = t.lr if t.lr_schedule == "constant" else keras.optimizers.schedules.CosineDecay(t.lr, total, alpha=0.01)
    return keras.optimizers.Adam(lr)


def train(lr: np.ndarray, hr: np.ndarray, val: tuple[np.ndarray, np.ndarray], base: Base,
          m: Model, t: Train, checkpoint: Checkpoint, log_dir: Path | None = None,
          stop_after: int | None = None) -> tuple[keras.Model, dict]:
    """Fit a model, resuming from `checkpoint` when it matches; returns the best epoch's
    model and the run's state (epoch, history, best).

    `stop_after` ends the run after that many epochs of this call, as an interruption
    would (used to test resuming)."""
    strategy = choose_strategy()
    log.info("training with %s with %d replicas", type(strategy).__name__, strategy.num_replicas_in_sync)
    set_precision(t.mixed_precision)
    state = checkpoint.resume_state()
    with strategy.scope():
        if state:
            model = checkpoint.load_last({"charbonnier": charbonnier})
            log.info("resuming after epoch %d of %d", state["epoch"], t.epochs)
        else:
            # Seeded here, not at import: the initial weights depend on the seed alone.
            keras.utils.set_random_seed(base.seed)
            model = build_model(m, base.scale)
            model.compile(optimizer=make_optimizer(t), loss=make_loss(t.loss))
            state = {"epoch": 0, "history": [], "best": {"epoch": 0, "val_psnr_y": -1.0}}

    start = state["epoch"]
    if start < t.epochs:
        jobs = [callbacks.ValidationPSNR(*val, base.scale), callbacks.LearningRate(),
                callbacks.History(state, t.epochs), callbacks.CheckpointSaver(checkpoint, state)]
        if log_dir is not None:
            jobs.append(callbacks.DvcliveLogger(log_dir, state))
        if stop_after is not None:
            jobs.append(callbacks.StopAfter(stop_after))
        data = patch_dataset(lr, hr, t.patch_size, base.scale, t.batch_size, base.seed,
                             start * t.steps_per_epoch, t.epochs * t.steps_per_epoch)
        # A live progress bar in a terminal; one line per epoch in logs (dvc repro, CI).
        model.fit(data, epochs=t.epochs, initial_epoch=start, steps_per_epoch=t.steps_per_epoch,
                  callbacks=jobs, verbose=1 if sys.stdout.isatty() else 2)
    elif log_dir is not None:
        callbacks.write_dvclive(state["history"], state["best"], log_dir)

    best = build_model(m, base.scale)
    checkpoint.load_best_into(best)
    return best, state


def export(model: keras.Model, out: Path) -> None:
    """models/model.keras (uncompiled: loads anywhere) and models/savedmodel (TF Serving)."""
    out.mkdir(parents=True, exist_ok=True)
    save_model(model, out / "model.keras")
    shutil.rmtree(out / "savedmodel", ignore_errors=True)
    model.export(str(out / "savedmodel"), verbose=False)


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("lr", type=Path, help="LR crops (train/, val/)")
    parser.add_argument("hr", type=Path, help="HR crops (train/, val/)")
    parser.add_argument("models", type=Path, help="output folder for model.keras, savedmodel/, checkpoint/")
    parser.add_argument("logs", type=Path, help="dvclive folder, e.g. metrics/train")
    parser.add_argument("--stop-after", type=int, default=None,
                        help="stop after this many epochs, as if interrupted (for tests)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    p = stage_params(args)
    configure_tensorflow(p.base.seed, cpu_devices_from_env())

    lr, hr = load_split(args.lr / "train", args.hr / "train")
    val = load_split(args.lr / "val", args.hr / "val")
    log.info("training on %d crops, validating on %d", len(lr), len(val[0]))
    checkpoint = Checkpoint(args.models / "checkpoint", fingerprint(p.base, p.model, p.train, [lr, hr, *val]))
    model, state = train(lr, hr, val, p.base, p.model, p.train, checkpoint, args.logs, args.stop_after)
    if state["epoch"] < p.train.epochs:
        raise SystemExit(f"train: stopped after epoch {state['epoch']} of {p.train.epochs}; "
                         "run again to resume from models/checkpoint")
    export(model, args.models)
    print(f"train: best val Y-PSNR {state['best']['val_psnr_y']:.3f} dB at epoch "
          f"{state['best']['epoch']}; wrote {args.models / 'model.keras'}")


if __name__ == "__main__":
    main()
