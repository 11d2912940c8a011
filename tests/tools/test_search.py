"""`python -m pipeline.search`: every trial a real DVC experiment, resumable after a kill,
failures recorded, the best one applied with `dvc exp apply`."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import yaml

from tests.support.models import tiny_params
from tests.support.sandbox import Project

pytestmark = pytest.mark.slow


def completed_while_running(root, name: str = "tiny") -> int:
    """Trials complete in the study of a search still running, read without writing: optuna's
    loader, opened while the search creates the store, creates the schema too and one of the
    two fails (CI saw `UNIQUE constraint failed: alembic_version`)."""
    db = root / ".search" / f"{name}.db"
    if not db.exists():
        return 0
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as con:
            return con.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    except sqlite3.OperationalError:  # no trials table yet
        return 0


def study_trials(root, name: str = "tiny") -> list:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    db = root / ".search" / f"{name}.db"
    if not db.exists():
        return []
    try:
        return optuna.load_study(study_name=name, storage=f"sqlite:///{db}").trials
    except KeyError:  # created, study not yet written
        return []


def test_a_search_makes_experiments_survives_a_kill_and_applies_the_best(tmp_path):
    params = tiny_params(search={
        # Seeded so that the first two proposals are valid and, resumed after the second
        # one is killed, the search proposes one valid and one invalid trial.
        "objective": "val.gain_db", "direction": "maximize", "sampler": "random", "seed": 1,
        # patch_size 80 needs 160-pixel images, more than filter.min_side (32): an invalid trial.
        "space": {"train.lr": {"log": [0.001, 0.004]}, "train.patch_size": {"choice": [8, 80]}}})
    project = Project.create(tmp_path / "repo", tmp_path / "home", params)
    project.sh("dvc", "repro")
    project.commit("results")
    command = [sys.executable, "-m", "pipeline.search", "--trials", "3", "--study", "tiny", "--set", "train.epochs=1"]

    first = subprocess.Popen(command, cwd=project.root, env=project.env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not completed_while_running(project.root):
        assert first.poll() is None, first.stdout.read()
        assert time.monotonic() < deadline, "no trial finished"
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # the search and the experiment it runs
    first.wait()

    second = project.sh(*command)
    assert "1 trials finished, 2 to run" in second.stderr
    trials = study_trials(project.root)
    counted = [t for t in trials if t.user_attrs.get("error") != "interrupted"]
    assert len(counted) == 3
    failed = [t for t in counted if t.state.name == "FAIL"]
    assert len(failed) == 1
    assert "train.patch_size=80 times base.scale=2 exceeds filter.min_side=32" in failed[0].user_attrs["error"]

    shown = project.sh("dvc", "exp", "show", "--csv").stdout
    complete = [t for t in counted if t.state.name == "COMPLETE"]
    for t in complete:
        assert f"tiny-{t.number}" in shown
    assert len({t.params["train.lr"] for t in complete}) == 2  # distinct proposals

    summary = json.loads((project.root / "metrics" / "search" / "tiny.json").read_text())
    assert [r["state"] for r in summary["trials"] if r["error"] != "interrupted"].count("complete") == 2
    best = summary["best"]
    assert best["objective"] == max(t.value for t in complete)
    assert best["test_gain_db"] is not None
    assert (project.root / "metrics" / "search" / "tiny.png").stat().st_size > 1000
    assert f"dvc exp apply {best['experiment']}" in second.stdout

    # Committing moves HEAD past the trials' baseline: the report must still find them.
    project.commit("the search's report")
    again = project.sh(*command)
    assert "3 trials finished, 0 to run" in again.stderr
    assert json.loads((project.root / "metrics" / "search" / "tiny.json").read_text())["best"] == best

    project.sh("dvc", "exp", "apply", best["experiment"])
    applied = yaml.safe_load((project.root / "params.yaml").read_text())
    assert applied["train"]["lr"] == pytest.approx(best["params"]["train.lr"])
    assert applied["train"]["epochs"] == 1  # the --set value, part of every trial
    metrics = json.loads((project.root / "metrics" / "eval.json").read_text())
    assert metrics["val"]["gain_db"] == pytest.approx(best["objective"])
