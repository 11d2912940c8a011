"""Where training runs: deterministic TensorFlow, the distribution strategy, precision."""

from __future__ import annotations

import os

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
    if "TF_CONFIG" in os.environ:
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
