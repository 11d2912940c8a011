"""What each training choice gives at equal wall time, over several seeds.

    python -m benchmarks.recipes [--minutes 5 | --steps 6000] [--seeds 7 8] [--only default no_ema ...]
                                 [--data data] [--set train.lr=0.004 ...]

Each variant is the default params with a few keys changed (VARIANTS). First the step
time of every variant is measured, back to back (keep the machine idle meanwhile); then
each variant trains for about `--minutes` (its steps per epoch set from its step time)
once per seed, with the real `train()`, and is scored on the whole validation and test
images by the evaluate stage's code. Choose on val; test is reported, never chosen by.
Needs `dvc repro downscale` first (or --data: a folder with another run's lr/ and hr/, and
--set: keys every variant shares, e.g. a preset's). `--steps` gives every variant the same
number of steps instead: equal time only among variants with the same kind of step (it
refuses others), and the way to compare while another job shares the machine. Writes
benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, save
from pipeline.machine import cpu_model
from pipeline.params import Params, load_params, parse_sets, with_overrides

OLD = {"model.residual_scale": 0.1, "model.zero_init": False, "train.lr": 0.001, "train.warmup_steps": 0,
       "train.ema_decay": 0.0, "train.patch_size": 32}
VARIANTS: dict[str, dict[str, object]] = {
    "default": {},
    "f911cad_recipe": OLD,  # the training recipe before this comparison, at the same time
    "residual_scale_0.1": {"model.residual_scale": 0.1, "model.zero_init": False},
    "no_zero_init": {"model.zero_init": False},
    "ema_0.99": {"train.ema_decay": 0.99},
    "ema_0.999": {"train.ema_decay": 0.999},
    "lr_1e-3": {"train.lr": 0.001},
    "lr_4e-3": {"train.lr": 0.004},
    "no_warmup": {"train.warmup_steps": 0},
    "patch_32": {"train.patch_size": 32},
    "patch_64": {"train.patch_size": 64},
    "l2_finish": {"train.finish_loss": "mse", "train.finish_epochs": 2},
    "blocks_4": {"model.blocks": 4},
    "blocks_8": {"model.blocks": 8},
    "blocks_4_filters_48": {"model.blocks": 4, "model.filters": 48},
    "detail_0.3": {"train.detail_keep": 0.3},
    "detail_0.5": {"train.detail_keep": 0.5},
    "blocks_8_filters_48": {"model.blocks": 8, "model.filters": 48},
    "blocks_10_filters_48": {"model.blocks": 10, "model.filters": 48},
    "blocks_12_filters_48": {"model.blocks": 12, "model.filters": 48},
    "blocks_8_filters_64": {"model.blocks": 8, "model.filters": 64},
    "original_2019": {"model.arch": "original", "model.blocks": 9, "model.filters": 64, "train.lr": 0.0009,
                      "train.lr_schedule": "constant", "train.ema_decay": 0.0, "train.patch_size": 32},
}


def step_seconds(p: Params, lr, hr, steps: int = 12) -> float:
    """Median seconds per training step of `p`'s model and recipe on the real patch stream."""
    import keras

    from pipeline.training import recipe
    from pipeline.training.model import build_model
    from pipeline.training.patches import patch_dataset

    model = build_model(p.model, p.base.scale)
    model.compile(optimizer=recipe.make_optimizer(p.train), loss=recipe.make_loss(p.train.loss))
    data = iter(patch_dataset(lr, hr, p.train.patch_size, p.base.scale, p.train.batch_size, 0, 0, steps + 3))
    for _ in range(3):
        model.train_on_batch(*next(data))
    times = []
    for _ in range(steps):
        x, y = next(data)
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    keras.backend.clear_session()
    return statistics.median(times)


def cost_signature(p: Params) -> tuple:
    """What a training step's time depends on."""
    m, t = p.model, p.train
    return (m.arch, m.blocks, m.filters, m.convs_per_block, m.kernel_size, m.upsampler, m.skip,
            t.patch_size, t.batch_size, t.ema_decay > 0)


