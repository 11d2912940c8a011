"""The web product: upload photos in a browser, watch them upscale, compare, download.

One process: the model is loaded once, one worker thread runs jobs one at a time (see
job_queue.py), and FastAPI serves the page at / and the HTTP API under /api (its
OpenAPI description at /openapi.json). Results are the bytes `python -m pipeline.upscale`
writes for the same file and flags. Jobs live in a temp folder and do not survive a restart.

Longer than most modules on purpose: the whole HTTP contract (routes, status codes, limits,
headers) is in this one file, to be read in one place.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.imaging.images import ALLOWED_FORMATS, BadImage, decode
from pipeline.upscaling.upscaler import Upscaler
from pipeline.web.job_queue import Job, JobQueue, QueueFull

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
# The page loads nothing from elsewhere; blob: is the user's own file, previewed locally.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
MULTIPART_SLACK = 64 * 1024  # the form's own bytes around the file


@dataclass(frozen=True)
class Limits:
    max_upload_mb: float = 50
    max_input_mp: float = 25
    queue: int = 8
    keep_minutes: float = 60

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1e6)

    @property
    def max_pixels(self) -> int:
        return int(self.max_input_mp * 1e6)


class UploadLimit:
    """413 for a body over the limit, naming both, before the body is read (a declared
    Content-Length); a body that turns out larger while streaming is cut off by
    Starlette's own limit, whose plain 413 is given the same wording here."""

    def __init__(self, app: ASGIApp, limit_bytes: int) -> None:
        self.app = RequestBodyLimitMiddleware(app, max_body_size=limit_bytes + MULTIPART_SLACK)
        self.limit = limit_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length and length.isdigit() and int(length) > self.limit + MULTIPART_SLACK:
            mb = int(length) / 1e6
            await JSONResponse({"detail": f"the upload is {mb:.1f} MB; the limit is {self.limit / 1e6:g} MB"},
                               status_code=413)(scope, receive, send)
            return
        replaced = False

        async def send_wrapped(message: Message) -> None:
            nonlocal replaced
            plain = dict(message.get("headers", [])).get(b"content-type", b"").startswith(b"text/plain")
            if message["type"] == "http.response.start" and message["status"] == 413 and plain and not replaced:
                replaced = True
                await JSONResponse({"detail": f"the upload is over the limit of {self.limit / 1e6:g} MB"},
                                   status_code=413)(scope, receive, send)
                return
            if not replaced:
                await send(message)

        await self.app(scope, receive, send_wrapped)


def job_state(queue: JobQueue, job: Job) -> dict:
    scale = queue.upscalers[False].scale
    return {
        "id": job.id, "name": job.name, "status": job.status, "position": queue.position(job),
        "tiles_done": job.tiles_done, "tiles_total": job.tiles_total,
        "eta_s": None if (eta := queue.eta_s(job)) is None else round(eta, 1),
        "input": {"width": job.width, "height": job.height},
        "output": {"width": job.width * scale, "height": job.height * scale, "scale": scale},
        "self_ensemble": job.self_ensemble, "warning": job.warning, "error": job.error,
    }


def display_name(filename: str | None) -> str:
    """The upload's base name, for display and the download's name only."""
    name = PurePath((filename or "upload").replace("\\", "/")).name
    return "".join(c for c in name if c.isprintable())[:200] or "upload"


