"""What each architecture choice gives per CPU-minute, on the pipeline's own data.

    python -m benchmarks.architectures [--minutes 4] [--only default original ...]

Every variant trains for about the same wall-clock budget (its steps per epoch are set
from a timed warm-up), with the default train params otherwise, then is scored on the
val and test splits with the evaluate stage's code. Needs `dvc repro downscale` first.
Choose on val; test is reported to show the choice generalises, not to pick by.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, save
from pipeline import train as train_stage
from pipeline.params import load_params

VARIANTS = {
    "default": {},
    "no_skip": {"model": {"skip": "none"}},
    "bilinear_skip": {"model": {"skip": "bilinear"}},
    "nearest_upsampler": {"model": {"upsampler": "nearest"}},
    "wider_shallower": {"model": {"blocks": 3, "filters": 48}},
    "deeper_narrower": {"model": {"blocks": 10, "filters": 24}},
    "residual_scale_1": {"model": {"residual_scale": 1.0}},
    "mse_loss": {"train": {"loss": "mse"}},
    "original_2019": {"model": {"arch": "original", "blocks": 9, "filters": 64},
                      "train": {"lr": 0.0009, "lr_schedule": "constant"}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--only", nargs="*", default=list(VARIANTS))
    args = parser.parse_args()
    p = load_params(REPO / "params.yaml")
    train_stage.configure_tensorflow(p.base.seed)
    from pipeline.evaluate import evaluate_split
    from pipeline.model import build_model

    lr, hr = train_stage.load_split(REPO / "data/lr/train", REPO / "data/hr/train")
    val = train_stage.load_split(REPO / "data/lr/val", REPO / "data/hr/val")
    results = {}
    for name in args.only:
        change = VARIANTS[name]
        m = dataclasses.replace(p.model, **change.get("model", {}))
        t = dataclasses.replace(p.train, **change.get("train", {}))
        # Time a few steps to give every variant the same budget.
        probe = build_model(m, p.base.scale)
        probe.compile(optimizer="adam", loss="mae")
        data = iter(train_stage.patch_dataset(lr, hr, t.patch_size, p.base.scale, t.batch_size, 0, 0, 100))
        probe.train_on_batch(*next(data))
        start = time.perf_counter()
        for _ in range(5):
            probe.train_on_batch(*next(data))
        step_s = (time.perf_counter() - start) / 5
        steps = max(10, int(args.minutes * 60 / step_s / t.epochs))
        t = dataclasses.replace(t, steps_per_epoch=steps)
        with tempfile.TemporaryDirectory() as tmp:
            ckpt = train_stage.Checkpoint(Path(tmp), train_stage.fingerprint(p.base, m, t, [lr, hr]))
            began = time.perf_counter()
            model, state = train_stage.train(lr, hr, val, p.base, m, t, ckpt)
            minutes = (time.perf_counter() - began) / 60
        row = {"steps": steps * t.epochs, "train_minutes": round(minutes, 2), "params": model.count_params()}
        for split in ("val", "test"):
            summary, _ = evaluate_split(model, REPO / "data/lr" / split, REPO / "data/hr" / split, p.base.scale,
                                        p.downscale.method, p.evaluate.tolerance, False, 0, None, split)
            row[f"{split}_psnr_y"] = round(summary["model"]["psnr_y"], 3)
            row[f"{split}_gain_db"] = round(summary["gain_db"], 3)
        results[name] = row
        print(name, row, flush=True)
    save("architectures", {"budget_minutes": args.minutes, "variants": results})


if __name__ == "__main__":
    main()
