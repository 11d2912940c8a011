"""The shipped models: in git with their cards, declared as DVC artifacts, fetched by `dvc get`,
and used by a fresh clone with no `dvc repro`."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml
from PIL import Image

from pipeline.tools.ship import card_text
from pipeline.upscaling.models import DEFAULT_ORDER, RELEASE, choose, shipped
from tests.support.images import photo_like
from tests.support.sandbox import REPO, run, sandbox_env

MAX_BYTES = 5_000_000


def fresh_clone(root):
    """The files a clone of this working tree would hold: tracked ones and new ones git would
    add, none it ignores (no data/, no models/model.keras, no photos/)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, root / rel)
    return root


def test_each_shipped_model_is_small_has_a_card_and_is_a_dvc_artifact():
    names = shipped()
    assert names, f"no shipped model in {RELEASE}"
    artifacts = yaml.safe_load((REPO / "dvc.yaml").read_text()).get("artifacts", {})
    for name in names:
        model = RELEASE / f"{name}.keras"
        assert model.stat().st_size < MAX_BYTES, name
        card = (RELEASE / f"{name}.md").read_text()
        for must in ("## Scores", "### Per image", "## Speed", "## How it was made", "licence"):
            assert must in card, (name, must)
        assert artifacts[name] == {**artifacts[name], "path": f"models/release/{name}.keras", "type": "model"}
    assert choose(None).name == next(n for n in DEFAULT_ORDER if n in names)


def test_each_card_says_what_its_facts_say():
    """The card a person reads is written from the JSON beside it, never by hand
    (`python -m pipeline.ship NAME --rewrite-card` after a change to its layout)."""
    for name in shipped():
        facts = json.loads((RELEASE / f"{name}.json").read_text())
        assert (RELEASE / f"{name}.md").read_text() == card_text(facts), name
        assert facts["bytes"] == (RELEASE / f"{name}.keras").stat().st_size, name


@pytest.mark.slow
def test_a_fresh_clone_upscales_with_the_shipped_model_and_no_dvc_repro(tmp_path):
    clone = fresh_clone(tmp_path / "clone")
    assert not (clone / "models" / "model.keras").exists()
    Image.fromarray(photo_like(40, 56)).save(tmp_path / "photo.jpg", quality=95)
    proc = run(["python", "-m", "pipeline.upscale", str(tmp_path / "photo.jpg"), "--out", str(tmp_path / "x.png")],
               clone, sandbox_env(tmp_path / "home", PYTHONPATH=str(clone)))
    assert Image.open(tmp_path / "x.png").size == (112, 80)
    default = choose(None).name
    assert f"upscale: model {default} ({clone / 'models' / 'release' / default}.keras, shipped)" in proc.stderr


@pytest.mark.slow
def test_dvc_get_fetches_a_shipped_model_from_a_clone_s_url(tmp_path):
    origin = fresh_clone(tmp_path / "origin")
    env = sandbox_env(tmp_path / "home")
    for args in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "release"]):
        run(args, origin, env)
    name = shipped()[0]
    run(["dvc", "get", str(origin), f"models/release/{name}.keras", "-o", str(tmp_path / "got.keras")], tmp_path, env)
    assert (tmp_path / "got.keras").read_bytes() == (RELEASE / f"{name}.keras").read_bytes()
