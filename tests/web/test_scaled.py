"""The web server scaled out for real: a Redis (or Valkey) server from Debian's package on a free
loopback port, the web process and `python -m pipeline.worker` processes, files in a shared
folder. Progress, cancel and ETA through the queue; a worker killed mid-job leaves its job to
the other, run again once and recorded once; the web process restarted keeps every job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.web.store import RedisStore
from tests.support.images import encoded, photo_like
from tests.support.sandbox import REPO
from tests.support.services import NO_REDIS, REDIS, free_port, start_redis

pytestmark = [pytest.mark.slow, pytest.mark.skipif(REDIS is None, reason=NO_REDIS)]


def started(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=REPO, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})


def until(check, timeout_s: float = 90, what: str = "") -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or check}")


class Cluster:
    """redis-server, one web process and workers, on loopback, all in `root`."""

    def __init__(self, root: Path, model: Path) -> None:
        self.root, self.model = root, model
        self.web_port = free_port()
        self.storage = root / "shared"
        self.procs: dict[str, subprocess.Popen] = {}
        self.procs["redis"], self.broker = start_redis(root)

    def web(self) -> None:
        self.procs["web"] = started([sys.executable, "-m", "pipeline.serve", "--broker", self.broker, "--storage",
                                     str(self.storage), "--model", str(self.model), "--port", str(self.web_port),
                                     "--queue", "20"], self.root / "web.log")
        until(lambda: self.get("/api/limits"), 60, "the web process")

    def worker(self, name: str) -> None:
        # Looks for dead workers' messages on every broker call, so a kill is noticed in seconds.
        self.procs[name] = started([sys.executable, "-m", "pipeline.worker", "--broker", self.broker, "--storage",
                                    str(self.storage), "--model", str(self.model), "--maintenance-chance", "1000000"],
                                   self.root / f"{name}.log")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def get(self, path: str) -> dict | None:
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as r:
                return json.loads(r.read())
        except (OSError, ValueError):
            return None

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url(path), timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return 0

    def upload(self, data: bytes, name: str = "p.png") -> dict:
        boundary = "xyzzy"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.url("/api/jobs"), body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read())

    def delete(self, job_id: str) -> int:
        request = urllib.request.Request(self.url(f"/api/jobs/{job_id}"), method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status

    def kill(self, name: str, how: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(how)
        proc.wait(timeout=60)

    def close(self) -> None:
        for proc in self.procs.values():
            proc.kill()
        for proc in self.procs.values():
            proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path, model_path):
    c = Cluster(tmp_path, model_path)
    yield c
    c.close()


def test_two_workers_share_the_queue_and_a_killed_one_s_job_is_run_by_the_other(cluster):
    cluster.web()
    assert cluster.status("/healthz") == 503  # no worker yet: jobs could not run
    cluster.worker("w1")
    cluster.worker("w2")
    until(lambda: (cluster.get("/healthz") or {}).get("workers") == 2, 90, "two live workers")
    # The web process loads no model: its estimate is what the workers timed at start.
    rate = RedisStore(cluster.broker).rate(f"{cluster.model}:plain", None)
    assert rate
    assert cluster.get("/api/limits")["seconds_per_input_mp"] == round(rate * 1e6, 2)
    big = encoded(photo_like(900, 1100, 1), "PNG")  # long enough to be killed in the middle of
    jobs = [cluster.upload(big, f"big{k}.png")["id"] for k in range(2)]
    jobs += [cluster.upload(encoded(photo_like(64, 64, k), "PNG"), f"small{k}.png")["id"] for k in range(4)]
    victim = until(lambda: next((j for j in jobs[:2] if (cluster.get(f"/api/jobs/{j}") or {}).get("status")
                                 == "running"), None), 60, "a big job running")
    pid = int(RedisStore(cluster.broker).get(victim)["worker"].rsplit(":", 1)[1])
    name = next(n for n, p in cluster.procs.items() if p.pid == pid)
    cluster.kill(name)  # mid-job, without a chance to say so
    states = {j: until(lambda j=j: (s := cluster.get(f"/api/jobs/{j}")) and s["status"] in ("done", "failed") and s,
                       180, f"job {j}") for j in jobs}
    assert {s["status"] for s in states.values()} == {"done"}
    assert states[victim]["attempts"] == 2  # run again, by the other worker
    results = sorted(p.name for p in (cluster.storage / "results").iterdir())
    assert results == sorted(f"{j}.png" for j in jobs)  # one result each: never lost, never doubled
    assert cluster.get("/healthz")["workers"] == 1


def test_cancel_progress_and_a_restarted_web_process_through_the_queue(cluster):
    cluster.web()
    cluster.worker("w1")
    until(lambda: (cluster.get("/healthz") or {}).get("workers") == 1, 90, "a live worker")
    big = encoded(photo_like(900, 1100, 2), "PNG")
    first = cluster.upload(big, "first.png")["id"]
    second = cluster.upload(big, "second.png")["id"]
    waiting = cluster.get(f"/api/jobs/{second}")
    assert waiting["status"] in ("queued", "running")
    assert waiting["eta_s"] is None or waiting["eta_s"] > 0
    until(lambda: (cluster.get(f"/api/jobs/{first}") or {}).get("tiles_done", 0) > 0, 90, "progress")
    assert cluster.delete(first) == 204  # the worker stops at its next tile
    cluster.kill("web", signal.SIGTERM)
    cluster.web()  # a new web process: the jobs were in Redis, not in it
    state = until(lambda: (s := cluster.get(f"/api/jobs/{second}")) and s["status"] == "done" and s, 180, "second")
    assert state["attempts"] == 1
    assert cluster.status(f"/api/jobs/{first}") == 404
    assert not [p for p in (cluster.storage / "results").iterdir() if first in p.name]
