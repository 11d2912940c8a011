"""The web server under load and faults, on loopback only, bounded in count and time.

    python -m benchmarks.serve_load [--clients 6] [--photos 8] [--model clean] [--modes embedded scaled1 scaled2]
                                    [--precision float32|bfloat16] [--name serve_load]

For each mode (the embedded server; scaled out on a local Redis with 1 and 2 worker
processes): `--clients` threads each upload `--photos` photos of mixed sizes (0.004 to 1 MP),
among them bad files (text, a truncated JPEG, a PNG that declares 25 MP), and cancel one in
four of their jobs; then a flood of 40 uploads of an 84 KB PNG declaring 5000 x 5000 into the
full queue. Meanwhile /healthz is asked every 0.25 s. In the scaled modes with 2 workers one
worker is killed (SIGKILL) mid-run; in every mode the web process is killed and restarted.
Reports accepted / refused / done / failed / cancelled / lost / doubled, p50/p95 of the time
to a status answer, the web process's memory (idle, peak, before and during the flood) and the storage's
disk peak, and what each fault did. "doubled" counts jobs whose result was recorded by more
than one run (each recording logs "job ID done"; a job may run twice, never finish twice);
"server_errors" counts 5xx answers other than the designed 503 (queue full) and 507 (disk
full); /healthz figures leave out the seconds the web process was down for its restart.
Every network computes in `--precision` (the embedded worker's and each worker process's).
Writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

from benchmarks.common import save
from benchmarks.serving import Stack, form, request
from pipeline.machine import cpu_model
from pipeline.upscaling.precision import PRECISIONS
from tests.support.images import bomb_png, encoded, photo_like

SIZES = [(48, 64), (240, 320), (480, 640), (720, 960), (900, 1100)]


def kind(name: str) -> str:
    """What an upload was: one of the clients' photos (c<client>-<k>.png), or the bad file's name."""
    return "a photo" if re.fullmatch(r"c\d+-\d+\.png", name) else name


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def run_mode(mode: str, clients: int, photos: int, model: str, seed: int, precision: str) -> dict:
    workers = {"embedded": 0, "scaled1": 1, "scaled2": 2}[mode]
    with tempfile.TemporaryDirectory(prefix=f"serve-load-{mode}-") as tmp:
        stack = Stack(Path(tmp), mode, model, precision)
        try:
            return measure(stack, workers, clients, photos, seed)
        finally:
            stack.close()


def measure(stack: Stack, workers: int, clients: int, photos: int, seed: int) -> dict:
    stack.web()
    for k in range(workers):
        stack.worker(f"w{k}")
    while (answer := request("GET", stack.base + "/healthz", timeout=2))[0] != 200:
        time.sleep(0.3)
    web = psutil.Process(stack.procs["web"].pid)
    memory = {"idle_mb": web.memory_info().rss / 1e6, "peak_mb": 0.0, "flood_peak_mb": 0.0}
    flooding = threading.Event()
    health, stop = [], threading.Event()  # (status, seconds, whether the web process was up)
    up = threading.Event()
    up.set()
    codes: list[int] = []
    disk_peak = [0]

    def watch() -> None:
        while not stop.wait(0.25):
            was_up = up.is_set()
            status, _, seconds = request("GET", stack.base + "/healthz", timeout=5)
            health.append((status, seconds, was_up and up.is_set()))
            with contextlib.suppress(psutil.NoSuchProcess, KeyError):  # the web process is being restarted
                rss = psutil.Process(stack.procs["web"].pid).memory_info().rss / 1e6
                memory["peak_mb"] = max(memory["peak_mb"], rss)
                if flooding.is_set():
                    memory["flood_peak_mb"] = max(memory["flood_peak_mb"], rss)
            disk_peak[0] = max(disk_peak[0], disk_bytes(stack.storage()))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    rng = random.Random(seed)
    whole = encoded(photo_like(200, 200, 1), "JPEG")
    bad = [(b"just some notes", "notes.txt"), (whole[: len(whole) // 2], "cut.jpg"), (bomb_png(5000, 5000), "bomb.png")]
    accepted, refused, cancelled, status_times, no_answer = {}, {}, set(), [], []
    lock = threading.Lock()

    def client(c: int) -> None:
        for k in range(photos):
            if rng.random() < 0.2:
                data, name = bad[rng.randrange(len(bad))]
            else:
                h, w = SIZES[rng.randrange(len(SIZES))]
                data, name = encoded(photo_like(h, w, c * 100 + k), "PNG"), f"c{c}-{k}.png"
            body, headers = form(data, name)
            code, answer, _ = request("POST", stack.base + "/api/jobs", body, headers)
            with lock:
                refused[code] = refused.get(code, 0) + (code != 202)
                codes.append(code)
                if code == 0:
                    no_answer.append(f"POST {name}: {answer.decode()}")
            if code != 202:
                time.sleep(0.5)
                continue
            job = json.loads(answer)["id"]
            with lock:
                accepted[job] = name
            status, _, seconds = request("GET", f"{stack.base}/api/jobs/{job}")
            status_times.append(seconds)
            codes.append(status)
            if rng.random() < 0.25:
                time.sleep(rng.random())
                if request("DELETE", f"{stack.base}/api/jobs/{job}")[0] == 204:
                    with lock:
                        cancelled.add(job)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    faults = []
    time.sleep(3)
    if workers == 2:
        stack.kill("w0")
        faults.append("worker w0 killed (SIGKILL) mid-run")
    for t in threads:
        t.join()
    flood_started = time.perf_counter()
    flood_codes, flood_times = {}, []
    declares = bomb_png(5000, 5000)
    body, headers = form(declares + b"\0" * (84_000 - len(declares)), "declares-25MP.png")  # 84 KB, 25 MP

    def flood() -> None:
        for _ in range(10):
            code, answer, seconds = request("POST", stack.base + "/api/jobs", body, headers)
            with lock:
                flood_codes[code] = flood_codes.get(code, 0) + 1
                codes.append(code)
                flood_times.append(seconds)
                if code == 202:
                    accepted[json.loads(answer)["id"]] = "flood"
                # After every answer: the flood can be over before the 0.25 s watcher looks.
                memory["flood_peak_mb"] = max(memory["flood_peak_mb"], web.memory_info().rss / 1e6)
    # The queue is full of the clients' jobs by now (or fills with the first flood uploads).
    memory["before_flood_mb"] = web.memory_info().rss / 1e6
    flooding.set()
    flooders = [threading.Thread(target=flood) for _ in range(4)]
    for t in flooders:
        t.start()
    for t in flooders:
        t.join()
    flooding.clear()
    flood_s = time.perf_counter() - flood_started
    memory["after_flood_mb"] = web.memory_info().rss / 1e6
    up.clear()
    stack.kill("web")
    faults.append("web process killed (SIGKILL) and restarted")
    restart_began = time.perf_counter()
    stack.web()
    restart_s = time.perf_counter() - restart_began
    up.set()
    pending = {j for j in accepted if j not in cancelled}
    final = {}
    deadline = time.monotonic() + 900
    while pending and time.monotonic() < deadline:
        for job in sorted(pending):
            status, answer, seconds = request("GET", f"{stack.base}/api/jobs/{job}")
            status_times.append(seconds)
            codes.append(status)
            state = json.loads(answer) if status == 200 else {"status": f"http {status}"}
            if state["status"] in ("done", "failed") or status == 404:
                final[job] = state
                pending.discard(job)
        time.sleep(0.5)
    stop.set()
    watcher.join()
    recorded: dict[str, int] = {}
    for log_file in stack.root.glob("*.log"):
        for job in re.findall(r"job ([\w-]+) done in", log_file.read_text(errors="replace")):
            recorded[job] = recorded.get(job, 0) + 1
    health_up = [(c, s) for c, s, was_up in health if was_up]
    health_s = [s for _, s in health_up]
    codes += [c for c, _ in health_up]
    return {
        "workers": workers, "accepted": len(accepted), "refused": {str(k): v for k, v in sorted(refused.items()) if v},
        "done": sum(s["status"] == "done" for s in final.values()),
        "failed": sum(s["status"] == "failed" for s in final.values()),
        # Which uploads failed in the worker: only the bad files may (a photo failing is a defect).
        "failed_uploads": dict(sorted(Counter(f"{kind(accepted[j])}: {s.get('error')}" for j, s in final.items()
                                              if s["status"] == "failed").items())),
        "no_answer": no_answer,
        "cancelled": len(cancelled), "lost": len(pending) + sum(s["status"].startswith("http") for s in final.values()),
        "doubled": sum(n > 1 for n in recorded.values()),
        "done_not_recorded": sum(s["status"] == "done" and j not in recorded for j, s in final.items()),
        "server_errors": sum(c >= 500 and c not in (503, 507) for c in codes),
        "run_again": sum(s.get("attempts", 1) > 1 for s in final.values()),
        "status_p50_s": round(statistics.median(status_times), 4),
        "status_p95_s": round(statistics.quantiles(status_times, n=20)[18], 4),
        "healthz_p95_s": round(statistics.quantiles(health_s, n=20)[18], 4), "healthz_max_s": round(max(health_s), 4),
        "healthz_codes": sorted({c for c, _ in health_up}), "restart_s": round(restart_s, 1),
        "flood": {"codes": {str(k): v for k, v in sorted(flood_codes.items())}, "seconds": round(flood_s, 2),
                  "p50_s": round(statistics.median(flood_times), 4)},
        "memory_mb": {k: round(v, 1) for k, v in memory.items()},
        "disk_peak_mb": round(disk_peak[0] / 1e6, 1), "faults": faults,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--model", default="clean")
    parser.add_argument("--modes", nargs="+", default=["embedded", "scaled1", "scaled2"],
                        choices=["embedded", "scaled1", "scaled2"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--precision", choices=PRECISIONS, default="float32")
    parser.add_argument("--name", default="serve_load", help="results file: benchmarks/results/<name>.json")
    args = parser.parse_args()
    # A SIGTERM (a stopped benchmark) unwinds like Ctrl-C, so each Stack's `finally` stops its
    # web, worker and redis processes instead of leaving them orphaned on their ports.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    runs = {}
    for mode in args.modes:
        runs[mode] = run_mode(mode, args.clients, args.photos, args.model, args.seed, args.precision)
        print(mode, json.dumps(runs[mode]), flush=True)
    save(args.name, {"cpu": cpu_model(), "clients": args.clients, "photos": args.photos, "model": args.model,
                     "precision": args.precision, "runs": runs})


if __name__ == "__main__":
    main()
