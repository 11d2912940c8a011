"""What a worker holds and does: the models it loaded (one `Upscaler` per model and mode,
loaded on first use), the store and storage it shares with the web server, and the handler
the Dramatiq actor calls for each message. The embedded server builds one of these in its
own process; `python -m pipeline.worker` builds one per process, on any machine that reaches
the broker and the storage.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import dramatiq
import numpy as np

from pipeline.upscaling.models import choose, load
from pipeline.upscaling.precision import with_precision
from pipeline.upscaling.tiles import DEFAULT_TILE, SERVER_BFLOAT16_TILE
from pipeline.upscaling.upscaler import Upscaler
from pipeline.web.dispatch import declare, keep_alive
from pipeline.web.runner import rate_key, run_job
from pipeline.web.storage import Storage
from pipeline.web.store import Store

log = logging.getLogger(__name__)
RECHECK_MS = 5000


class Workshop:
    def __init__(self, broker: dramatiq.Broker, store: Store, storage: Storage, max_pixels: int,
                 tile: int | None = None, models: dict[str, object] | None = None,
                 precision: str = "float32") -> None:
        """`models`: ones already loaded, by the name jobs give (the rest load on first use);
        every one computes in `precision` (pipeline/upscaling/precision.py). `tile`: by
        default the tool's, and in bfloat16 smaller (tiles.SERVER_BFLOAT16_TILE: a server
        meets photo sizes without end)."""
        if tile is None:
            tile = SERVER_BFLOAT16_TILE if precision == "bfloat16" else DEFAULT_TILE
        self.broker, self.store, self.storage, self.max_pixels, self.tile = broker, store, storage, max_pixels, tile
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.precision = precision
        self.models = {name: with_precision(m, precision) for name, m in (models or {}).items()}
        self.upscalers: dict[tuple[str, bool], Upscaler] = {}
        self.lock = threading.Lock()
        self.actor = declare(broker, self.handle)
        self.done = 0

    def upscaler(self, model: str, self_ensemble: bool) -> Upscaler:
        with self.lock:
            if model not in self.models:
                self.models[model] = with_precision(load(choose(model)), self.precision)
            key = (model, self_ensemble)
            if key not in self.upscalers:
                self.upscalers[key] = Upscaler(self.models[model], self.tile, self_ensemble=self_ensemble)
            return self.upscalers[key]

    def time_model(self, model: str) -> float:
        """Seconds per input pixel of `model` (plain), timed on a 512 x 512 image after a
        warm-up, and put in the store: the page's estimate and the first jobs' ETAs use it."""
        up = self.upscaler(model, False)
        probe = np.zeros((512, 512, 3), np.uint8)
        up.engine.super_resolve(probe)
        start = time.perf_counter()
        up.engine.super_resolve(probe)
        rate = (time.perf_counter() - start) / probe[..., 0].size
        self.store.set_rate(rate_key({"model": model, "self_ensemble": False}), rate)
        return rate

    def handle(self, job_id: str) -> None:
        """The actor: run the job (a re-delivered or finished one is skipped by its claim)."""
        beat = time.monotonic()

        def alive() -> None:  # the job's progress beats the broker's heartbeat too
            nonlocal beat
            if time.monotonic() - beat > 2:
                keep_alive(self.broker)
                beat = time.monotonic()

        status = run_job(job_id, self.store, self.storage, self.upscaler, self.name, self.max_pixels, alive)
        if status == "busy":
            # Redelivered while its worker's heartbeat is still fresh (the broker gave up on the
            # worker first): look again once the job either ends or goes stale, not dropped.
            self.actor.send_with_options(args=(job_id,), delay=RECHECK_MS)
        elif status:
            self.done += 1
            log.info("job %s %s", job_id, status)

    def send(self, job_id: str) -> None:
        self.actor.send(job_id)
