"""The GPU workflow file is valid GitHub Actions, pins what it installs, and runs the script
that tests/test_ci_reproduce.py exercises."""

from __future__ import annotations

import os
import re
import shutil

import yaml

from tests.support.sandbox import REPO, run

WORKFLOW = REPO / ".github" / "workflows" / "gpu-pr.yml"


def steps_text(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_workflow_reproduces_on_gpu_with_the_tested_script_and_comments_on_the_pr():
    wf = yaml.safe_load(WORKFLOW.read_text())
    triggers = wf.get("on") or wf.get(True)  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    job = wf["jobs"]["reproduce"]
    assert job["runs-on"] == ["self-hosted", "gpu"]
    script = steps_text(job)
    assert "bash scripts/ci-reproduce.sh" in script
    assert "cml comment create --pr" in script
    env = next(step["env"] for step in job["steps"] if "ci-reproduce.sh" in step.get("run", ""))
    assert env["REQUIRE_GPU"] == "1"
    assert "DVC_REMOTE_URL" in env
    launch = steps_text(wf["jobs"]["launch-runner"])
    assert "cml runner launch" in launch
    assert "--labels=gpu" in launch


def test_what_the_workflow_installs_is_pinned_to_requirements():
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["reproduce"]
    image = job["container"]["image"]
    assert ":" in image
    assert not image.endswith(":latest")
    assert "latest" not in image.split(":")[1]
    pins = dict(re.findall(r"^([\w-]+)==([\w.]+)$", (REPO / "requirements.txt").read_text(), re.M))
    installs = dict(re.findall(r'"([\w-]+)\[[\w-]+\]==([\w.]+)"', steps_text(job)))
    assert installs == {"tensorflow": pins["tensorflow"], "dvc": pins["dvc"]}
    assert "python -m pip install -r requirements.txt" in steps_text(job)


def test_the_script_fails_fast_without_a_gpu_when_asked(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DVC_REMOTE_URL": str(tmp_path / "r"),
           "REQUIRE_GPU": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = run(["bash", str(REPO / "scripts" / "ci-reproduce.sh")], tmp_path, env, check=False)
    assert proc.returncode == 3
    assert "no usable GPU" in proc.stderr or "TensorFlow sees no GPU" in proc.stderr
    assert not (tmp_path / "report.md").exists()


def test_workflow_matches_the_github_schema():
    exe = shutil.which("check-jsonschema")
    assert exe, "check-jsonschema is in requirements.txt"
    proc = run([exe, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)], REPO)
    assert "ok -- validation done" in proc.stdout
