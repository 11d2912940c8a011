"""Shared fixtures: tiny params, isolated git/DVC environments, subprocess helpers."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def tiny_params(**overrides: dict) -> dict:
    """The repo's params.yaml shrunk so every stage runs in seconds; `section={key: v}`."""
    p = yaml.safe_load((REPO / "params.yaml").read_text())
    p = copy.deepcopy(p)
    p["crop"].update(side=32, stride=32, max_per_image=6)
    p["model"].update(blocks=1, filters=8)
    p["train"].update(patch_size=8, batch_size=4, epochs=2, steps_per_epoch=3)
    p["evaluate"].update(pictures=1)
    for section, values in overrides.items():
        p[section].update(values)
    return p


def write_params(path: Path, params: dict) -> Path:
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


@pytest.fixture
def isolated_env(tmp_path_factory) -> dict[str, str]:
    """Environment for git, DVC and TF subprocesses that touches nothing outside tmp."""
    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DVC_"))}
    env.update({
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "supersizer tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
        "GIT_COMMITTER_NAME": "supersizer tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid",
        "DVC_NO_ANALYTICS": "1",
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
        "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "DVC_SITE_CACHE_DIR": str(home / "dvc-site"),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True,
        timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output if it exits non-zero."""
    env = env or {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {proc.returncode}\n"
                    f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-6000:]}")
    return proc


def python(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None, check: bool = True,
           timeout: int = 600) -> subprocess.CompletedProcess:
    return run([sys.executable, *args], cwd, env, check, timeout)


def photo_like(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A textured, colourful uint8 RGB image that passes the filter's photo checks."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 60 * np.sin(x / (7 + seed) + c) * np.cos(y / 11 + c) for c in range(3)], -1)
    noise = rng.normal(0, 18, (h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@pytest.fixture
def rgb_64() -> np.ndarray:
    return photo_like(64, 64)


def distinct_photo(h: int, w: int, seed: int) -> np.ndarray:
    """Photo-like images whose structure differs by seed (for perceptual-hash tests)."""
    from PIL import Image

    rng = np.random.default_rng(seed + 1000)
    coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    field = np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC), np.float32)
    return np.clip(field + rng.normal(0, 14, (h, w, 3)), 0, 255).astype(np.uint8)
