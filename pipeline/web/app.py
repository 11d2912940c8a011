"""The web product's HTTP contract: the page at /, the API under /api, its description at
/openapi.json. Every route, status code, limit and header is in this file, to be read in
one place; the jobs themselves are pipeline/web/service.py's, run by workers
(pipeline/web/dispatch.py). Results are the bytes `python -m pipeline.upscale` writes for the
same file and options.

Refusals come before work and cost no decoding: a full queue (503 + Retry-After) before the
body is parsed; a body over the limit (413) from its declared length or while it arrives; a
format we do not decode (415) or too many pixels (413) from the header; a cross-origin form
post (403) from its Origin. An answer decided before the body has arrived waits for it (read
and dropped, see `drain`), so that a client still sending gets the answer.
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from urllib.parse import urlparse

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from python_multipart.exceptions import MultipartParseError
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import MultiPartException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.imaging.images import ALLOWED_FORMATS
from pipeline.upscaling.formats import FORMATS, MEDIA_TYPE, SUFFIX, Output
from pipeline.upscaling.recentring import PROGRAMS
from pipeline.web.runner import preview_key
from pipeline.web.service import Options, Refused, Service

STATIC = Path(__file__).parent / "static"
# The page loads nothing from elsewhere; blob: is the user's own file, previewed locally.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
MULTIPART_SLACK = 64 * 1024  # the form's own bytes around the file
LINGER_S = 30.0  # how long an early refusal reads on, at most (nginx's lingering_time)
UPLOAD_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "the photo"},
        "model": {"type": "string", "description": "a model the server offers (GET /api/limits)"},
        "format": {"type": "string", "enum": ["auto", *FORMATS], "default": "auto"},
        "quality": {"type": "integer", "minimum": 1, "maximum": 100, "description": "JPEG and WebP only"},
        "strip_metadata": {"type": "boolean", "default": False},
        "nearest_input": {"type": "string", "enum": list(PROGRAMS),
                          "description": "the program whose nearest-neighbour shrink made the photo, if known "
                                         "(unknown: one of them)"},
        "self_ensemble": {"type": "boolean", "default": False, "description": "8 flips/rotations, 8x slower"}}}}}}}


@dataclass(frozen=True)
class Limits:
    max_upload_mb: float = 50
    max_input_mp: float = 25
    queue: int = 8

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1e6)

    @property
    def max_pixels(self) -> int:
        return int(self.max_input_mp * 1e6)


@dataclass(frozen=True)
class ModelOffer:
    name: str
    description: str  # one line on when to use it


class TooLarge(Exception):
    pass


async def drain(receive: Receive, seconds: float = LINGER_S) -> None:
    """Read the request's body to its end (for `seconds` at most), keeping none of it.

    An answer decided from the headers (queue full, declared too large) must not be sent
    while the client is still sending: uvicorn closes the connection after it, the kernel
    answers the unread bytes with a reset, and the client (a browser, urllib) gets a broken
    pipe instead of the answer. nginx lingers the same way (lingering_close)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = await asyncio.wait_for(receive(), left)
        except TimeoutError:
            return
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class UploadLimit:
    """413 naming the size and the limit: at once for a declared Content-Length over it, and
    for a body (chunked, or lying about its length) as soon as it passes it. The app then
    answers whatever its parser makes of the cut body; that answer is replaced by ours."""

    def __init__(self, app: ASGIApp, limit_bytes: int) -> None:
        self.app, self.limit = app, limit_bytes

    def answer(self, size: str) -> JSONResponse:
        return JSONResponse({"detail": f"the upload is {size}; the limit is {self.limit / 1e6:g} MB"}, status_code=413)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length and length.isdigit() and int(length) > self.limit + MULTIPART_SLACK:
            await drain(receive)
            return await self.answer(f"{int(length) / 1e6:.1f} MB")(scope, receive, send)
        seen, over = 0, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit + MULTIPART_SLACK:
                    over = True
                    raise TooLarge
            return message

        replaced = False

        async def guarded(message: Message) -> None:
            nonlocal replaced
            if over and message["type"] == "http.response.start" and not replaced:
                replaced = True
                await self.answer(f"over {self.limit / 1e6:g} MB")(scope, receive, send)
            elif not replaced:
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except TooLarge:
            if not replaced:
                await self.answer(f"over {self.limit / 1e6:g} MB")(scope, receive, send)


def same_origin(request: Request) -> bool:
    """Whether an unsafe request comes from this server's own page. Browsers send Origin on
    every cross-origin POST and DELETE; tools (curl, scripts) send none and are let through."""
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site":
        return False
    if origin is None:
        return True
    return urlparse(origin).netloc == request.headers.get("host")


def display_name(filename: str | None) -> str:
    """The upload's base name, for display and the download's name only."""
    name = PurePath((filename or "upload").replace("\\", "/")).name
    return "".join(c for c in name if c.isprintable())[:200] or "upload"


def parse_options(form, models: list[ModelOffer], default_model: str) -> Options:
    """The upload's options, or HTTPException 422 naming the field and what it takes."""
    def flag(field: str) -> bool:
        value = str(form.get(field, "false")).lower()
        if value not in ("true", "false", "1", "0", "on", "off"):
            raise HTTPException(422, f"{field}={value!r}: give true or false")
        return value in ("true", "1", "on")

    model = str(form.get("model") or default_model)
    if model not in {m.name for m in models}:
        raise HTTPException(422, f"model={model!r}: this server offers {', '.join(m.name for m in models)}")
    quality, nearest = form.get("quality"), form.get("nearest_input")
    try:
        quality = int(quality) if quality not in (None, "") else None
        output = Output(str(form.get("format") or "auto"), quality, flag("strip_metadata"),
                        str(nearest) if nearest else None)
    except ValueError as e:
        raise HTTPException(422, f"{e}") from None
    return Options(model, flag("self_ensemble"), output)


