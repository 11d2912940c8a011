"""Fixtures shared by the test files (helpers live in tests/helpers.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tests.helpers import REPO, photo_like, tiny_model


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


@pytest.fixture
def rgb_64() -> np.ndarray:
    return photo_like(64, 64)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory):
    """An untrained 1-block, 8-filter x2 model file (it starts as bicubic: see model.py)."""
    pytest.importorskip("keras")
    return tiny_model(tmp_path_factory.mktemp("model") / "model.keras")
