"""Training and inference throughput of the default model on this machine.

    python -m benchmarks.train_bench [--steps 60]

- patches/s with the real tf.data pipeline vs. the same model fed one in-memory batch
  (if they match, the input pipeline is not the bottleneck);
- the model's FLOPs per patch and the share of the machine's peak FLOP/s, measured with
  a large float32 matmul in the same TensorFlow;
- inference output megapixels/s on 256x256 LR inputs.
Needs `dvc repro downscale` first (it reads data/lr and data/hr).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.common import REPO, save
from pipeline import train as train_stage
from pipeline.params import load_params


def peak_flops(tf, n: int = 2048, repeats: int = 7) -> float:
    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.linalg.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        times.append(time.perf_counter() - t)
    return 2 * n**3 / min(times)


def step_times(model, dataset, steps: int) -> list[float]:
    it = iter(dataset)
    model.train_on_batch(*next(it))  # build + trace
    times = []
    for _ in range(steps):
        x, y = next(it)
        t = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    p = load_params(REPO / "params.yaml")
    train_stage.configure_tensorflow(p.base.seed)
    tf = train_stage.tf
    from pipeline.model import build_model, flops_per_lr_pixel

    lr, hr = train_stage.load_split(REPO / "data/lr/train", REPO / "data/hr/train")
    t, s = p.train, p.base.scale
    model = build_model(p.model, s)
    model.compile(optimizer=train_stage.make_optimizer(t), loss=train_stage.make_loss(t.loss))
    real = train_stage.patch_dataset(lr, hr, t.patch_size, s, t.batch_size, p.base.seed, 0, 10**6)
    x, y = next(iter(real))
    synthetic = tf.data.Dataset.from_tensors((x, y)).repeat()
    # Warm up, then interleave the two feeds so machine noise hits both alike.
    real_t, synth_t = [], []
    for _ in range(3):
        real_t += step_times(model, real, args.steps // 3)
        synth_t += step_times(model, synthetic, args.steps // 3)
    batch = t.batch_size
    fwd = flops_per_lr_pixel(model, s) * t.patch_size**2
    peak = peak_flops(tf)
    real_pps = batch / statistics.median(real_t)
    synth_pps = batch / statistics.median(synth_t)

    lr_img = np.random.default_rng(0).random((1, 256, 256, 3), dtype=np.float32)
    model(lr_img)
    inf = []
    for _ in range(7):
        t0 = time.perf_counter()
        model(lr_img, training=False)
        inf.append(time.perf_counter() - t0)
    inf_s = statistics.median(inf)
    save("train", {
        "model": f"{p.model.arch} blocks={p.model.blocks} filters={p.model.filters}",
        "patch_lr": t.patch_size, "batch": batch,
        "train_patches_per_s_real_pipeline": round(real_pps, 1),
        "train_patches_per_s_in_memory": round(synth_pps, 1),
        "input_pipeline_ratio": round(real_pps / synth_pps, 3),
        "forward_mflop_per_patch": round(fwd / 1e6, 1),
        "train_gflop_per_s": round(3 * fwd * real_pps / 1e9, 1),
        "peak_gflop_per_s_matmul": round(peak / 1e9, 1),
        "train_share_of_peak": round(3 * fwd * real_pps / peak, 3),
        "inference_output_mp_per_s": round(256 * 256 * s * s / 1e6 / inf_s, 2),
        "inference_share_of_peak": round(flops_per_lr_pixel(model, s) * 256 * 256 / inf_s / peak, 3),
    })


if __name__ == "__main__":
    main()
