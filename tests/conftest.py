"""Fixtures shared by the test files (helpers live in tests/support/)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.images import photo_like
from tests.support.models import tiny_model
from tests.support.sandbox import sandbox_env


@pytest.fixture
def isolated_env(tmp_path_factory) -> dict[str, str]:
    """Environment for git, DVC and TF subprocesses that touches nothing outside tmp."""
    return sandbox_env(tmp_path_factory.mktemp("home"))


@pytest.fixture
def rgb_64() -> np.ndarray:
    return photo_like(64, 64)


@pytest.fixture(scope="session")
def model_path(tmp_path_factory):
    """An untrained 1-block, 8-filter x2 model file (it starts as bicubic: see model.py)."""
    pytest.importorskip("keras")
    return tiny_model(tmp_path_factory.mktemp("model") / "model.keras")


@pytest.fixture(scope="module")
def photo_crops():
    """LR/HR pairs cut from two of scikit-image's sample photos."""
    from pipeline.imaging.images import load_rgb
    from pipeline.imaging.resize import downscale
    from scraper.sample import LIBRARIES, library_folder

    hr = []
    for name in ("astronaut.png", "coffee.png"):
        img = load_rgb(library_folder(LIBRARIES[0]) / name)
        hr += [img[y:y + 32, x:x + 32] for y in range(0, 256, 32) for x in range(0, 256, 64)]
    hr = np.stack(hr)
    lr = np.stack([downscale(h, 2, "matlab") for h in hr])
    return lr, hr


@pytest.fixture
def crop_folders(tmp_path, photo_crops):
    """The photo crops written as the train stage reads them: tmp/{lr,hr}/{train,val}/."""
    from pipeline.imaging.images import save_png

    lr, hr = photo_crops
    for split, (a, b) in {"train": (lr, hr), "val": (lr[:4], hr[:4])}.items():
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            save_png(x, tmp_path / "lr" / split / f"{i:03d}.png")
            save_png(y, tmp_path / "hr" / split / f"{i:03d}.png")
    return tmp_path


@pytest.fixture(scope="module")
def tf_ready():
    from pipeline.training.devices import configure_tensorflow

    configure_tensorflow(seed=7)


SLOW_S = 60  # what `@pytest.mark.slow` promises (pyproject.toml)


def pytest_terminal_summary(terminalreporter):
    """Name every test that took over a minute without the slow mark, so the mark stays true."""
    unmarked = [r for r in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
                if r.when == "call" and r.duration > SLOW_S and "slow" not in r.keywords]
    if unmarked:
        terminalreporter.write_sep("-", f"over {SLOW_S} s without @pytest.mark.slow")
        for r in unmarked:
            terminalreporter.write_line(f"{r.duration:6.1f} s  {r.nodeid}")
