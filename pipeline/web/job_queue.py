"""Upscale jobs for the web server: a bounded queue and one worker thread that owns the model.

TensorFlow already uses every core inside one model call, so jobs run one at a time; the
others wait in a queue of fixed length (a full queue is refused, not grown). Each job's
files live in its own folder under one temp root, named by a random id; a user's file
name is only ever shown, never used as a path. Finished jobs are deleted after
`keep_s`, and everything at shutdown: jobs do not survive a restart.

Just over 200 lines: the queue, its worker and its time estimates share one lock.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipeline.imaging.images import Decoded, save_png
from pipeline.upscaling.upscaler import Upscaler

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")


class QueueFull(Exception):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__("the queue is full")
        self.retry_after_s = retry_after_s


class Cancelled(Exception):
    pass


@dataclass
class Job:
    id: str
    name: str                      # the uploaded file's name, for display and the download name
    folder: Path
    decoded: Decoded | None        # dropped once the worker has written what it needs
    self_ensemble: bool
    width: int
    height: int
    tiles_total: int
    warning: str | None = None
    status: str = "queued"
    tiles_done: int = 0
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def result(self) -> Path:
        return self.folder / "result.png"

    @property
    def input(self) -> Path:
        return self.folder / "input.png"


class JobQueue:
    """Jobs by id, the waiting line, and the worker thread that runs them."""

    def __init__(self, upscaler: Upscaler, ensemble_upscaler: Upscaler, length: int, keep_s: float = 3600) -> None:
        self.upscalers = {False: upscaler, True: ensemble_upscaler}
        self.length, self.keep_s = length, keep_s
        self.root = Path(tempfile.mkdtemp(prefix="supersizer-serve-"))
        self.jobs: dict[str, Job] = {}
        self.waiting: deque[Job] = deque()
        self.lock = threading.Condition()
        self.stopping = False
        # Seconds per input pixel, measured (and kept up to date) per mode; a guess until
        # then. Per pixel, not per tile: small images run whole, as one "tile".
        self.pixel_s = {False: 4e-6, True: 3.2e-5}
        self.worker = threading.Thread(target=self._work, name="upscale-worker", daemon=True)

    def start(self) -> None:
        self.worker.start()

    def stop(self) -> None:
        """Cancel everything, wait for the worker, delete every job's files."""
        with self.lock:
            self.stopping = True
            for job in self.jobs.values():
                job.cancel.set()
            self.lock.notify_all()
        if self.worker.is_alive():
            self.worker.join(timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)

    def calibrate(self, pixel_s: float) -> None:
        self.pixel_s = {False: pixel_s, True: pixel_s * 8}

    # -- requests ---------------------------------------------------------------------

    def submit(self, decoded: Decoded, name: str, self_ensemble: bool, warning: str | None) -> Job:
        h, w = decoded.rgb.shape[:2]
        engine = self.upscalers[self_ensemble].engine
        with self.lock:
            if len(self.waiting) >= self.length:
                raise QueueFull(max(1.0, self._seconds_ahead(None)))
            job_id = secrets.token_urlsafe(12)
            folder = self.root / job_id
            folder.mkdir()
            job = Job(job_id, name, folder, decoded, self_ensemble, w, h, engine.tiles(h, w), warning)
            self.jobs[job_id] = job
            self.waiting.append(job)
            self.lock.notify_all()
        log.info("job %s queued: %dx%d%s", job_id, w, h, " (self-ensemble)" if self_ensemble else "")
        return job

    def get(self, job_id: str) -> Job | None:
        with self.lock:
            self._expire()
            return self.jobs.get(job_id)

    def delete(self, job_id: str) -> Job | None:
        """Cancel a job and delete its files; a running one stops after the tile batch in
        hand (one tile by default)."""
        with self.lock:
            job = self.jobs.pop(job_id, None)
            if job is None:
                return None
            job.cancel.set()
            if job in self.waiting:
                self.waiting.remove(job)
            if job.status in ACTIVE:
                job.status = "cancelled"
            if job.status != "running":
                shutil.rmtree(job.folder, ignore_errors=True)
            return job

    def position(self, job: Job) -> int:
        """1 for the next job to run, 0 once running or finished."""
        with self.lock:
            return self.waiting.index(job) + 1 if job in self.waiting else 0

    def eta_s(self, job: Job) -> float | None:
        """Seconds until `job` is done, from the measured time per pixel."""
        with self.lock:
            if job.status not in ACTIVE:
                return None
            own = self._seconds_left(job)
            return own + (self._seconds_ahead(job) if job.status == "queued" else 0.0)

    def _seconds_ahead(self, job: Job | None) -> float:
        ahead = [j for j in self.jobs.values() if j.status == "running"]
        for j in self.waiting:
            if j is job:
                break
            ahead.append(j)
        return sum(self._seconds_left(j) for j in ahead)

    def _seconds_left(self, job: Job) -> float:
        """A running job's own pace once it has one; else the measured time per pixel."""
        left = job.tiles_total - job.tiles_done
        if job.tiles_done and job.started_at is not None:
            return (time.monotonic() - job.started_at) / job.tiles_done * left
        return job.width * job.height * left / job.tiles_total * self.pixel_s[job.self_ensemble]

    def _expire(self) -> None:
        now = time.monotonic()
        for job in [j for j in self.jobs.values() if j.finished_at and now - j.finished_at > self.keep_s]:
            self.jobs.pop(job.id)
            shutil.rmtree(job.folder, ignore_errors=True)

    # -- the worker -------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self.lock:
                while not self.waiting and not self.stopping:
                    self.lock.wait(timeout=60)
                    self._expire()
                if self.stopping:
                    return
                job = self.waiting.popleft()
                job.status = "running"
            self._run(job)

    def _run(self, job: Job) -> None:
        up = self.upscalers[job.self_ensemble]
        job.started_at = time.monotonic()
        last = [job.started_at]

        def progress(tiles: int) -> None:
            now = time.monotonic()
            # A moving average: the estimate follows the machine's load.
            rate = (now - last[0]) / (tiles * job.width * job.height / job.tiles_total)
            self.pixel_s[job.self_ensemble] = 0.7 * self.pixel_s[job.self_ensemble] + 0.3 * rate
            last[0] = now
            job.tiles_done += tiles
            if job.cancel.is_set():
                raise Cancelled

        try:
            d = job.decoded
            save_png(input_pixels(d), job.input)
            up.save(d, job.result, progress)
            status, error = "done", None
        except Cancelled:
            status, error = "cancelled", None
        except Exception as e:  # the server keeps serving; the job says what went wrong
            log.exception("job %s failed", job.id)
            status, error = "failed", f"{type(e).__name__}: {e}"
        with self.lock:
            job.decoded = None
            job.finished_at = time.monotonic()
            if job.status != "cancelled":
                job.status, job.error = status, error
            if job.status == "cancelled":
                shutil.rmtree(job.folder, ignore_errors=True)
        log.info("job %s %s", job.id, job.status)


def input_pixels(d: Decoded) -> np.ndarray:
    """The decoded input as the pixels a PNG of it holds: gray as L, alpha kept."""
    base = d.rgb[..., 0] if d.grayscale else d.rgb
    if d.alpha is None:
        return base
    rgb = d.rgb if not d.grayscale else np.repeat(base[..., None], 3, axis=-1)
    return np.concatenate([rgb, d.alpha[..., None]], axis=-1)
