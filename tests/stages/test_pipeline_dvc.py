"""The real `dvc` CLI on a copy of this repo in a temporary git repo, with tiny params."""

from __future__ import annotations

import json

import pytest

from tests.support.models import tiny_params
from tests.support.sandbox import Project, stages_run

pytestmark = pytest.mark.slow  # the whole pipeline under the real dvc, several times

STAGES = ["scrape", "filter", "crop", "downscale", "train", "evaluate"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A fresh git + DVC repo holding the pipeline, after a first full `dvc repro`."""
    p = Project.create(tmp_path_factory.mktemp("project") / "repo", tmp_path_factory.mktemp("home"), tiny_params())
    first = p.sh("dvc", "repro")
    p.commit("first run")
    return p.root, p.sh, first.stdout


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


def test_changing_filter_min_side_reruns_from_filter(project):
    root, sh, _ = project
    sh("git", "checkout", "-q", "--", ".")
    sh("dvc", "checkout", "-q", check=False)
    exp = sh("dvc", "exp", "run", "-S", "filter.min_side=300", "-n", "min300")
    assert stages_run(exp.stdout) == ["filter", "crop", "downscale", "train", "evaluate"], exp.stdout
    assert json.loads((root / "metrics" / "filter.json").read_text())["rejected_too_small"] > 0


def test_a_crop_param_reruns_crop_but_identical_crops_stop_there(project):
    """crop.side only matters outside `whole` mode: crop reruns, writes the same images,
    and DVC skips the rest because crop's output hash did not change."""
    _, sh, _ = project
    sh("git", "checkout", "-q", "--", ".")
    sh("dvc", "checkout", "-q", check=False)
    exp = sh("dvc", "exp", "run", "-S", "crop.side=36", "-n", "crop36")
    assert stages_run(exp.stdout) == ["crop"], exp.stdout


def test_the_search_section_reruns_nothing(project):
    """Only `python -m pipeline.search` reads params.yaml's `search` section."""
    root, sh, _ = project
    sh("git", "checkout", "-q", "--", ".")
    sh("dvc", "checkout", "-q", check=False)
    params = (root / "params.yaml").read_text()
    (root / "params.yaml").write_text(params.replace("sampler: tpe", "sampler: random"))
    assert "up to date" in sh("dvc", "status").stdout
    (root / "params.yaml").write_text(params)
