"""The web service's processes for the serving benchmarks: web, workers and Redis on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from benchmarks.common import REPO
from tests.support.services import free_port


def request(method: str, url: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 30) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    req = urllib.request.Request(url, body, headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read(), time.perf_counter() - started
    except urllib.error.HTTPError as e:
        return e.code, e.read(), time.perf_counter() - started
    except OSError as e:  # no HTTP answer at all: status 0, the reason as the body
        return 0, str(e).encode(), time.perf_counter() - started


def form(data: bytes, name: str) -> tuple[bytes, dict]:
    b = "loadbench"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").encode() + data
    return body + f"\r\n--{b}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={b}"}


class Stack:
    """The server processes of one mode, in a temp folder."""

    def __init__(self, root: Path, mode: str, model: str, precision: str = "float32") -> None:
        self.root, self.mode, self.model, self.precision = root, mode, model, precision
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        # Unbuffered: the log lines that count finished jobs must reach the file before a SIGKILL.
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
        self.broker = None
        if mode != "embedded":
            redis = shutil.which("redis-server") or shutil.which("valkey-server")
            if not redis:
                raise SystemExit("the scaled modes need redis-server (or valkey-server) installed")
            port = free_port()
            self.broker = f"redis://127.0.0.1:{port}/0"
            self.spawn("redis", [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(root)])
            time.sleep(0.5)

    def spawn(self, name: str, args: list[str]) -> None:
        self.procs[name] = subprocess.Popen(args, cwd=REPO, env=self.env, stdout=(self.root / f"{name}.log").open("ab"),
                                            stderr=subprocess.STDOUT)

    def web(self) -> None:
        args = [sys.executable, "-m", "pipeline.serve", "--port", str(self.port), "--queue", "8", "--model", self.model,
                "--state", str(self.root / "state"), "--precision", self.precision]
        if self.broker:
            args += ["--broker", self.broker, "--storage", str(self.root / "shared")]
        self.spawn("web", args)
        deadline = time.monotonic() + 180
        while request("GET", self.base + "/api/limits", timeout=2)[0] != 200:
            if time.monotonic() > deadline:
                raise SystemExit(f"the web process did not start: {(self.root / 'web.log').read_text()[-2000:]}")
            time.sleep(0.3)

    def worker(self, name: str) -> None:
        self.spawn(name, [sys.executable, "-m", "pipeline.worker", "--broker", self.broker, "--storage",
                          str(self.root / "shared"), "--model", self.model, "--maintenance-chance", "1000000",
                          "--precision", self.precision])

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)

    def storage(self) -> Path:
        return self.root / ("shared" if self.broker else "state/files")

    def close(self) -> None:
        for proc in self.procs.values():
            proc.kill()
            proc.wait(timeout=30)
