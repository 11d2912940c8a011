"""Where training runs: deterministic TensorFlow, the distribution strategy, precision."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import keras
import tensorflow as tf


def configure_tensorflow(seed: int, cpu_devices: int = 1) -> None:
    """Make TF deterministic; optionally split the CPU into logical devices (to exercise
    the multi-device path without GPUs). Must run before TF's first operation."""
    if cpu_devices > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_devices)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def cpu_devices_from_env() -> int:
    """SUPERSIZER_CPU_DEVICES=2 splits the CPU in two logical devices (tests, experiments)."""
    return int(os.environ.get("SUPERSIZER_CPU_DEVICES", "1"))


def choose_strategy() -> tf.distribute.Strategy:
    """Multi-worker when TF_CONFIG describes a cluster, all GPUs (or logical CPUs) of this
    machine when there are several, else the default single-device strategy."""
    if in_cluster():
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    cpus = tf.config.list_logical_devices("CPU")
    if not gpus and len(cpus) > 1:
        return tf.distribute.MirroredStrategy([d.name for d in cpus])
    return tf.distribute.get_strategy()


def set_precision(mode: str) -> None:
    """train.mixed_precision: `on`, `off`, or `auto` (on where a GPU is visible)."""
    if mode == "on" or (mode == "auto" and tf.config.list_logical_devices("GPU")):
        keras.mixed_precision.set_global_policy("mixed_float16")


def in_cluster() -> bool:
    return "TF_CONFIG" in os.environ


def is_chief() -> bool:
    """Whether this process writes the outputs: always, unless TF_CONFIG makes it a worker
    other than the chief (the `chief` task, or worker 0 when the cluster names none)."""
    config = json.loads(os.environ.get("TF_CONFIG", "{}"))
    task, cluster = config.get("task", {}), config.get("cluster", {})
    if not task:
        return True
    if "chief" in cluster:
        return task.get("type") == "chief"
    return task.get("type") == "worker" and task.get("index", 0) == 0


@contextlib.contextmanager
def worker_outputs(folders: list[Path]) -> Iterator[list[Path]]:
    """The output folders for this process: the real ones for the chief; for the other
    workers of a cluster (which must run the same saving code) fresh temp folders, deleted
    afterwards, so nothing DVC tracks is touched twice."""
    if is_chief():
        yield folders
        return
    scratch = Path(tempfile.mkdtemp(prefix="supersizer-worker-"))
    try:
        yield [scratch / f"{i}_{f.name}" for i, f in enumerate(folders)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
