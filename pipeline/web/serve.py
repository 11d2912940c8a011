"""The web server's command line.

    python -m pipeline.serve [--model clean|photo|PATH] [--host 127.0.0.1] [--port 8000]
                             [--max-upload-mb 50] [--max-input-mp 25] [--queue 8] [--state DIR]
                             [--keep-minutes 60] [--keep-jobs 200] [--keep-mb 2000]
                             [--broker redis://HOST:6379/0 --storage /shared/folder]

Embedded (the default): one command, no other server. Jobs are kept in SQLite under --state
(default ~/.local/state/supersizer) with their files, and run by a worker thread of this
process (a dead one is replaced); a restart goes on with the jobs it had.

Scaled out: with --broker the jobs are kept in that Redis (or Valkey) and run by the
`python -m pipeline.worker --broker ... --storage ...` processes, on this machine or others;
--storage is where uploads and results live, a folder they all reach (or an fsspec URL).
This process then loads no model.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import math
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.cli import tool_parser
from pipeline.upscaling.models import USE, add_model_option, choose, load_or_exit, shipped
from pipeline.upscaling.precision import PRECISIONS, bfloat16_here
from pipeline.upscaling.tiles import tile_count
from pipeline.web.app import Limits, ModelOffer, create_app
from pipeline.web.dispatch import EmbeddedWorkers, live_workers, make_broker
from pipeline.web.service import Retention, Service
from pipeline.web.storage import Storage
from pipeline.web.store import RedisStore, SqliteStore
from pipeline.web.workers import Workshop

log = logging.getLogger(__name__)
DEFAULT_STATE = Path.home() / ".local" / "state" / "supersizer"


def positive(kind: type, top: float = math.inf):
    """An argparse type: a finite number above 0 (and at most `top`)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole' if kind is int else 'a'} number") from None
        if not (math.isfinite(value) and 0 < value <= top):
            raise argparse.ArgumentTypeError(f"{text} must be above 0"
                                             + (f" and at most {top:g}" if top < math.inf else ""))
        return value

    parse.__name__ = kind.__name__
    return parse


def port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (1-65535)")
    return int(text)


def listening_socket(host: str, port_number: int) -> socket.socket:
    """The server's socket, bound now: a port in use is said before any model loads."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port_number))
    return sock


def offers(spec: str | None) -> tuple[list[ModelOffer], str]:
    """The models the page offers, and the default: the shipped ones, or the one --model names."""
    if spec is not None or not shipped():
        label = choose(spec).label
        return [ModelOffer(label, USE.get(label, "the model this server was started with"))], label
    return [ModelOffer(n, USE.get(n, "")) for n in shipped()], choose(None).label


@dataclass
class Server:
    app: object
    service: Service
    workshop: Workshop
    workers: EmbeddedWorkers | None


def assemble(broker, store, storage: Storage, limits: Limits, retention: Retention, models: list[ModelOffer],
             default: str, loaded: dict, precision: str = "float32") -> Server:
    """The app, its job service and (embedded) its workers, wired together."""
    workshop = Workshop(broker, store, storage, limits.max_pixels, None, loaded, precision)
    # Every shipped model is x2; a scaled-out web process loads none and takes that.
    scale = workshop.upscaler(default, False).scale if loaded else 2
    service = Service(store, storage, workshop.send, scale, tile_count, limits.queue, limits.max_pixels, retention)
    # A replaced embedded worker lost what it held: every waiting or running job is sent again.
    workers = EmbeddedWorkers(broker, on_replace=lambda: service.recover(embedded=True)) if loaded else None
    if loaded:
        # Every offered model timed now (the rest load here, not on their first job): the page's
        # estimate and a first job's ETA are then that model's own, not the default's.
        for offer in models:
            workshop.time_model(offer.name)

    def health() -> dict:
        alive = workers.alive() if workers else live_workers(broker)
        return {"status": "ok" if alive else "no worker", "workers": alive,
                "mode": "embedded" if workers else "scaled", "replaced": workers.replaced if workers else None}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        service.tidy()
        resent = service.recover(embedded=workers is not None)
        if resent:
            log.info("%d job(s) from before the restart sent again", resent)
        if workers:
            workers.start()
        service.start_janitor()
        yield
        service.stop()
        if workers:
            workers.stop()

    return Server(create_app(service, limits, models, default, health, lifespan), service, workshop, workers)


def embedded(state: Path, storage: str, limits: Limits, retention: Retention, models: list[ModelOffer],
             default: str, loaded: dict, precision: str = "float32") -> Server:
    """One process, no other server: jobs in SQLite under `state`, run by a worker thread here."""
    return assemble(make_broker(None), SqliteStore(state / "jobs.db"), Storage(storage), limits, retention, models,
                    default, loaded, precision)


def scaled(broker_url: str, storage: str, limits: Limits, retention: Retention, models: list[ModelOffer],
           default: str) -> Server:
    """Jobs in Redis at `broker_url`, run by `python -m pipeline.worker` processes."""
    return assemble(make_broker(broker_url), RedisStore(broker_url), Storage(storage), limits, retention, models,
                    default, {})


def parse(argv: list[str] | None):
    parser = tool_parser(__doc__)
    add_model_option(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=port, default=8000)
    parser.add_argument("--max-upload-mb", type=positive(float, 10_000), default=50)
    parser.add_argument("--max-input-mp", type=positive(float, 1000), default=25)
    parser.add_argument("--queue", type=positive(int, 100_000), default=8, help="jobs that may wait; more get 503")
    parser.add_argument("--keep-minutes", type=positive(float), default=60, help="finished jobs are kept this long")
    parser.add_argument("--keep-jobs", type=positive(int), default=200, help="and at most this many of them")
    parser.add_argument("--keep-mb", type=positive(float), default=2000, help="holding at most this many MB")
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="the embedded server's jobs and files")
    parser.add_argument("--broker", default=None, metavar="redis://...", help="scale out: jobs in this Redis")
    parser.add_argument("--storage", default=None, help="uploads and results (default: --state/files)")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="the embedded worker's (pipeline.upscale --precision); scaled-out workers take their own")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        sock = listening_socket(args.host, args.port)
    except OSError as e:
        why = "is in use (another server?); choose another --port" if e.errno == errno.EADDRINUSE else e.strerror
        print(f"serve: {args.host}:{args.port} {why}", file=sys.stderr)
        return 2
    models, default = offers(args.model)
    limits = Limits(args.max_upload_mb, args.max_input_mp, args.queue)
    retention = Retention(args.keep_minutes, args.keep_jobs, args.keep_mb)
    storage = args.storage or str(args.state / "files")
    if args.broker is None:  # the workers are this process: load the default model now, time it
        if args.precision == "bfloat16":
            log.info(bfloat16_here())
        server = embedded(args.state, storage, limits, retention, models, default,
                          {default: load_or_exit(args.model, "serve")}, args.precision)
    else:
        server = scaled(args.broker, storage, limits, retention, models, default)
    app = server.app
    import uvicorn

    log.info("serving on http://%s:%d/ (%s; models %s)", args.host, args.port,
             f"embedded, {args.precision}" if args.broker is None else f"jobs in {args.broker}",
             ", ".join(m.name for m in models))
    config = uvicorn.Config(app, log_level="info")
    uvicorn.Server(config).run(sockets=[sock])
    return 0
