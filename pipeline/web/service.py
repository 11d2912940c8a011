"""The web product's jobs, between the HTTP routes and the workers: admission, the waiting
line and its time estimates, cancelling, retention within bounds, health.

Admission decides from the upload's header alone (size, pixel count, frames) and from the
queue's length: a refused upload costs a header read and no decoding, which happens in the
worker. Retention keeps finished jobs at most `keep_minutes`, and the newest `keep_jobs` of
them within `keep_mb` of stored bytes (the oldest go first). At start, what a killed server
left (files of no job, a running job of the embedded worker) is cleaned or run again.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.imaging.images import BadImage, Header, animation_warning, probe
from pipeline.upscaling.formats import Output, refusal
from pipeline.web.runner import STALE_S, preview_key, rate_key, result_key
from pipeline.web.storage import DiskFull, Storage
from pipeline.web.store import ACTIVE, FINISHED, Store

log = logging.getLogger(__name__)


class Refused(Exception):
    """An upload the server will not take: HTTP status, reason, extra headers."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.headers = status, reason, headers or {}


@dataclass(frozen=True)
class Retention:
    keep_minutes: float = 60
    keep_jobs: int = 200
    keep_mb: float = 2000

    @property
    def keep_bytes(self) -> int:
        return int(self.keep_mb * 1e6)


@dataclass(frozen=True)
class Options:
    model: str
    self_ensemble: bool = False
    output: Output = Output()


