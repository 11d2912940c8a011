"""The web server's command line: load the model once, time it, serve the page and the API.

    python -m pipeline.serve [--model models/model.keras] [--host 127.0.0.1] [--port 8000]
                             [--max-upload-mb 50] [--max-input-mp 25] [--queue 8]
"""

from __future__ import annotations

import logging

from pipeline.cli import tool_parser
from pipeline.upscaling.models import add_model_option, load_or_exit
from pipeline.upscaling.upscaler import Upscaler
from pipeline.web.app import Limits, calibrate, create_app

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    add_model_option(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--max-upload-mb", type=float, default=50)
    parser.add_argument("--max-input-mp", type=float, default=25)
    parser.add_argument("--queue", type=int, default=8, help="jobs that may wait; more are refused (503)")
    parser.add_argument("--keep-minutes", type=float, default=60, help="how long finished jobs are kept")
    args = parser.parse_args(argv)
    for flag in ("max_upload_mb", "max_input_mp", "queue", "keep_minutes"):
        if getattr(args, flag) <= 0:
            parser.error(f"--{flag.replace('_', '-')} must be positive")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    model, choice = load_or_exit(args.model, "serve")
    upscaler = Upscaler(model)
    limits = Limits(args.max_upload_mb, args.max_input_mp, args.queue, args.keep_minutes)
    app = create_app(upscaler, limits)
    calibrate(upscaler, app.state.queue)
    import uvicorn

    log.info("serving on http://%s:%d/", args.host, args.port)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0