def create_app(upscaler: Upscaler, limits: Limits, ensemble: Upscaler | None = None) -> FastAPI:
    """The app around one loaded model; `ensemble` runs self-ensemble jobs (default: a
    second engine on the same model). Tests inject small or deliberately slow upscalers."""
    ensemble = ensemble or Upscaler(upscaler.engine.model, upscaler.engine.tile, upscaler.engine.overlap,
                                    self_ensemble=True, batch=upscaler.engine.batch)
    queue = JobQueue(upscaler, ensemble, limits.queue, limits.keep_minutes * 60)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        queue.start()
        yield
        queue.stop()

    app = FastAPI(title="supersizer", version="1", lifespan=lifespan,
                  description="Upload a photo, get it back "
                              f"{upscaler.scale}x larger. Jobs run one at a time, in order.")
    app.state.queue = queue
    app.add_middleware(UploadLimit, limit_bytes=limits.max_upload_bytes)

    @app.middleware("http")
    async def security_headers(request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    def find(job_id: str) -> Job:
        job = queue.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r} (finished jobs are kept {limits.keep_minutes:g} minutes)")
        return job

    @app.post("/api/jobs", status_code=202, summary="Upload a photo to upscale")
    def submit(file: Annotated[UploadFile | None, File(description="the photo")] = None,
               self_ensemble: Annotated[bool, Form(description="average 8 flips/rotations (8x slower)")] = False):
        if file is None:
            raise HTTPException(400, "no file in the upload (send it as the form field `file`)")
        name = display_name(file.filename)
        data = file.file.read()
        if not data:
            raise HTTPException(400, f"{name}: the file is empty")
        try:
            d = decode(data, limits.max_pixels, name=name)
        except BadImage as e:
            if e.reason == "bomb" and e.size:
                w, h = e.size
                raise HTTPException(413, f"{name}: {w}x{h} = {w * h / 1e6:.3g} MP; "
                                         f"limit {limits.max_input_mp:g} MP") from None
            raise HTTPException(415, str(e)) from None
        warning = f"animated: only the first of {d.frames} frames was upscaled" if d.frames > 1 else None
        try:
            job = queue.submit(d, name, self_ensemble, warning)
        except QueueFull as e:
            return JSONResponse({"detail": f"the queue is full ({limits.queue} jobs); try again shortly"},
                                status_code=503, headers={"Retry-After": str(round(e.retry_after_s))})
        return JSONResponse({"id": job.id, "status": job.status, "position": queue.position(job)},
                            status_code=202, headers={"Location": f"/api/jobs/{job.id}"})

    @app.get("/api/jobs/{job_id}", summary="A job's status, progress and time left")
    def status(job_id: str):
        return job_state(queue, find(job_id))

    @app.get("/api/jobs/{job_id}/result", summary="The upscaled PNG (409 until done)",
             response_class=FileResponse)
    def result(job_id: str):
        job = find(job_id)
        if job.status != "done":
            raise HTTPException(409, f"job is {job.status}" + (f": {job.error}" if job.error else ""))
        return FileResponse(job.result, media_type="image/png",
                            filename=f"{PurePath(job.name).stem}_{upscaler.scale}x.png")

    @app.get("/api/jobs/{job_id}/input", summary="The decoded input as PNG, oriented like the result",
             response_class=FileResponse)
    def input_image(job_id: str):
        job = find(job_id)
        if not job.input.is_file():
            raise HTTPException(409, f"job is {job.status}: its input is written when it starts")
        return FileResponse(job.input, media_type="image/png")

    @app.delete("/api/jobs/{job_id}", status_code=204, summary="Cancel a job and delete its files")
    def delete(job_id: str):
        if queue.delete(job_id) is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return Response(status_code=204)

    @app.get("/api/limits", summary="What the server accepts, and how fast it is")
    def get_limits():
        return {"max_upload_mb": limits.max_upload_mb, "max_input_mp": limits.max_input_mp,
                "queue": limits.queue, "scale": upscaler.scale, "formats": list(ALLOWED_FORMATS),
                "seconds_per_input_mp": round(queue.pixel_s[False] * 1e6, 2)}

    @app.get("/healthz", summary="Liveness")
    def healthz():
        return {"status": "ok", "queued": len(queue.waiting)}

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def calibrate(upscaler: Upscaler, queue: JobQueue) -> None:
    """Time one 512 x 512 image, after one to warm up, so the first estimate is real (time
    per pixel hardly depends on the size)."""
    import numpy as np

    probe = np.zeros((512, 512, 3), np.uint8)
    upscaler.engine.super_resolve(probe)
    start = time.perf_counter()
    upscaler.engine.super_resolve(probe)
    queue.calibrate((time.perf_counter() - start) / probe[..., 0].size)
