"""The real `dvc` CLI on a copy of this repo in a temporary git repo, with tiny params."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.helpers import REPO, run, tiny_params, write_params

STAGES = ["scrape", "filter", "crop", "downscale", "train", "evaluate"]
COPIED = ["pipeline", "scraper", "dvc.yaml", ".dvcignore", ".gitignore"]


def stages_run(output: str) -> list[str]:
    return re.findall(r"Running stage '(\w+)'", output)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A fresh git + DVC repo holding the pipeline, after a first full `dvc repro`."""
    home = tmp_path_factory.mktemp("home")
    root = tmp_path_factory.mktemp("project")
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, root / name)
    write_params(root / "params.yaml", tiny_params())
    env = {
        "PATH": __import__("os").environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1", "DVC_NO_ANALYTICS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"), "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
        "DVC_SITE_CACHE_DIR": str(home / "dvc-site"),
    }
    def sh(*args: str, check: bool = True):
        return run(list(args), root, env, check=check, timeout=900)

    sh("git", "init", "-q", "-b", "main")
    sh("dvc", "init", "-q")
    sh("git", "add", "-A")
    sh("git", "commit", "-qm", "pipeline")
    first = sh("dvc", "repro")
    sh("git", "add", "-A")
    sh("git", "commit", "-qm", "first run")
    return root, sh, first.stdout


def test_repro_runs_every_stage_in_order(project):
    root, _, output = project
    assert stages_run(output) == STAGES
    assert (root / "models" / "model.keras").is_file()
    assert any((root / "data" / "raw" / "images").iterdir())
    report = json.loads((root / "metrics" / "eval.json").read_text())
    for split in ("train", "val", "test"):
        if split in report:
            assert {"model", "bicubic", "nearest", "gain_db"} <= set(report[split])
            assert report[split]["bicubic"]["psnr_y"] > 20
    assert "test" in report or "val" in report
    assert json.loads((root / "metrics" / "filter.json").read_text())["kept"] > 0
    assert json.loads((root / "metrics" / "train" / "metrics.json").read_text())["step"] == 1


def test_second_repro_does_nothing_and_status_is_clean(project):
    _, sh, _ = project
    again = sh("dvc", "repro")
    assert stages_run(again.stdout) == []
    assert "up to date" in sh("dvc", "status").stdout


def test_exp_run_with_a_new_loss_reruns_only_train_and_evaluate(project):
    root, sh, _ = project
    before = json.loads((root / "metrics" / "eval.json").read_text())
    exp = sh("dvc", "exp", "run", "-S", "train.loss=mse", "-n", "try-mse")
    assert stages_run(exp.stdout) == ["train", "evaluate"]
    for stage in STAGES[:4]:
        assert f"'{stage}' didn't change, skipping" in exp.stdout
    after = json.loads((root / "metrics" / "eval.json").read_text())
    assert after != before
    diff = sh("dvc", "metrics", "diff", "--md").stdout
    assert "metrics/eval.json" in diff
    assert "psnr_y" in diff
    shown = sh("dvc", "exp", "show", "--csv").stdout
    assert "try-mse" in shown
    assert "mse" in shown


def test_changing_crop_side_reruns_from_crop(project):
    root, sh, _ = project
    sh("git", "checkout", "-q", "--", ".")
    sh("dvc", "checkout", "-q", check=False)
    exp = sh("dvc", "exp", "run", "-S", "crop.side=36", "-n", "crop36")
    # filter reads crop.side too (images smaller than a crop are rejected).
    assert stages_run(exp.stdout) == ["filter", "crop", "downscale", "train", "evaluate"], exp.stdout
