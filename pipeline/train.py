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

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from pipeline.images import load_rgb
from pipeline.inference import predict
from pipeline.metrics import luma, psnr, shave
from pipeline.outputs import reset_folder, split_images
from pipeline.params import Base, Model, Train, load_params, stage_parser

log = logging.getLogger("train")

# Imported lazily by configure_tensorflow(): TF takes seconds to import and reads
# environment variables (logical devices, log level) at import time.
tf = None
keras = None


def configure_tensorflow(seed: int, cpu_devices: int = 1) -> None:
    """Import TF, make it deterministic, optionally split the CPU into logical devices."""
    global tf, keras
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras as _keras
    import tensorflow as _tf

    tf, keras = _tf, _keras
    if cpu_devices > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_devices)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def choose_strategy():
    """Multi-worker when TF_CONFIG describes a cluster, all GPUs (or logical CPUs) of this
    machine when there are several, else the default single-device strategy."""
    if "TF_CONFIG" in os.environ:
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    cpus = tf.config.list_logical_devices("CPU")
    if not gpus and len(cpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in cpus])
    return tf.distribute.get_strategy()


def load_split(lr_dir: Path, hr_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """All LR/HR crops of one split as uint8 arrays (N, h, w, 3) and (N, H, W, 3)."""
    names = [p.name for p in split_images(hr_dir.parent, hr_dir.name)]
    if not names:
        raise SystemExit(f"{hr_dir}: no images in this split; the filter kept too few photos "
                         "(see data/filtered/report.csv), or filter.val_fraction is 0")
    hr = np.stack([load_rgb(hr_dir / n) for n in names])
    lr = np.stack([load_rgb(lr_dir / n) for n in names])
    return lr, hr


def patch_dataset(lr: np.ndarray, hr: np.ndarray, patch: int, scale: int, batch: int,
                  seed: int, first_step: int, last_step: int):
    """Batches of random, augmented patch pairs for steps [first_step, last_step).

    Sample i uses stateless random ops seeded by (seed, i): the stream does not depend
    on where a run started, which is what makes resuming exact."""
    lr_t, hr_t = tf.constant(lr), tf.constant(hr)
    n, lr_side = lr.shape[0], lr.shape[1]

    def sample(i):
        s = tf.stack([tf.constant(seed, tf.int64), i])
        idx = tf.random.stateless_uniform([], s, 0, n, tf.int32)
        y, x = tf.unstack(tf.random.stateless_uniform([2], s + 1, 0, lr_side - patch + 1, tf.int32))
        k = tf.random.stateless_uniform([], s + 2, 0, 4, tf.int32)
        flip = tf.random.stateless_uniform([], s + 3, 0, 2, tf.int32)
        a = tf.slice(lr_t[idx], [y, x, 0], [patch, patch, 3])
        b = tf.slice(hr_t[idx], [y * scale, x * scale, 0], [patch * scale, patch * scale, 3])
        a, b = tf.image.rot90(a, k), tf.image.rot90(b, k)
        a, b = tf.cond(flip > 0, lambda: (a[:, ::-1], b[:, ::-1]), lambda: (a, b))
        return tf.cast(a, tf.float32) / 255.0, tf.cast(b, tf.float32) / 255.0

    ds = tf.data.Dataset.range(first_step * batch, last_step * batch)
    ds = ds.map(sample, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def charbonnier(y_true, y_pred):
    """A differentiable L1: sqrt(d^2 + eps^2), robust like MAE but smooth at zero."""
    return tf.reduce_mean(tf.sqrt(tf.square(y_true - y_pred) + 1e-6))


def make_loss(name: str):
    return {"mae": "mean_absolute_error", "mse": "mean_squared_error", "charbonnier": charbonnier}[name]


def make_optimizer(t: Train):
    total = t.epochs * t.steps_per_epoch
    lr = t.lr if t.lr_schedule == "constant" else keras.optimizers.schedules.CosineDecay(t.lr, total, alpha=0.01)
    return keras.optimizers.Adam(lr)


def val_psnr_y(model, lr: np.ndarray, hr: np.ndarray, scale: int) -> float:
    """Mean Y-PSNR over the validation crops (same protocol as `evaluate`)."""
    sr = predict(model, lr)
    return float(np.mean([psnr(shave(luma(a), scale), shave(luma(b), scale)) for a, b in zip(sr, hr)]))


# The modules whose code decides what training computes: a checkpoint made by other code
# is not resumed (DVC reruns train when they change; the old weights must not come back).
TRAINING_CODE = ("train.py", "model.py", "resize.py", "inference.py", "metrics.py")


def fingerprint(base: Base, m: Model, t: Train, arrays: list[np.ndarray]) -> str:
    """What a checkpoint must match to be resumed: params, data, code and library versions."""
    h = hashlib.sha256(json.dumps([dataclasses.asdict(x) for x in (base, m, t)], sort_keys=True).encode())
    for a in arrays:
        h.update(a.tobytes())
    here = Path(__file__).parent
    for name in TRAINING_CODE:
        h.update((here / name).read_bytes())
    h.update(f"tensorflow {tf.__version__} keras {keras.__version__}".encode())
    return h.hexdigest()


class Checkpoint:
    """models/checkpoint: last.keras (weights + optimizer), best.weights.h5, state.json."""

    def __init__(self, folder: Path, fp: str) -> None:
        self.folder, self.fp = folder, fp
        self.state_file = folder / "state.json"

    def resume_state(self) -> dict | None:
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        if state.get("fingerprint") != self.fp or not (self.folder / "last.keras").exists():
            log.info("checkpoint in %s is for other params or data: starting afresh", self.folder)
            return None
        return state

    def save(self, model, state: dict, improved: bool) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        model.save(self.folder / "last.keras.partial.keras")
        (self.folder / "last.keras.partial.keras").replace(self.folder / "last.keras")
        if improved:
            model.save_weights(self.folder / "best.weights.h5")
        # state.json is written last: it only ever points at files already complete.
        tmp = self.state_file.with_suffix(".partial")
        tmp.write_text(json.dumps({**state, "fingerprint": self.fp}, indent=2, sort_keys=True))
        tmp.replace(self.state_file)


def write_dvclive(history: list[dict], best: dict, folder: Path) -> None:
    """Rewrite metrics/train from the whole history, so a resumed run's logs are whole."""
    from dvclive import Live

    reset_folder(folder)
    with Live(dir=str(folder), dvcyaml=False, save_dvc_exp=False, report=None) as live:
        for row in history:
            for key in ("train/loss", "val/psnr_y", "lr"):
                live.log_metric(key, row[key])
            live.next_step()
        live.summary.update({"best/val_psnr_y": best["val_psnr_y"], "best/epoch": best["epoch"]})


def train(lr: np.ndarray, hr: np.ndarray, val: tuple[np.ndarray, np.ndarray], base: Base,
          m: Model, t: Train, checkpoint: Checkpoint, log_dir: Path | None = None,
          stop_after: int | None = None):
    """Fit a model; returns it with the best epoch's weights.

    `stop_after` ends the run after that many epochs of this call, as an interruption
    would (used to test resuming)."""
    from pipeline.model import build_model

    strategy = choose_strategy()
    log.info("training with %s with %d replicas", type(strategy).__name__, strategy.num_replicas_in_sync)
    if t.mixed_precision == "on" or (t.mixed_precision == "auto" and tf.config.list_logical_devices("GPU")):
        keras.mixed_precision.set_global_policy("mixed_float16")
    state = checkpoint.resume_state()
    with strategy.scope():
        if state:
            model = keras.models.load_model(checkpoint.folder / "last.keras",
                                            custom_objects={"charbonnier": charbonnier})
            log.info("resuming after epoch %d of %d", state["epoch"], t.epochs)
        else:
            # Seeded here, not at import: the initial weights depend on the seed alone.
            keras.utils.set_random_seed(base.seed)
            model = build_model(m, base.scale)
            model.compile(optimizer=make_optimizer(t), loss=make_loss(t.loss))
            state = {"epoch": 0, "history": [], "best": {"epoch": 0, "val_psnr_y": -1.0}}

    class EpochEnd(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            score = val_psnr_y(self.model, *val, base.scale)
            lr_now = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            state["history"].append({"epoch": epoch + 1, "train/loss": float(logs["loss"]),
                                     "val/psnr_y": score, "lr": lr_now})
            improved = score > state["best"]["val_psnr_y"]
            if improved:
                state["best"] = {"epoch": epoch + 1, "val_psnr_y": score}
            state["epoch"] = epoch + 1
            checkpoint.save(self.model, state, improved)
            if log_dir is not None:
                write_dvclive(state["history"], state["best"], log_dir)
            log.info("epoch %d/%d: loss %.5f, val Y-PSNR %.3f dB%s", epoch + 1, t.epochs,
                     logs["loss"], score, " (best)" if improved else "")
            if stop_after is not None and epoch + 1 - start >= stop_after:
                self.model.stop_training = True

    start = state["epoch"]
    if start < t.epochs:
        data = patch_dataset(lr, hr, t.patch_size, base.scale, t.batch_size, base.seed,
                             start * t.steps_per_epoch, t.epochs * t.steps_per_epoch)
        # A live progress bar in a terminal; one line per epoch in logs (dvc repro, CI).
        model.fit(data, epochs=t.epochs, initial_epoch=start, steps_per_epoch=t.steps_per_epoch,
                  callbacks=[EpochEnd()], verbose=1 if sys.stdout.isatty() else 2)
    elif log_dir is not None:
        write_dvclive(state["history"], state["best"], log_dir)

    best = build_model(m, base.scale)
    best.load_weights(checkpoint.folder / "best.weights.h5")
    return best, state


def export(model, out: Path) -> None:
    """models/model.keras (uncompiled: loads anywhere) and models/savedmodel (TF Serving)."""
    from pipeline.model import save_model

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
    p = load_params(args.params)
    configure_tensorflow(p.base.seed, int(os.environ.get("SUPERSIZER_CPU_DEVICES", "1")))

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
