"""Photos of many sizes through the tile engine: memory and speed, per precision, with and
without the fixed window shapes (pipeline/upscaling/tiles.py, `buckets`).

    python -m benchmarks.many_sizes [--model clean] [--photos 60] [--rounds 2] [--name many_sizes]

The same `--photos` LR images of random sizes (seeded; 0.1-1 MP each, every one its own
size, as a folder of web images or a server's uploads) go through the engine in one process
per configuration: float32, bfloat16 with one window shape per size (what the tool did
before the buckets), bfloat16 with the buckets. Reported for each: the process's resident
memory after the first photo and after the last (what oneDNN keeps per shape shows as
growth), its peak, the output megapixels per second counted on the photos' own pixels (so
the padding a bucket adds is a cost, not a gain), how many distinct window shapes ran, and
how far the bucketed result is from the unbucketed one (8-bit levels, the largest and the
mean over every pixel). The configurations run in turn, `--rounds` times (these machines'
speed drifts by a third within minutes): speeds are the median of the rounds, each round's
kept. Keep the machine otherwise idle.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

from benchmarks.common import photo_pixels, run_child, save
from pipeline.machine import cpu_model

CONFIGS = {"float32": ("float32", False, 1024), "bfloat16, a shape per size": ("bfloat16", False, 1024),
           "bfloat16, buckets": ("bfloat16", True, 1024), "bfloat16, buckets, 512 tiles": ("bfloat16", True, 512)}


def sizes(count: int, seed: int = 0) -> list[tuple[int, int]]:
    """`count` distinct (h, w) of 0.1-1 MP, aspect ratios 3:4 to 16:9 either way."""
    rng = np.random.default_rng(seed)
    out: list[tuple[int, int]] = []
    while len(out) < count:
        area, aspect = rng.uniform(0.1e6, 1e6), rng.uniform(3 / 4, 16 / 9) ** rng.choice([-1, 1])
        hw = (int((area / aspect) ** 0.5), int((area * aspect) ** 0.5))
        if hw not in out:
            out.append(hw)
    return out


def resident_mib() -> float:
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20


def child(model: str, precision: str, buckets: bool, tile: int, count: int, out: str | None) -> None:
    from pipeline.training.devices import configure_tensorflow
    from pipeline.upscaling.models import choose, load
    from pipeline.upscaling.precision import with_precision
    from pipeline.upscaling.tiles import TileEngine

    configure_tensorflow(7)
    network = with_precision(load(choose(model)), precision).model
    engine = TileEngine(network, tile=tile, buckets=buckets)
    shapes, rss, seconds, pixels, results = set(), [], 0.0, 0, []
    for i, (h, w) in enumerate(sizes(count)):
        lr = photo_pixels(h, w, i, grid=(12, 16))
        (wh, ww), _, _ = engine.layout(h, w)
        shapes.add((wh, ww))
        start = time.perf_counter()
        sr = engine.super_resolve(lr)
        seconds += time.perf_counter() - start
        pixels += sr.shape[0] * sr.shape[1]
        rss.append(resident_mib())
        if out:
            results.append(sr)
    if out:
        np.savez(out, *results)
    print(json.dumps({"output_mp_s": round(pixels / 1e6 / seconds, 3), "shapes": len(shapes),
                      "resident_mib_after_first": round(rss[0]), "resident_mib_after_last": round(rss[-1]),
                      "resident_mib_by_photo": [round(r) for r in rss]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="clean", help="a shipped name or a .keras path")
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--name", default="many_sizes", help="results file: benchmarks/results/<name>.json")
    parser.add_argument("--child", nargs=4, metavar=("PRECISION", "BUCKETS", "TILE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        precision, buckets, tile, out = args.child
        return child(args.model, precision, buckets == "1", int(tile), args.photos, None if out == "-" else out)

    import tempfile
    from pathlib import Path

    rounds: dict[str, list[dict]] = {label: [] for label in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for label, (precision, buckets, tile) in CONFIGS.items():
                keep = precision == "bfloat16" and tile == 1024 and r == 0
                out = str(Path(tmp) / f"{precision}{int(buckets)}.npz") if keep else "-"
                run = run_child(["benchmarks.many_sizes", "--model", args.model, "--photos", str(args.photos),
                                 "--child", precision, str(int(buckets)), str(tile), out])
                rounds[label].append({**json.loads(run["stdout"].strip().splitlines()[-1]),
                                      "peak_mib": round(run["peak_mib"])})
                shown = {k: v for k, v in rounds[label][-1].items() if k != "resident_mib_by_photo"}
                print(r, label, shown, flush=True)
        plain, bucketed = np.load(Path(tmp) / "bfloat160.npz"), np.load(Path(tmp) / "bfloat161.npz")
        diffs = [np.abs(plain[k].astype(int) - bucketed[k].astype(int)) for k in plain.files]
    difference = {"max_levels": int(max(d.max() for d in diffs)),
                  "mean_levels": round(float(sum(d.sum() for d in diffs) / sum(d.size for d in diffs)), 4)}
    print("buckets against a shape per size (bfloat16):", difference)
    results = {label: {"output_mp_s_median": round(statistics.median(r["output_mp_s"] for r in runs), 3),
                       "peak_mib_max": max(r["peak_mib"] for r in runs), "shapes": runs[0]["shapes"], "rounds": runs}
               for label, runs in rounds.items()}
    for label, result in results.items():
        print(label, {k: v for k, v in result.items() if k != "rounds"})
    save(args.name, {"cpu": cpu_model(), "model": args.model, "photos": args.photos, "configs": results,
                     "bfloat16_buckets_against_shape_per_size": difference, "command": " ".join(sys.argv)})


if __name__ == "__main__":
    main()
