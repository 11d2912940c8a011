"""The per-epoch jobs of `train`, one Keras callback each, run in the order given to fit().

They share Keras's `logs` dict and one `state` dict (epoch, history, best), which is what
the checkpoint saves: ValidationPSNR adds `val_psnr_y`, LearningRate adds `lr`, History
records the epoch in `state`, then CheckpointSaver and DvcliveLogger persist it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import keras
import numpy as np

from pipeline.imaging.quality import psnr_y
from pipeline.outputs import reset_folder, rounded
from pipeline.training.checkpoint import Checkpoint
from pipeline.training.recipe import averaged_weights
from pipeline.upscaling.inference import predict

log = logging.getLogger(__name__)


def val_psnr_y(model: keras.Model, lr: list[np.ndarray], hr: list[np.ndarray], scale: int) -> float:
    """Mean Y-PSNR over the validation images, each whole (the protocol of `evaluate`)."""
    return float(np.mean([psnr_y(predict(model, a[None])[0], b, scale) for a, b in zip(lr, hr, strict=True)]))


class ValidationPSNR(keras.callbacks.Callback):
    """Scores the weights that would be kept (the moving average when train.ema_decay is
    on), loaded into `shadow`, a second model of the same architecture."""

    def __init__(self, lr: list[np.ndarray], hr: list[np.ndarray], scale: int, shadow: keras.Model) -> None:
        super().__init__()
        self.lr, self.hr, self.scale, self.shadow = lr, hr, scale, shadow

    def on_epoch_end(self, epoch, logs=None):
        self.shadow.set_weights(averaged_weights(self.model))
        logs["val_psnr_y"] = val_psnr_y(self.shadow, self.lr, self.hr, self.scale)


class LearningRate(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class History(keras.callbacks.Callback):
    """Appends the epoch to state["history"] and tracks the best epoch by val_psnr_y."""

    def __init__(self, state: dict, epochs: int) -> None:
        super().__init__()
        self.state, self.epochs = state, epochs

    def on_epoch_end(self, epoch, logs=None):
        s = self.state
        s["history"].append({"epoch": epoch + 1, "train/loss": float(logs["loss"]),
                             "val/psnr_y": logs["val_psnr_y"], "lr": logs["lr"]})
        improved = logs["val_psnr_y"] > s["best"]["val_psnr_y"]
        if improved:
            s["best"] = {"epoch": epoch + 1, "val_psnr_y": logs["val_psnr_y"]}
        s["epoch"] = epoch + 1
        log.info("epoch %d/%d: loss %.5f, val Y-PSNR %.3f dB%s", epoch + 1, self.epochs,
                 logs["loss"], logs["val_psnr_y"], " (best)" if improved else "")


class CheckpointSaver(keras.callbacks.Callback):
    """The training model (to resume) and, when it improved, the validated weights in
    `shadow` (ValidationPSNR loaded them) as the best so far."""

    def __init__(self, checkpoint: Checkpoint, state: dict, shadow: keras.Model) -> None:
        super().__init__()
        self.checkpoint, self.state, self.shadow = checkpoint, state, shadow

    def on_epoch_end(self, epoch, logs=None):
        improved = self.state["best"]["epoch"] == epoch + 1  # History ran first
        self.checkpoint.save(self.model, self.state, self.shadow if improved else None)


def logged(key: str, value: float) -> float:
    """A value as the logs keep it, rounded like every metrics file (pipeline.outputs.rounded)
    so another CPU type's float noise does not rewrite them: dB to 4 decimals; the loss and
    the learning rate, which are small, to 6 significant digits."""
    return rounded(value) if key.endswith("psnr_y") else float(f"{value:.6g}")


def write_dvclive(history: list[dict], best: dict, folder: Path) -> None:
    """Rewrite the dvclive folder from the whole history, so a resumed run's logs are whole
    and hold no duplicate steps (dvclive's own Keras callback appends)."""
    from dvclive import Live

    reset_folder(folder, ("metrics.json", "plots/*"))
    with Live(dir=str(folder), dvcyaml=False, save_dvc_exp=False, report=None) as live:
        for row in history:
            for key in ("train/loss", "val/psnr_y", "lr"):
                live.log_metric(key, logged(key, row[key]))
            live.next_step()
        live.summary.update({"best/val_psnr_y": logged("val_psnr_y", best["val_psnr_y"]), "best/epoch": best["epoch"]})


class DvcliveLogger(keras.callbacks.Callback):
    def __init__(self, folder: Path, state: dict) -> None:
        super().__init__()
        self.folder, self.state = folder, state

    def on_epoch_end(self, epoch, logs=None):
        write_dvclive(self.state["history"], self.state["best"], self.folder)


class StopAfter(keras.callbacks.Callback):
    """End the run after `epochs` epochs of this call, as an interruption would (tests)."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs, self.done = epochs, 0

    def on_epoch_end(self, epoch, logs=None):
        self.done += 1
        if self.done >= self.epochs:
            self.model.stop_training = True
