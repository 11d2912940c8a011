"""Servers the tests and benchmarks start for themselves, on free loopback ports only: a
Redis (or Valkey) from Debian's package, and the free port each server needs."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

REDIS = shutil.which("redis-server") or shutil.which("valkey-server")
NO_REDIS = "no redis-server or valkey-server installed (Debian's redis-server package; .ci/run installs it as root)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_up(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(folder: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """A redis-server on 127.0.0.1 that keeps nothing on disk, and its URL; ready when returned."""
    if REDIS is None:
        raise RuntimeError(NO_REDIS)
    port = port or free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=(folder / "redis.log").open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while not redis_up(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"redis-server did not start: {(folder / 'redis.log').read_text()[-500:]}")
        time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"
