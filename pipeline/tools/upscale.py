"""Upscale your own photos with a trained model.

    python -m pipeline.upscale photo.jpg albums/ --out out/ [--recursive] [--skip-existing]
                               [--model photo|clean|PATH] [--format auto|png|jpeg|webp] [--quality Q]
                               [--strip-metadata] [--overwrite] [--tile 1024] [--self-ensemble]
                               [--precision float32|bfloat16] [--nearest-input pillow|opencv|unknown]

Each input `name.ext` becomes `OUT/name.<ext of the format>`; a folder's photos keep their
place under OUT (with --recursive, the whole tree). `--out` may name a file when there is one
input: its suffix picks the format. `--format auto` keeps the input's family (JPEG stays
JPEG at quality 95, 4:4:4; PNG stays PNG; WebP stays WebP at 90; others become PNG).
EXIF (orientation applied and reset, sizes updated, thumbnail dropped), XMP and the colour
profile are carried over unless --strip-metadata. Every output is planned before anything
is written; a photo that cannot be read or written is reported on one line and the rest are
done (exit 1). SIGTERM or Ctrl-C stops after the photo being written: what is finished
stays, nothing half-written does, and --skip-existing resumes from there. `--precision
bfloat16` runs the network's body in bfloat16 (pipeline/upscaling/precision.py): about 4x
faster on CPUs with AMX (recent Xeons), no faster without; the same Y-PSNR within 0.02 dB
on every test photo, and a result that depends on the CPU's bfloat16 kernels.
`--nearest-input` is for inputs you know were made small by nearest-neighbour (no blind
model can place them: pipeline/upscaling/recentring.py): `pillow` (also MATLAB) or `opencv`
(also numpy's a[::2, ::2]) moves the result to where the scene is; `unknown`, for a
pixelated input whose program you do not know, takes the mean of both moves (a softer result
that beats leaving it, though by far less than naming the program). The web page asks too.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from pipeline.cli import tool_parser
from pipeline.imaging.images import DEFAULT_MAX_PIXELS
from pipeline.upscaling.batch import Stop, Stopper, find_inputs, plan_outputs, run_stoppable, writable
from pipeline.upscaling.formats import FORMATS, Output, format_of_path
from pipeline.upscaling.models import add_model_option, load_or_exit
from pipeline.upscaling.precision import PRECISIONS, bfloat16_here, with_precision
from pipeline.upscaling.recentring import PROGRAMS
from pipeline.upscaling.tiles import DEFAULT_BATCH, DEFAULT_TILE
from pipeline.upscaling.upscaler import Upscaler


def say(line: str) -> None:
    print(f"upscale: {line}", file=sys.stderr)


def parse(argv: list[str] | None):
    parser = tool_parser(__doc__)
    parser.add_argument("inputs", nargs="+", type=Path, help="image files or folders")
    parser.add_argument("--out", type=Path, required=True, help="output folder (or a file, for one input)")
    parser.add_argument("--recursive", action="store_true", help="folders' subfolders too, mirrored under --out")
    parser.add_argument("--skip-existing", action="store_true", help="keep outputs that exist (resume a batch)")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist (never an input)")
    parser.add_argument("--format", choices=("auto", *FORMATS), default="auto", help="default: the input's family")
    parser.add_argument("--quality", type=int, default=None, help="JPEG and WebP quality, 1-100 (95 and 90)")
    parser.add_argument("--strip-metadata", action="store_true", help="write no EXIF, XMP, colour profile or DPI")
    add_model_option(parser)
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help="LR tile side in pixels; 0 = whole image")
    parser.add_argument("--overlap", type=int, default=None,
                        help="context pixels around each tile (default: the model's receptive radius)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="tiles per model call")
    parser.add_argument("--self-ensemble", action="store_true", help="average 8 flips/rotations (8x slower)")
    parser.add_argument("--precision", choices=PRECISIONS, default="float32",
                        help="bfloat16: about 4x faster on CPUs with AMX, within 0.02 dB (docs/results.md)")
    parser.add_argument("--nearest-input", choices=PROGRAMS, default=None,
                        help="the inputs were made small by this program's nearest-neighbour (unknown: by one "
                             "of the two) (docs/results.md)")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help="refuse inputs with more pixels than this (decompression bombs)")
    args = parser.parse_args(argv)
    for flag, value, lowest in (("--tile", args.tile, 0), ("--overlap", args.overlap, 0),
                                ("--batch", args.batch, 1), ("--max-pixels", args.max_pixels, 1)):
        if value is not None and value < lowest:
            parser.error(f"{flag} {value}: must be at least {lowest}")
    if args.overwrite and args.skip_existing:
        parser.error("--overwrite and --skip-existing: choose one")
    fmt = args.format if args.format != "auto" or len(args.inputs) > 1 else format_of_path(args.out) or "auto"
    try:
        output = Output(args.format, args.quality, args.strip_metadata, args.nearest_input)
        Output(fmt, args.quality)  # --quality with a PNG --out is a mistake too
    except ValueError as e:
        parser.error(f"--{e}")
    return args, output


def main(argv: list[str] | None = None) -> int:
    args, output = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    stopper = Stopper()
    previous = {s: signal.signal(s, stopper) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return upscale(args, output, stopper)
    except Stop as e:  # before any result was started: nothing to keep or remove
        say(f"stopped by {e.signal_name}; nothing was written")
        return 128 + getattr(signal, e.signal_name)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def upscale(args, output: Output, stopper: Stopper) -> int:
    found = find_inputs(args.inputs, args.recursive)
    for line in found.errors + found.notes:
        say(line)
    if found.errors:
        say("nothing was written")
        return 2
    to_file = len(found.sources) == 1 and format_of_path(args.out) is not None

    def plan(scale: int):
        items, problems, refused = plan_outputs(found.sources, args.out, output, scale, args.overwrite,
                                                args.skip_existing, args.max_pixels)
        if not problems and (why := writable(args.out, to_file)):
            problems.append(why)
        return items, problems, refused

    items, problems, refused = plan(2)  # before the model loads; checked again if it is not x2
    up = None
    if not problems:
        loaded = load_or_exit(args.model, "upscale")
        if args.precision == "bfloat16":
            say(bfloat16_here())
        up = Upscaler(with_precision(loaded, args.precision), args.tile, args.overlap, args.self_ensemble, args.batch)
        if up.scale != 2:
            items, problems, refused = plan(up.scale)
    for line in problems + refused:
        say(line)
    if problems:
        say("nothing was written")
        return 2
    tally = run_stoppable(up, items, output, args.max_pixels, say, stopper)
    tally.failed += len(refused)
    say(tally.line())
    if tally.stopped:
        say(f"stopped by {tally.stopped}: finished outputs are kept, the one in progress was removed; "
            "run again with --skip-existing to go on")
        return 128 + getattr(signal, tally.stopped)
    return 1 if tally.failed else 0