def run(p: Params, lr, hr, val, data: Path) -> dict:
    from pipeline.evaluation.split import evaluate_split
    from pipeline.training.checkpoint import Checkpoint, fingerprint
    from pipeline.training.loop import train

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Checkpoint(Path(tmp), fingerprint(p.base, p.model, p.train, [lr, hr]))
        began = time.perf_counter()
        model, state = train(lr, hr, val, p.base, p.model, p.train, ckpt)
        minutes = (time.perf_counter() - began) / 60
    row = {"train_minutes": round(minutes, 2), "best_epoch": state["best"]["epoch"]}
    for split in ("val", "test"):
        summary, _ = evaluate_split(model, data / "lr" / split, data / "hr" / split, split,
                                    p.base.scale, p.downscale.method, p.evaluate)
        row[f"{split}_gain_db"] = round(summary["gain_db"], 3)
        row[f"{split}_psnr_y"] = round(summary["model"]["psnr_y"], 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--steps", type=int, help="total steps of every variant, instead of --minutes")
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    parser.add_argument("--only", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--name", default="recipes", help="results file name")
    parser.add_argument("--data", type=Path, default=REPO / "data", help="folder holding lr/ and hr/")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="for every variant")
    args = parser.parse_args()
    base = with_overrides(load_params(REPO / "params.yaml"), parse_sets(args.set))
    from pipeline.training.devices import configure_tensorflow
    from pipeline.training.patches import load_pairs

    configure_tensorflow(base.base.seed)
    lr, hr = load_pairs(args.data / "lr/train", args.data / "hr/train", base.base.scale)
    val = load_pairs(args.data / "lr/val", args.data / "hr/val", base.base.scale)

    # Variants that differ only in numbers the step does not depend on (learning rate,
    # loss, initialisation) share one timing: timing noise must not become a difference in
    # steps. Each kind of step is timed in three rounds, interleaved, keeping the fastest.
    params = {name: with_overrides(base, VARIANTS[name]) for name in args.only}
    kinds = {name: cost_signature(p) for name, p in params.items()}
    if args.steps and len(set(kinds.values())) > 1:
        parser.error("--steps compares variants with the same kind of step only (model, patch, batch, EMA)")
    timings: dict[tuple, list[float]] = {kind: [] for kind in kinds.values()}
    for _ in range(3):
        for kind in timings:
            name = next(n for n, k in kinds.items() if k == kind)
            timings[kind].append(step_seconds(params[name], lr, hr))
    plans = {}
    for name, p in params.items():
        seconds = min(timings[kinds[name]])
        steps = max(10, round((args.steps or args.minutes * 60 / seconds) / p.train.epochs))
        plans[name] = (p, seconds, steps)
        print(f"{name}: {seconds * 1000:.0f} ms/step -> {steps} steps per epoch", flush=True)

    results = {}
    for name, (p, seconds, steps) in plans.items():
        runs = {}
        for seed in args.seeds:
            q = with_overrides(p, {"base.seed": seed, "train.steps_per_epoch": steps,
                                   "train.warmup_steps": min(p.train.warmup_steps, steps * p.train.epochs // 2)})
            runs[seed] = run(q, lr, hr, val, args.data)
            print(name, seed, runs[seed], flush=True)
        gains = [r["val_gain_db"] for r in runs.values()]
        results[name] = {
            "change": VARIANTS[name], "ms_per_step": round(seconds * 1000, 1), "steps": steps * p.train.epochs,
            "val_gain_mean": round(statistics.mean(gains), 3),
            "val_gain_spread": round(max(gains) - min(gains), 3),
            "test_gain_mean": round(statistics.mean(r["test_gain_db"] for r in runs.values()), 3),
            "train_minutes_mean": round(statistics.mean(r["train_minutes"] for r in runs.values()), 2),
            "runs": runs,
        }
        # Saved after every variant: a run stopped to free the machine keeps what it finished.
        save(args.name, {"budget_minutes": None if args.steps else args.minutes, "budget_steps": args.steps,
                         "seeds": args.seeds, "cpu": cpu_model(), "data": str(args.data), "set": args.set,
                         "planned": list(plans), "variants": results})


if __name__ == "__main__":
    main()
