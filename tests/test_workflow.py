"""The GPU workflow file is valid GitHub Actions and does what the README says."""

from __future__ import annotations

import shutil

import yaml

from tests.helpers import REPO, run

WORKFLOW = REPO / ".github" / "workflows" / "gpu-pr.yml"


def test_workflow_reproduces_on_gpu_and_comments_on_the_pr():
    wf = yaml.safe_load(WORKFLOW.read_text())
    triggers = wf.get("on") or wf.get(True)  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    job = wf["jobs"]["reproduce"]
    assert job["runs-on"] == ["self-hosted", "gpu"]
    script = "\n".join(step.get("run", "") for step in job["steps"])
    for command in ("dvc repro --pull", "dvc push", "dvc metrics diff main --md", "dvc params diff main --md",
                    "dvc plots diff main", "cml comment create --pr", "tensorflow[and-cuda]"):
        assert command in script, command
    launch = "\n".join(step.get("run", "") for step in wf["jobs"]["launch-runner"]["steps"])
    assert "cml runner launch" in launch
    assert "--labels=gpu" in launch


def test_workflow_matches_the_github_schema():
    exe = shutil.which("check-jsonschema")
    assert exe, "check-jsonschema is in requirements.txt"
    proc = run([exe, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)], REPO)
    assert "ok -- validation done" in proc.stdout
