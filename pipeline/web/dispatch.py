"""How a job reaches a worker: a Dramatiq message on queue "upscale".

Dramatiq, because its Redis broker delivers at least once by design: a message is acked
only after its actor returns, each worker's fetched messages are kept under its id, and a
worker whose heartbeat stops (killed, its machine gone) has them put back in the queue by the
others. Celery needs acks_late, reject_on_worker_lost and a tuned visibility timeout for that;
RQ marks a killed worker's job abandoned (failed, unless retries are set up); Huey takes a
task off its queue when it starts it. The embedded server runs the same actor on
Dramatiq's in-process broker, so one code path runs every job; its jobs survive a restart
through the SQLite store, which re-sends what was waiting.

A busy worker with one thread fetches nothing, and Dramatiq only beats a worker's heartbeat
when it talks to Redis: a job longer than the heartbeat timeout would look orphaned and run
twice. So the running job's own heartbeat (pipeline/web/runner.py) also touches the broker.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import dramatiq
from dramatiq.brokers.stub import StubBroker

log = logging.getLogger(__name__)
QUEUE = "upscale"
HEARTBEAT_TIMEOUT_MS = 20_000   # a silent worker's messages go back to the queue after this
TIME_LIMIT_MS = 6 * 3600_000    # the longest job: a 25 MP photo with self-ensemble, on a slow machine


def make_broker(url: str | None, maintenance_chance: int | None = None) -> dramatiq.Broker:
    """Redis at `url`, or (None) the in-process broker of the embedded server."""
    if url is None:
        return StubBroker()
    from dramatiq.brokers.redis import DEFAULT_MAINTENANCE_CHANCE, RedisBroker

    return RedisBroker(url=url, heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
                       maintenance_chance=maintenance_chance or DEFAULT_MAINTENANCE_CHANCE)


def declare(broker: dramatiq.Broker, handler: Callable[[str], object]) -> dramatiq.Actor:
    """The upscale actor on `broker`: `handler(job_id)` runs the job (pipeline/web/runner.py)."""
    return dramatiq.actor(handler, broker=broker, actor_name="upscale", queue_name=QUEUE, max_retries=0,
                          time_limit=TIME_LIMIT_MS)


def keep_alive(broker: dramatiq.Broker) -> None:
    """Tell the Redis broker this worker lives (a no-op in process)."""
    if not isinstance(broker, StubBroker):
        broker.do_qsize(QUEUE)  # any broker command refreshes the heartbeat of this broker's id


def live_workers(broker: dramatiq.Broker) -> int | None:
    """Workers whose heartbeat is recent, by the Redis broker's own register; None in process."""
    if isinstance(broker, StubBroker):
        return None
    now_ms = time.time() * 1000
    return broker.client.zcount(f"{broker.namespace}:__heartbeats__", now_ms - HEARTBEAT_TIMEOUT_MS, "+inf")


class EmbeddedWorkers:
    """The embedded server's worker: a Dramatiq worker thread in this process, watched. A dead
    thread is replaced and the job it held is sent again (`on_replace`)."""

    def __init__(self, broker: dramatiq.Broker, threads: int = 1, on_replace: Callable[[], None] = lambda: None,
                 check_s: float = 1.0) -> None:
        self.broker, self.threads, self.on_replace, self.check_s = broker, threads, on_replace, check_s
        self.worker: dramatiq.Worker | None = None
        self.replaced = 0
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._watching, name="worker-watch", daemon=True)

    def start(self) -> None:
        self.worker = dramatiq.Worker(self.broker, worker_threads=self.threads, worker_timeout=200)
        self.worker.start()
        if not self._watch.is_alive():
            self._watch.start()

    def alive(self) -> int:
        """Worker threads running now."""
        return sum(t.is_alive() for t in self.worker.workers) if self.worker else 0

    def _watching(self) -> None:
        while not self._stop.wait(self.check_s):
            if self.worker is not None and self.alive() < self.threads:
                log.error("a worker thread died: starting a new worker")
                self.replaced += 1
                try:
                    self.worker.stop(timeout=1000)
                except Exception:  # the dead worker's own shutdown may fail; the new one matters
                    log.exception("stopping the dead worker")
                self.start()
                self.on_replace()

    def stop(self) -> None:
        self._stop.set()
        if self.worker is not None:
            self.worker.stop(timeout=10_000)
