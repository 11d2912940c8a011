"""dvc.yaml lists, for every stage, exactly the project code its command runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.code_deps import ROOT, local_sources
from tests.support.sandbox import REPO

STAGES = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
CODE_DIRS = ("pipeline", "scraper")


def code_deps(stage: dict) -> tuple[set[Path], list[Path]]:
    """The .py files a stage declares, and the code folders it declares whole."""
    files, folders = set(), []
    for dep in stage["deps"]:
        path = Path(dep)
        if path.parts[0] not in CODE_DIRS:
            continue
        if (REPO / path).is_dir():
            folders.append(path)
            files.update(p.relative_to(REPO) for p in (REPO / path).rglob("*.py"))
        else:
            files.add(path)
    return files, folders


@pytest.mark.parametrize("name", list(STAGES))
def test_each_stage_declares_the_code_it_imports(name):
    stage = STAGES[name]
    module = re.match(r"python -m ([\w.]+)", stage["cmd"]).group(1)
    declared, folders = code_deps(stage)
    # A declared folder's modules run too (Scrapy loads its pipelines from settings by name).
    roots = [module] + [".".join(p.relative_to(REPO).with_suffix("").parts)
                        for f in folders for p in (REPO / f).rglob("*.py") if p.name != "__init__.py"]
    used = set().union(*(local_sources(r) for r in roots))
    assert used - declared == set(), f"{name}: imported but not in deps (a change would not rerun it)"
    assert declared - used == set(), f"{name}: in deps but not imported (a change would rerun it for nothing)"


def test_local_sources_follow_late_imports_and_packages():
    found = set(map(str, local_sources("pipeline.stages.train")))
    assert {"pipeline/stages/train.py", "pipeline/training/model.py", "pipeline/__init__.py"} <= found
    assert all((ROOT / p).is_file() for p in found)
    with pytest.raises(ValueError, match="not a module"):
        local_sources("numpy")


def test_the_sync_script_would_change_nothing_in_dvc_yaml():
    # What it writes is what this file checks; and it keeps the data deps' comments.
    done = subprocess.run([sys.executable, "scripts/sync_code_deps.py", "--check"], cwd=REPO)
    assert done.returncode == 0, "run `python scripts/sync_code_deps.py` and look at the diff of dvc.yaml"