def create_app(service: Service, limits: Limits, models: list[ModelOffer], default_model: str,
               health: Callable[[], dict], lifespan=None) -> FastAPI:
    """The app around a job service; `health()` says whether jobs can run (workers alive);
    `lifespan` starts and stops what runs beside the routes (workers, the janitor)."""
    app = FastAPI(title="supersizer", version="2", lifespan=lifespan,
                  description=f"Upload a photo, get it back {service.scale}x larger. Jobs wait in a bounded "
                              "queue and run on the server's workers.")
    app.add_middleware(UploadLimit, limit_bytes=limits.max_upload_bytes)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not same_origin(request):
            response = JSONResponse({"detail": "cross-origin requests are refused: use this server's own page"},
                                    status_code=403)
        else:
            response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    def find(job_id: str) -> dict:
        job = service.store.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r} (finished jobs are kept {service.retention.keep_minutes:g} "
                                     "minutes at most)")
        return job

    def refused(e: Refused) -> JSONResponse:
        return JSONResponse({"detail": e.reason}, status_code=e.status, headers=e.headers)

    @app.post("/api/jobs", status_code=202, summary="Upload a photo to upscale", openapi_extra=UPLOAD_FORM)
    async def submit(request: Request):
        if service.queue_full():  # before the body is parsed: it is read and dropped
            await drain(request.receive)
            return refused(service.full())
        try:
            form = await request.form(max_files=1, max_fields=10)
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                return JSONResponse({"detail": "the server's disk is full; try again later"}, status_code=507)
            raise
        except (MultiPartException, MultipartParseError) as e:
            raise HTTPException(400, f"the upload is not a valid multipart form ({e})") from None
        try:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise HTTPException(400, "no file in the upload (send it as the form field `file`)")
            name = display_name(upload.filename)
            upload.file.seek(0, 2)
            if upload.file.tell() == 0:
                raise HTTPException(400, f"{name}: the file is empty")
            options = parse_options(form, models, default_model)
            try:
                job, position = await run_in_threadpool(service.admit, upload.file, name, options)
            except Refused as e:
                return refused(e)
        finally:
            await form.close()
        return JSONResponse({"id": job["id"], "status": job["status"], "position": position}, status_code=202,
                            headers={"Location": f"/api/jobs/{job['id']}"})

    @app.get("/api/jobs/{job_id}", summary="A job's status, progress and time left")
    def status(job_id: str):
        return service.state(find(job_id))

    def stream(key: str, media_type: str, download: str | None = None) -> StreamingResponse:
        """The stored file, from a handle opened now: a deletion racing the download cannot
        truncate it (the open file stays whole) or turn it into a 500."""
        try:
            file, size = service.storage.open(key)
        except FileNotFoundError:
            raise HTTPException(404, "this job's file is gone (cancelled or expired)") from None

        def chunks():
            with file:
                while data := file.read(1 << 20):
                    yield data

        headers = {"Content-Length": str(size)}
        if download:
            headers["Content-Disposition"] = f'attachment; filename="{download}"'
        return StreamingResponse(chunks(), media_type=media_type, headers=headers)

    @app.get("/api/jobs/{job_id}/result", summary="The upscaled photo (409 until done)")
    def result(job_id: str):
        job = find(job_id)
        if job["status"] != "done":
            raise HTTPException(409, f"job is {job['status']}" + (f": {job['error']}" if job.get("error") else ""))
        fmt = job["result_format"]
        name = "".join(c for c in PurePath(job["name"]).stem if c not in '"\\') or "photo"
        return stream(job["result"], MEDIA_TYPE[fmt], f"{name}_{service.scale}x{SUFFIX[fmt]}")

    @app.get("/api/jobs/{job_id}/input", summary="The decoded input as PNG, oriented like the result")
    def input_image(job_id: str):
        job = find(job_id)
        if job["status"] == "queued":
            raise HTTPException(409, "job is queued: its input is decoded when it starts")
        return stream(preview_key(job_id), "image/png")

    @app.delete("/api/jobs/{job_id}", status_code=204, summary="Cancel a job and delete its files")
    def delete(job_id: str):
        if service.delete(job_id) is None:
            raise HTTPException(404, f"no job {job_id!r}")
        return Response(status_code=204)

    @app.get("/api/limits", summary="What the server accepts, its models, and how fast it is")
    def get_limits():
        def seconds_per_input_mp(name: str) -> float:
            return round(service.seconds_per_pixel(name) * 1e6, 2)

        # Per model, because they differ by 2.5x (fast against clean); the top-level figure is the default's.
        return {"max_upload_mb": limits.max_upload_mb, "max_input_mp": limits.max_input_mp, "queue": limits.queue,
                "scale": service.scale, "formats": list(ALLOWED_FORMATS), "output_formats": ["auto", *FORMATS],
                "models": [{"name": m.name, "description": m.description,
                            "seconds_per_input_mp": seconds_per_input_mp(m.name)} for m in models],
                "default_model": default_model, "seconds_per_input_mp": seconds_per_input_mp(default_model)}

    @app.get("/healthz", summary="Whether jobs can run: workers alive, queue depth")
    def healthz():
        report = {**health(), "queued": len(service.store.queued_ids()), "queue": limits.queue}
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
