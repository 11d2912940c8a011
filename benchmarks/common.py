"""Helpers shared by the benchmark scripts: timing children, writing results with the machine."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from pipeline.machine import machine

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def run_child(args: list[str], cwd: Path = REPO, env: dict | None = None) -> dict:
    """Run a Python child; return wall seconds, its peak resident memory (MiB) and output.

    Each measurement gets its own process so the peak is that run's alone. The peak is the
    kernel's VmHWM, which starts afresh at exec: ru_maxrss would carry over the parent's."""
    code = ("import re, runpy, sys, time; sys.argv = sys.argv[1:]; t = time.perf_counter();\n"
            "try:\n    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1)\n"
            "print('__BENCH__', time.perf_counter() - t, int(hwm) / 1024, file=sys.stderr)")
    full_env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=full_env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in proc.stderr.splitlines() if x.startswith("__BENCH__"))
    _, inner, rss = line.split()
    return {"wall_s": time.perf_counter() - start, "run_s": float(inner), "peak_mib": float(rss),
            "stdout": proc.stdout, "stderr": proc.stderr}


def photo_pixels(h: int, w: int, seed: int, grid: tuple[int, int] = (30, 45)) -> np.ndarray:
    """An (h, w, 3) uint8 image with photo-like structure: random colours on a `grid`,
    bicubically smoothed to size, plus fine texture. Seeded, so every run sees the same."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (*grid, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
    return np.clip(np.asarray(coarse) + rng.normal(0, 6, (h, w, 1)), 0, 255).astype(np.uint8)


def photo_jpeg(megapixels: float, seed: int) -> tuple[bytes, int, int]:
    """A photo-like JPEG (quality 92) of about that many megapixels, 3:2: its bytes, width, height."""
    import io

    from PIL import Image

    w = int((megapixels * 1e6 * 3 / 2) ** 0.5)
    h = int(megapixels * 1e6 / w)
    buffer = io.BytesIO()
    Image.fromarray(photo_pixels(h, w, seed)).save(buffer, "JPEG", quality=92)
    return buffer.getvalue(), w, h


def gain_summary(model: list[float], bicubic: list[float]) -> dict:
    """Per-image model and bicubic Y-PSNR, summed up: the means, the mean gain, the worst
    image's gain and how many images the model made worse."""
    gains = [m - b for m, b in zip(model, bicubic, strict=True)]
    return {"images": len(gains), "model": round(statistics.mean(model), 3),
            "bicubic": round(statistics.mean(bicubic), 3), "gain": round(statistics.mean(gains), 3),
            "worst_gain": round(min(gains), 3), "worse_than_bicubic": sum(g < 0 for g in gains)}


def save(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {**result, "machine": machine()}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))
