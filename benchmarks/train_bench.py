"""Does the patch stream keep up with the model? Training throughput on this machine.

    python -m benchmarks.train_bench [--steps 60]

- patches/s of the real training step fed by the real patch stream (`pipeline.training.patches`
  through the strategy, as `train` runs it), against the same step fed one batch kept in
  memory: equal figures mean the input pipeline never starves the model;
- the model's FLOPs per patch and the share of the machine's peak FLOP/s, measured with a
  large float32 matmul in the same TensorFlow.
Needs `dvc repro downscale` first (it reads data/lr and data/hr). Keep the machine idle.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.common import REPO, save
from pipeline.machine import cpu_model
from pipeline.params import load_params


def peak_flops(tf, n: int = 2048, repeats: int = 7) -> float:
    a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
    tf.linalg.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times)


def step_times(step, batches, steps: int) -> list[float]:
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        float(step(next(batches)))
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    p = load_params(REPO / "params.yaml")
    import itertools

    import tensorflow as tf

    from benchmarks.flops import flops_per_lr_pixel
    from pipeline.training import recipe
    from pipeline.training.devices import choose_strategy, configure_tensorflow
    from pipeline.training.loop import distribute, make_step
    from pipeline.training.model import build_model
    from pipeline.training.patches import load_pairs, patch_dataset

    configure_tensorflow(p.base.seed)
    t, s = p.train, p.base.scale
    strategy = choose_strategy()
    with strategy.scope():
        model = build_model(p.model, s)
        optimizer = recipe.make_optimizer(t)
        optimizer.build(model.trainable_variables)
    step = make_step(model, optimizer, recipe.patch_loss(t.loss, t.no_harm), strategy, t.batch_size)
    lr, hr = load_pairs(REPO / "data/lr/train", REPO / "data/hr/train", s)
    real = iter(distribute(patch_dataset(lr, hr, t.patch_size, s, t.batch_size, p.base.seed, 0, 10**6), strategy))
    one = next(real)
    memory = itertools.repeat(one)
    step_times(step, real, 3)  # trace and warm up
    # Interleaved rounds, so machine noise hits both feeds alike.
    real_t, memory_t = [], []
    for _ in range(3):
        real_t += step_times(step, real, args.steps // 3)
        memory_t += step_times(step, memory, args.steps // 3)
    real_pps = t.batch_size / statistics.median(real_t)
    memory_pps = t.batch_size / statistics.median(memory_t)
    fwd = flops_per_lr_pixel(model, s) * t.patch_size**2
    peak = peak_flops(tf)
    save("train", {
        "cpu": cpu_model(),
        "model": f"{p.model.arch} blocks={p.model.blocks} filters={p.model.filters}",
        "patch_lr": t.patch_size, "batch": t.batch_size, "ema": t.ema_decay > 0,
        "patches_per_s_real_stream": round(real_pps, 1),
        "patches_per_s_model_alone": round(memory_pps, 1),
        "stream_to_model_ratio": round(real_pps / memory_pps, 3),
        "forward_mflop_per_patch": round(fwd / 1e6, 1),
        "train_gflop_per_s": round(3 * fwd * real_pps / 1e9, 1),
        "peak_gflop_per_s_matmul": round(peak / 1e9, 1),
        "train_share_of_peak": round(3 * fwd * real_pps / peak, 3),
    })


if __name__ == "__main__":
    main()
