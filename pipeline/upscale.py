"""Upscale your own photos with the trained model.

    python -m pipeline.upscale photo.jpg more/ --out out/ [--model models/model.keras]
                               [--tile 512] [--batch 1] [--overlap N] [--self-ensemble] [--overwrite]

Each input `name.ext` becomes `OUT/name.png` (`--out` may name a file when there is one
input). Any mode Pillow reads works: alpha is upscaled separately (bicubic), grayscale
stays grayscale, EXIF orientation is applied and the ICC profile is carried over.
Large images are processed in overlapping tiles, so memory is bounded by the tile size
and the result has no seams. A bad input is reported on one line and skipped; the exit
status is 1 if any input failed.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from pipeline.images import DEFAULT_MAX_PIXELS, BadImage, Decoded, decode, from_pil, list_images, save_png
from pipeline.inference import DEFAULT_BATCH, DEFAULT_MODEL, DEFAULT_TILE, TileEngine, load_model
from pipeline.resize import pillow_resize

log = logging.getLogger("upscale")


class Upscaler:
    """`upscale(image) -> image` with one loaded model: what the CLI, the web server and
    any Python caller share, so the same input gives the same bytes everywhere."""

    def __init__(self, model, tile: int = DEFAULT_TILE, overlap: int | None = None,
                 self_ensemble: bool = False, batch: int = DEFAULT_BATCH) -> None:
        self.engine = TileEngine(model, tile, overlap, batch, self_ensemble)
        self.scale = self.engine.scale

    def upscale(self, image: Image.Image) -> Image.Image:
        """PIL in, PIL out: RGB, RGBA (alpha upscaled bicubic) or L, EXIF rotation applied."""
        return self.upscale_decoded(from_pil(image))

    def upscale_decoded(self, d: Decoded, progress: Callable[[int], None] | None = None) -> Image.Image:
        sr = self.engine.upscale(d.rgb, progress)
        # The model sees gray as R=G=B; take the luma back so the file stays grayscale.
        result = Image.fromarray(sr).convert("L") if d.grayscale else Image.fromarray(sr)
        if d.alpha is not None:
            h, w = d.alpha.shape
            result.putalpha(Image.fromarray(pillow_resize(d.alpha, (h * self.scale, w * self.scale))))
        return result


# zlib level 1, not the pipeline's 6: on photos it writes files 1-7 % larger in a
# quarter of the time, and at level 6 encoding a 24 MP result took as long as computing it
# (benchmarks/upscale_bench.py).
RESULT_PNG_LEVEL = 1


def save_result(img: Image.Image, d: Decoded, dst: Path) -> None:
    """The PNG `upscale` writes (the web server serves the same bytes)."""
    save_png(np.asarray(img), dst, icc_profile=None if d.grayscale else d.icc_profile,
             compress_level=RESULT_PNG_LEVEL)


def expand_inputs(inputs: Iterable[Path]) -> list[Path]:
    """Files as given, folders as their image files (sorted); the same file once."""
    files: list[Path] = []
    for item in inputs:
        for path in list_images(item) if item.is_dir() else [item]:
            if path not in files:
                files.append(path)
    return files


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def plan_outputs(files: list[Path], out: Path, overwrite: bool) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(input, output) pairs, and every reason the plan is unsafe, found before any work:
    two inputs with one output, an output that is an input (by path or by inode), an
    existing file without --overwrite, or --out naming a file that is not a .png."""
    single = len(files) == 1
    to_file = single and out.suffix.lower() == ".png"
    problems = []
    if not to_file and out.exists() and not out.is_dir():
        problems.append(f"--out {out} is a file; give a folder (or a .png path for one input)")
        return [], problems
    pairs = [(src, out if to_file else out / f"{src.stem}.png") for src in files]
    by_output: dict[Path, list[Path]] = {}
    for src, dst in pairs:
        by_output.setdefault(dst, []).append(src)
    for dst, srcs in by_output.items():
        if len(srcs) > 1:
            problems.append(f"{', '.join(map(str, srcs))} would all be written to {dst}; "
                            "upscale them into separate --out folders")
        clash = next((f for f in files if _same_file(f, dst)), None)
        if clash is not None:
            problems.append(f"{dst} is an input ({clash}); choose another --out")
        elif dst.exists() and not overwrite:
            problems.append(f"{dst} exists; pass --overwrite to replace it")
    return pairs, problems


