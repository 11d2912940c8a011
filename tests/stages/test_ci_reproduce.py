"""The CI flow for real: scripts/ci-reproduce.sh with a local-directory DVC remote (real DVC,
real cache; only the transport differs from S3), on tiny params."""

from __future__ import annotations

import sys

import pytest

from tests.support.models import tiny_params
from tests.support.sandbox import Project, run, stages_run

pytestmark = pytest.mark.slow


def ci(project: Project):
    return project.sh("bash", "scripts/ci-reproduce.sh")


def test_push_then_a_fresh_clone_reproduces_nothing(tmp_path):
    remote = tmp_path / "remote"
    env = {"DVC_REMOTE_URL": str(remote), "BASE_REV": "main"}
    origin = Project.create(tmp_path / "origin", tmp_path / "home", tiny_params(), env)

    first = ci(origin)
    assert stages_run(first.stdout) == ["scrape", "filter", "crop", "downscale", "train", "evaluate"]
    report = (origin.root / "report.md").read_text()
    assert "## Metrics" in report
    assert "## Params" in report
    assert any(remote.rglob("*"))  # pushed
    assert "in sync" in origin.sh("dvc", "status", "--cloud").stdout  # everything cached is pushed
    origin.commit("the pipeline's results")

    clone = origin.clone(tmp_path / "clone")
    again = ci(clone)
    assert stages_run(again.stdout) == []  # every stage pulled from the remote
    assert "Data and pipelines are up to date" in clone.sh("dvc", "status").stdout
    code = "import keras, sys; m = keras.models.load_model(sys.argv[1]); print(m.output.shape)"
    assert "(None, None, None, 3)" in run([sys.executable, "-c", code, "models/model.keras"], clone.root,
                                          clone.env).stdout

    params = (clone.root / "params.yaml").read_text().replace("lr: 0.002", "lr: 0.003")
    (clone.root / "params.yaml").write_text(params)
    changed = ci(clone)
    assert stages_run(changed.stdout) == ["train", "evaluate"]
    report = (clone.root / "report.md").read_text()
    assert "train.lr" in report
    assert "0.002" in report
    assert "0.003" in report
    assert "metrics/eval.json" in report

    pulled = origin.clone(tmp_path / "pulled")
    pulled.sh("dvc", "pull")
    assert "up to date" in pulled.sh("dvc", "status").stdout
    assert "(None, None, None, 3)" in run([sys.executable, "-c", code, "models/model.keras"], pulled.root,
                                          pulled.env).stdout
