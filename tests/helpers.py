"""Helpers the tests share: tiny params, subprocess runners, generated images."""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def repo_params() -> dict:
    return yaml.safe_load((REPO / "params.yaml").read_text())


def tiny_params(**overrides: dict) -> dict:
    """The repo's params.yaml shrunk so every stage runs in seconds; `section={key: v}`."""
    p = repo_params()
    p["filter"].update(min_side=32)
    p["crop"].update(side=32, stride=32, max_per_image=6)
    p["model"].update(blocks=1, filters=8)
    p["train"].update(patch_size=8, batch_size=4, epochs=2, steps_per_epoch=3, warmup_steps=1)
    p["evaluate"].update(pictures=1)
    for section, values in overrides.items():
        p[section].update(values)
    return p


def write_params(path: Path, params: dict) -> Path:
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True,
        timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output if it exits non-zero."""
    env = env or {**os.environ, "PYTHONPATH": str(REPO)}
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


def distinct_photo(h: int, w: int, seed: int) -> np.ndarray:
    """Photo-like images whose structure differs by seed (for perceptual-hash tests)."""
    rng = np.random.default_rng(seed + 1000)
    coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    field = np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC), np.float32)
    return np.clip(field + rng.normal(0, 14, (h, w, 3)), 0, 255).astype(np.uint8)


def encoded(img: np.ndarray, fmt: str, **save_args) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt, **save_args)
    return buf.getvalue()


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG header declaring width x height pixels, with almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def tiny_model(path: Path, scale: int = 2, **model) -> Path:
    """An untrained default-architecture model with one 8-filter block, saved at `path`."""
    from pipeline.model import build_model
    from pipeline.params import load_params

    m = load_params(REPO / "params.yaml").model.model_copy(update={"blocks": 1, "filters": 8, **model})
    build_model(m, scale).save(path)
    return path


# What a copy of the project needs to run its pipeline (and CI script) elsewhere.
PROJECT_FILES = ["pipeline", "scraper", "scripts", "dvc.yaml", ".dvcignore", ".gitignore"]


def stages_run(output: str) -> list[str]:
    """The stages `dvc repro`/`dvc exp run` ran, in order, from its output."""
    return re.findall(r"Running stage '(\w+)'", output)


class Project:
    """A copy of this repository's pipeline in its own git + DVC repo, with its own HOME and
    DVC config dirs, so nothing outside the test's folders is read or written."""

    def __init__(self, root: Path, home: Path, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.env = {
            "PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8",
            "GIT_CONFIG_NOSYSTEM": "1", "DVC_NO_ANALYTICS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"), "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
            "DVC_SITE_CACHE_DIR": str(home / "dvc-site"), **(env or {}),
        }

    @classmethod
    def create(cls, root: Path, home: Path, params: dict, env: dict[str, str] | None = None) -> Project:
        """The pipeline's files and `params`, committed on `main` in a new git + DVC repo."""
        root.mkdir(parents=True, exist_ok=True)
        for name in PROJECT_FILES:
            src = REPO / name
            if src.is_dir():
                shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(src, root / name)
        write_params(root / "params.yaml", params)
        project = cls(root, home, env)
        project.sh("git", "init", "-q", "-b", "main")
        project.sh("dvc", "init", "-q")
        project.commit("pipeline")
        return project

    def sh(self, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
        return run(list(args), self.root, self.env, check=check, timeout=timeout)

    def commit(self, message: str) -> None:
        self.sh("git", "add", "-A")
        self.sh("git", "commit", "-qm", message)

    def clone(self, root: Path) -> Project:
        run(["git", "clone", "-q", str(self.root), str(root)], self.root.parent, self.env)
        return Project(root, Path(self.env["HOME"]), self.env)