def run_batch(up: Upscaler, pairs: list[tuple[Path, Path]], max_pixels: int) -> int:
    """Upscale every (input, output) pair; returns how many failed. The next input is
    decoded and the last output encoded on threads while the model works on the current
    one, so the cores are busy with the model, not waiting on Pillow."""
    failed = 0

    def report(src: Path, error: BaseException) -> None:
        nonlocal failed
        failed += 1
        why = str(error) if isinstance(error, BadImage) else f"{src}: unexpected error: {error!r}"
        print(f"upscale: {why}", file=sys.stderr)

    def finish(saving: tuple[Path, Path, Future] | None) -> None:
        """Wait for an output being written; report it as done or failed."""
        if saving is None:
            return
        src, dst, future = saving
        try:
            future.result()
            log.info("%s -> %s", src, dst)
        except Exception as e:
            report(src, e)

    with ThreadPoolExecutor(max_workers=2) as io, tqdm(total=0, unit="tile", disable=None) as bar:
        loading = io.submit(decode, pairs[0][0], max_pixels) if pairs else None
        saving: tuple[Path, Path, Future] | None = None
        for i, (src, dst) in enumerate(pairs):
            current, loading = loading, (io.submit(decode, pairs[i + 1][0], max_pixels) if i + 1 < len(pairs)
                                         else None)
            try:  # one input must never stop the batch
                d = current.result()
                bar.reset(total=up.engine.tiles(*d.rgb.shape[:2]))
                bar.set_description(src.name)
                img = up.upscale_decoded(d, progress=bar.update)
            except Exception as e:
                report(src, e)
                continue
            finish(saving)
            saving = (src, dst, io.submit(save_result, img, d, dst))
        finish(saving)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", type=Path, help="image files or folders")
    parser.add_argument("--out", type=Path, required=True, help="output folder (or .png file for one input)")
    parser.add_argument("--overwrite", action="store_true", help="replace outputs that exist (never an input)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE, help="LR tile side in pixels; 0 = whole image")
    parser.add_argument("--overlap", type=int, default=None,
                        help="context pixels around each tile (default: the model's receptive radius)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="tiles per model call")
    parser.add_argument("--self-ensemble", action="store_true", help="average 8 flips/rotations (8x slower)")
    parser.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help="refuse inputs with more pixels than this (decompression bombs)")
    args = parser.parse_args(argv)
    for flag, value, lowest in (("--tile", args.tile, 0), ("--overlap", args.overlap, 0),
                                ("--batch", args.batch, 1), ("--max-pixels", args.max_pixels, 1)):
        if value is not None and value < lowest:
            parser.error(f"{flag} {value}: must be at least {lowest}")
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    try:
        files = expand_inputs(args.inputs)
    except FileNotFoundError as e:
        print(f"upscale: {e}", file=sys.stderr)
        return 2
    pairs, problems = plan_outputs(files, args.out, args.overwrite)
    if problems:
        for problem in problems:
            print(f"upscale: {problem}", file=sys.stderr)
        print("upscale: nothing was written", file=sys.stderr)
        return 2
    try:
        up = Upscaler(load_model(args.model), args.tile, args.overlap, args.self_ensemble, args.batch)
    except (FileNotFoundError, ValueError, OSError) as e:
        print(f"upscale: {e}", file=sys.stderr)
        return 2
    failed = run_batch(up, pairs, args.max_pixels)
    if failed:
        print(f"upscale: {failed} of {len(files)} inputs failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