class Service:
    def __init__(self, store: Store, storage: Storage, send, scale: int, tiles_for, queue_length: int,
                 max_pixels: int, retention: Retention = Retention(), default_rate_s: float = 4e-7) -> None:
        """`send(job_id)` hands a job to the workers; `tiles_for(h, w)` is its unit of progress."""
        self.store, self.storage, self.send = store, storage, send
        self.scale, self.tiles_for = scale, tiles_for
        self.queue_length, self.max_pixels, self.retention = queue_length, max_pixels, retention
        self.default_rate_s = default_rate_s  # seconds per input pixel until a job has run
        self._janitor = threading.Event()

    # -- admission ---------------------------------------------------------------------

    def queue_full(self) -> bool:
        return len(self.store.queued_ids()) >= self.queue_length

    def _retry_after(self) -> int:
        return max(1, round(self.seconds_ahead(None)))

    def full(self) -> Refused:
        return Refused(503, f"the queue is full ({self.queue_length} jobs); try again shortly",
                       {"Retry-After": str(self._retry_after())})

    def admit(self, upload: BinaryIO, name: str, options: Options) -> tuple[dict, int]:
        """A queued job for the uploaded file, or Refused: (job, position)."""
        if self.queue_full():
            raise self.full()
        upload.seek(0)
        header = self._header(upload, name)
        fmt = options.output.format_for(header.format)
        if why := refusal(fmt, header.width * self.scale, header.height * self.scale, header.alpha):
            raise Refused(422, f"{name}: {why}")
        job_id = secrets.token_urlsafe(12)
        warning = animation_warning(header.frames)
        job = {"id": job_id, "name": name, "status": "queued", "created": time.time(), "width": header.width,
               "height": header.height, "tiles_total": self.tiles_for(header.height, header.width), "tiles_done": 0,
               "model": options.model, "self_ensemble": options.self_ensemble, "format": options.output.format,
               "quality": options.output.quality, "strip": options.output.strip,
               "nearest_input": options.output.nearest_input, "expected_format": fmt,
               "warning": warning, "error": None, "attempts": 0}
        # The record first, then its file: the janitor removes files no job owns, and a file
        # stored before its record would be one for a moment.
        position = self.store.create(job, self.queue_length)
        if position is None:  # filled up since the check above
            raise self.full()
        upload.seek(0)
        try:
            self.storage.put(f"uploads/{job_id}", upload)
        except Exception as e:
            self.store.cancel(job_id)
            if isinstance(e, DiskFull):
                raise Refused(507, f"{e.strerror}; try again later") from None
            raise
        self.send(job_id)
        log.info("job %s queued at %d: %dx%d %s", job_id, position, header.width, header.height, options.model)
        return job, position

    def _header(self, upload: BinaryIO, name: str) -> Header:
        try:
            return probe(upload, self.max_pixels, name)
        except BadImage as e:
            if e.reason == "bomb" and e.size:
                w, h = e.size
                raise Refused(413, f"{name}: {w}x{h} = {w * h / 1e6:.3g} MP; "
                                   f"limit {self.max_pixels / 1e6:g} MP") from None
            raise Refused(415, str(e)) from None

    # -- the waiting line ----------------------------------------------------------------

    def position(self, job: dict) -> int:
        """1 for the next job to run, 0 once running or finished."""
        if job["status"] != "queued":
            return 0
        queued = self.store.queued_ids()
        return queued.index(job["id"]) + 1 if job["id"] in queued else 0

    def seconds_left(self, job: dict) -> float:
        """A running job's own pace once it has one, else the measured time per pixel."""
        left = job["tiles_total"] - job.get("tiles_done", 0)
        if job["status"] == "running" and job.get("tiles_done") and job.get("started"):
            return (time.time() - job["started"]) / job["tiles_done"] * left
        rate = self.seconds_per_pixel(job["model"], job["self_ensemble"])
        return job["width"] * job["height"] * left / max(job["tiles_total"], 1) * rate

    def seconds_per_pixel(self, model: str, self_ensemble: bool = False) -> float:
        """Measured for `model` (at start or by finished jobs), else the built-in guess."""
        guess = self.default_rate_s * (8 if self_ensemble else 1)
        return self.store.rate(rate_key({"model": model, "self_ensemble": self_ensemble}), guess)

    def seconds_ahead(self, job: dict | None) -> float:
        """Work before `job` (None: before a new one): what runs, then what waits ahead of it."""
        jobs = {j["id"]: j for j in self.store.jobs() if j["status"] in ACTIVE}
        ahead = [j for j in jobs.values() if j["status"] == "running"]
        for job_id in self.store.queued_ids():
            if job is not None and job_id == job["id"]:
                break
            if job_id in jobs:
                ahead.append(jobs[job_id])
        return sum(self.seconds_left(j) for j in ahead)

    def eta_s(self, job: dict) -> float | None:
        if job["status"] not in ACTIVE:
            return None
        return self.seconds_left(job) + (self.seconds_ahead(job) if job["status"] == "queued" else 0.0)

    # -- cancelling and retention -----------------------------------------------------------

    def delete(self, job_id: str) -> dict | None:
        """Cancel a job and delete its files (a running one stops at its next tile)."""
        job = self.store.cancel(job_id)
        if job is not None:
            self._delete_files(job)
        return job

    def _delete_files(self, job: dict) -> None:
        self.storage.delete(f"uploads/{job['id']}")
        self.storage.delete(preview_key(job["id"]))
        if job.get("result"):
            self.storage.delete(job["result"])

    def tidy(self) -> int:
        """Drop finished jobs past retention (oldest first) and files no job owns; how many went."""
        now, kept, gone = time.time(), [], 0
        finished = sorted((j for j in self.store.jobs() if j["status"] in FINISHED), key=lambda j: j.get("finished", 0))
        for job in finished:
            if now - job.get("finished", now) > self.retention.keep_minutes * 60:
                gone += self.delete(job["id"]) is not None
            else:
                kept.append(job)
        total = sum(j.get("result_bytes", 0) for j in kept)
        # The newest finished job stays, even alone over the byte cap: its user is about to download it.
        while len(kept) > 1 and (len(kept) > self.retention.keep_jobs or total > self.retention.keep_bytes):
            oldest = kept.pop(0)
            total -= oldest.get("result_bytes", 0)
            gone += self.delete(oldest["id"]) is not None
        owners = {j["id"]: j for j in self.store.jobs()}
        for key in self.storage.stored():
            job_id = Path(key).name.split(".")[0]
            job = owners.get(job_id)
            if job is None or (job["status"] in FINISHED and key.endswith(".partial")):
                self.storage.delete(key)  # a killed server's leftovers, or a cancelled job's
        return gone

    def recover(self, embedded: bool) -> int:
        """At start: jobs that were waiting are sent again; in the embedded server a job that
        was running died with the old process and waits again too. How many were sent."""
        sent = 0
        for job in self.store.jobs():
            stale = job["status"] == "running" and (embedded or time.time() - job.get("heartbeat", 0) > STALE_S)
            if stale:
                self.store.update(job["id"], status="queued")
            if job["status"] == "queued" or stale:
                self.send(job["id"])
                sent += 1
        return sent

    def resend_stale(self) -> int:
        """Jobs whose worker went silent (a replaced embedded worker held one): sent again."""
        sent = 0
        for job in self.store.jobs():
            if job["status"] == "running" and time.time() - job.get("heartbeat", 0) > STALE_S:
                self.send(job["id"])
                sent += 1
        return sent

    def start_janitor(self, every_s: float = 30) -> None:
        def loop() -> None:
            while not self._janitor.wait(every_s):
                try:
                    self.tidy()
                except Exception:  # the server keeps serving; the next round tries again
                    log.exception("tidying the job store")

        threading.Thread(target=loop, name="janitor", daemon=True).start()

    def stop(self) -> None:
        self._janitor.set()

    # -- what the API shows ------------------------------------------------------------------

    def state(self, job: dict) -> dict:
        eta = self.eta_s(job)
        fmt = job.get("result_format") or job["expected_format"]
        return {
            "id": job["id"], "name": job["name"], "status": job["status"], "position": self.position(job),
            "tiles_done": job.get("tiles_done", 0), "tiles_total": job["tiles_total"],
            "eta_s": None if eta is None else round(eta, 1),
            "input": {"width": job["width"], "height": job["height"]},
            "output": {"width": job["width"] * self.scale, "height": job["height"] * self.scale, "scale": self.scale,
                       "format": fmt, "bytes": job.get("result_bytes")},
            "model": job["model"], "self_ensemble": job["self_ensemble"], "quality": job["quality"],
            "strip_metadata": job["strip"], "nearest_input": job.get("nearest_input"),
            "warning": job.get("warning"), "error": job.get("error"),
            "attempts": job.get("attempts", 0),
        }


def result_of(job: dict) -> str | None:
    return job.get("result") or (result_key(job["id"], job["expected_format"]) if job["status"] == "done" else None)
