"""A worker process of a scaled-out web server: it runs jobs from the broker.

    python -m pipeline.worker --broker redis://HOST:6379/0 --storage /shared/folder
                              [--model clean|photo|PATH] [--max-input-mp 25] [--threads 1]

Start as many as the machines have cores to spare for (each uses every core of its own in a
model call: one per machine is the usual). The broker and the storage must be the web
server's own (`python -m pipeline.serve --broker ... --storage ...`). A worker killed
mid-job leaves its job to another: the broker hands the message on once the dead worker's
heartbeat is stale, and the job's record says it ran again (attempts). SIGTERM or Ctrl-C
finishes the job in hand, then stops.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from pipeline.cli import tool_parser
from pipeline.upscaling.models import add_model_option, load_or_exit
from pipeline.upscaling.precision import PRECISIONS, bfloat16_here
from pipeline.web.dispatch import make_broker
from pipeline.web.serve import positive
from pipeline.web.storage import Storage
from pipeline.web.store import RedisStore
from pipeline.web.workers import Workshop

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--broker", required=True, metavar="redis://...", help="the web server's Redis")
    parser.add_argument("--storage", required=True, help="the web server's --storage (a shared folder or URL)")
    add_model_option(parser)
    parser.add_argument("--max-input-mp", type=positive(float, 1000), default=25)
    parser.add_argument("--threads", type=positive(int, 64), default=1, help="jobs at once (default 1)")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="bfloat16: about 4x faster on CPUs with AMX (pipeline.upscale --precision)")
    parser.add_argument("--maintenance-chance", type=positive(int, 1_000_000), default=None,
                        help=argparse.SUPPRESS)  # tests: look for dead workers' jobs this often, per million
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    import dramatiq

    loaded = load_or_exit(args.model, "worker")  # the default model loads now, others on first use
    if args.precision == "bfloat16":
        log.info(bfloat16_here())
    broker = make_broker(args.broker, args.maintenance_chance)
    workshop = Workshop(broker, RedisStore(args.broker), Storage(args.storage), int(args.max_input_mp * 1e6),
                        models={loaded.choice.label: loaded}, precision=args.precision)
    # Timed on this machine, into the shared store: the web process loads no model, so its
    # page's estimate is the workers' measure (the last worker started), not a guess.
    workshop.time_model(loaded.choice.label)
    worker = dramatiq.Worker(broker, worker_threads=args.threads, worker_timeout=500)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.start()
    log.info("worker %s: jobs from %s, files in %s, %s", workshop.name, args.broker, args.storage, args.precision)
    stop.wait()
    log.info("stopping: finishing the job in hand")
    worker.stop()
    log.info("worker %s stopped after %d job(s)", workshop.name, workshop.done)
    return 0
