"""How fast the web service turns photos into results, beside the bare model, on loopback only.

    python -m benchmarks.serve_throughput [--model photo] [--jobs 12] [--mp 1.0]
                                          [--modes embedded scaled1 scaled2]
                                          [--precision float32|bfloat16] [--name serve_throughput]

benchmarks/serve_load.py is about faults (kills, floods, bad files) and counts what survives
them; it says nothing about speed. Here nothing goes wrong: for each mode (the embedded server;
a web process and 1 or 2 worker processes on a local Redis) one feeder keeps the queue full
with `--jobs` JPEG photos of `--mp` megapixels (a 503 means wait and send again), a poller
asks each job's status every 0.2 s, and the report gives
- output MP/s of the service: the results' pixels over the time from the first upload to the
  last result seen done (the queue never runs dry, so this is throughput, not latency);
- the ratio of that to the bare model's output MP/s, measured in this process before and
  after every mode (the figure `benchmarks.upscale_bench` uses for the tool): what decoding,
  the queue, the storage and encoding cost;
- per-job latency from accepted to seen done, p50 and p95 (0.2 s polling resolution);
- the workers' own compute seconds per job (their "job ID done in X s" log lines).
Two worker processes on a 2-core machine share the same cores: the scaled2 row shows what a
second process buys when there is no second machine, which is the question before adding one.
Writes benchmarks/results/<name>.json.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bare_model import BareModel
from benchmarks.common import photo_jpeg, save
from benchmarks.serving import Stack, form, request
from pipeline.machine import cpu_model
from pipeline.upscaling.precision import PRECISIONS

POLL_S = 0.2


def measure(stack: Stack, workers: int, jobs: int, megapixels: float, scale: int) -> dict:
    stack.web()
    for k in range(workers):
        stack.worker(f"w{k}")
    deadline = time.monotonic() + 180
    while request("GET", stack.base + "/healthz", timeout=2)[0] != 200:
        if time.monotonic() > deadline:
            raise SystemExit(f"{stack.mode}: /healthz never answered 200 (logs in {stack.root})")
        time.sleep(0.3)
    uploads = [photo_jpeg(megapixels, seed) for seed in range(jobs)]
    accepted: dict[str, float] = {}  # job id -> when it was accepted
    done: dict[str, float] = {}
    failed: dict[str, str] = {}
    lock = threading.Lock()
    refusals, feed_error = [0], []

    def feed() -> None:
        for k, (data, _, _) in enumerate(uploads):
            body, headers = form(data, f"p{k}.jpg")
            while True:
                code, answer, _ = request("POST", stack.base + "/api/jobs", body, headers)
                if code == 202:
                    with lock:
                        accepted[json.loads(answer)["id"]] = time.perf_counter()
                    break
                if code != 503:  # said by the main thread: an exception here would end only this one
                    feed_error.append(f"{stack.mode}: upload p{k}.jpg answered {code}: {answer[:300]!r}")
                    return
                refusals[0] += 1
                time.sleep(POLL_S)

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    limit = time.monotonic() + 60 + 120 * jobs * megapixels  # far beyond any CPU seen: a stuck service ends the run
    while (feeder.is_alive() or len(done) + len(failed) < len(accepted)) and time.monotonic() < limit:
        with lock:
            pending = [j for j in accepted if j not in done and j not in failed]
        for job in pending:
            status, answer, _ = request("GET", f"{stack.base}/api/jobs/{job}")
            state = json.loads(answer).get("status") if status == 200 else f"http {status}"
            if state == "done":
                done[job] = time.perf_counter()
            elif state not in ("queued", "running"):
                failed[job] = f"{state}: {answer[:200]!r}"
        time.sleep(POLL_S)
    if feed_error:
        raise SystemExit(feed_error[0])
    if failed or len(done) < jobs:
        raise SystemExit(f"{stack.mode}: {len(done)} of {jobs} jobs done; failed: {failed}")
    seconds = max(done.values()) - min(accepted.values())
    output_mp = sum(w * h for _, w, h in uploads) * scale**2 / 1e6
    latencies = sorted(done[j] - accepted[j] for j in done)
    compute = [float(s) for log in stack.root.glob("*.log")
               for s in re.findall(r"job [\w-]+ done in ([\d.]+) s", log.read_text(errors="replace"))]
    return {"workers": workers, "jobs": jobs, "output_mp": round(output_mp, 2), "seconds": round(seconds, 2),
            "output_mp_per_s": round(output_mp / seconds, 3), "refused_503_and_resent": refusals[0],
            "latency_p50_s": round(statistics.median(latencies), 2),
            "latency_p95_s": round(statistics.quantiles(latencies, n=20)[18], 2),
            "worker_seconds_per_job_median": round(statistics.median(compute), 2) if compute else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="photo", help="a shipped model's name or a .keras path")
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--mp", type=float, default=1.0, help="megapixels of each uploaded photo")
    parser.add_argument("--modes", nargs="+", default=["embedded", "scaled1", "scaled2"],
                        choices=["embedded", "scaled1", "scaled2"])
    parser.add_argument("--precision", choices=PRECISIONS, default="float32")
    parser.add_argument("--name", default="serve_throughput", help="results file: benchmarks/results/<name>.json")
    args = parser.parse_args()
    if args.jobs < 2:
        parser.error("--jobs must be at least 2 (a p95 needs more than one job)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # each Stack's `finally` stops its processes
    with tempfile.TemporaryDirectory(prefix="serve-throughput-") as tmp:
        subject = BareModel(args.model, args.precision)
        runs = {}
        for mode in args.modes:
            before = subject.alone()
            root = Path(tmp) / mode
            root.mkdir()
            stack = Stack(root, mode, str(subject.path), args.precision)
            try:
                run = measure(stack, {"embedded": 0, "scaled1": 1, "scaled2": 2}[mode], args.jobs, args.mp,
                              subject.scale)
            finally:
                stack.close()
            after = subject.alone()
            best = (max(before.values()) + max(after.values())) / 2
            runs[mode] = {**run, "model_alone_before": before, "model_alone_after": after,
                          "ratio_to_model": round(run["output_mp_per_s"] / best, 3)}
            print(mode, json.dumps(runs[mode]), flush=True)
    save(args.name, {"cpu": cpu_model(), "model": args.model, "model_file": str(subject.path), "jobs": args.jobs,
                     "mp": args.mp, "precision": args.precision, "runs": runs})


if __name__ == "__main__":
    main()
