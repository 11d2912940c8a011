"""One sandbox for every subprocess a test starts: a HOME and DVC config dirs of its own, git
identity set, analytics off, so nothing outside the test's folders is read or written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.models import write_params

REPO = Path(__file__).resolve().parents[2]


def sandbox_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment for git, DVC and Python subprocesses, rooted in `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "DVC_"))}
    env.update({
        "HOME": str(home), "LANG": "C.UTF-8",
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
        **extra,
    })
    return env


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True,
        timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its output if it exits non-zero."""
    env = env or {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {proc.returncode}\n"
                    f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-6000:]}")
    return proc


def python(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None, check: bool = True,
           timeout: int = 600) -> subprocess.CompletedProcess:
    """`python ARGS` in a real process (the one real-process run a command gets, or where a
    process of its own is the point: a stage, a cluster worker, a kill)."""
    return run([sys.executable, *args], cwd, env, check, timeout)


# What a copy of the project needs to run its pipeline (and CI script) elsewhere.
PROJECT_FILES = ["pipeline", "scraper", "scripts", "models/init", "dvc.yaml", ".dvcignore", ".gitignore"]


def stages_run(output: str) -> list[str]:
    """The stages `dvc repro`/`dvc exp run` ran, in order, from its output."""
    return re.findall(r"Running stage '(\w+)'", output)


class Project:
    """A copy of this repository's pipeline in its own git + DVC repo, in the sandbox."""

    def __init__(self, root: Path, home: Path, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.env = {**sandbox_env(home), **(env or {})}

    @classmethod
    def create(cls, root: Path, home: Path, params: dict, env: dict[str, str] | None = None) -> Project:
        """The pipeline's files and `params`, committed on `main` in a new git + DVC repo."""
        root.mkdir(parents=True, exist_ok=True)
        for name in PROJECT_FILES:
            src = REPO / name
            if src.is_dir():
                shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(src, root / name)
        write_params(root / "params.yaml", params)
        project = cls(root, home, env)
        project.sh("git", "init", "-q", "-b", "main")
        project.sh("dvc", "init", "-q")
        project.commit("pipeline")
        return project

    def sh(self, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
        return run(list(args), self.root, self.env, check=check, timeout=timeout)

    def commit(self, message: str) -> None:
        self.sh("git", "add", "-A")
        self.sh("git", "commit", "-qm", message)

    def clone(self, root: Path) -> Project:
        run(["git", "clone", "-q", str(self.root), str(root)], self.root.parent, self.env)
        return Project(root, Path(self.env["HOME"]), self.env)


def call(main, capsys, *args) -> tuple[int, str, str]:
    """A command's `main(argv)` in this process: (exit status, stdout, stderr). argparse's
    errors and a model that will not load exit through SystemExit; both count as statuses."""
    capsys.readouterr()
    try:
        status = main([str(a) for a in args]) or 0
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err
