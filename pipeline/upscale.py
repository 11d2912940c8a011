"""Upscale your own photos with the trained model.

    python -m pipeline.upscale photo.jpg more/ --out out/ [--model models/model.keras]
                               [--tile 1024] [--batch 1] [--overlap N] [--self-ensemble] [--overwrite]

Each input `name.ext` becomes `OUT/name.png` (`--out` may name a file when there is one
input). Any mode Pillow reads works: alpha is upscaled separately (bicubic), grayscale
stays grayscale, EXIF orientation is applied and the ICC profile is carried over.
Large images are processed in overlapping tiles, so memory is bounded by the tile size
and the result has no seams. A bad input is reported on one line and skipped; the exit
status is 1 if any input failed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from pipeline.images import DEFAULT_MAX_PIXELS, BadImage, Decoded, decode, from_pil, list_images
from pipeline.inference import DEFAULT_MODEL, load_model
from pipeline.outputs import atomic_path
from pipeline.png_stream import PngStream
from pipeline.resize import pillow_resize
from pipeline.tiles import DEFAULT_BATCH, DEFAULT_TILE, TileEngine

log = logging.getLogger("upscale")


# zlib level 1, not the pipeline's 6: on photos it writes files a few % larger in a quarter
# of the time; at level 6 encoding a 24 MP result took as long as computing it.
RESULT_PNG_LEVEL = 1


class Upscaler:
    """One loaded model turning images into 2x images: what the CLI, the web server and any
    Python caller share, so the same input gives the same bytes everywhere."""

    def __init__(self, model, tile: int = DEFAULT_TILE, overlap: int | None = None,
                 self_ensemble: bool = False, batch: int = DEFAULT_BATCH) -> None:
        self.engine = TileEngine(model, tile, overlap, batch, self_ensemble)
        self.scale = self.engine.scale

    def result_bands(self, d: Decoded, progress: Callable[[int], None] | None = None) -> Iterator[np.ndarray]:
        """The result's rows as they are computed: RGB, one channel for a grayscale input
        (the model sees R=G=B; the luma is taken back), alpha (upscaled bicubic) last."""
        h, w = d.rgb.shape[:2]
        alpha = None if d.alpha is None else pillow_resize(d.alpha, (h * self.scale, w * self.scale))
        top = 0
        for band in self.engine.bands(d.rgb, progress):
            pixels = np.asarray(Image.fromarray(band).convert("L"))[..., None] if d.grayscale else band
            if alpha is not None:
                pixels = np.concatenate([pixels, alpha[top:top + len(band), :, None]], axis=-1)
            top += len(band)
            yield pixels

    def upscale(self, image: Image.Image) -> Image.Image:
        """PIL in, PIL out: RGB, RGBA, L or LA, EXIF rotation applied."""
        pixels = np.concatenate(list(self.result_bands(from_pil(image))))
        return Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels,
                               {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[pixels.shape[-1]])

    def save(self, d: Decoded, dst: Path, progress: Callable[[int], None] | None = None) -> None:
        """Upscale into the PNG `dst`, written atomically. The web server serves these bytes."""
        self.start_save(d, dst, progress)()

    def start_save(self, d: Decoded, dst: Path,
                   progress: Callable[[int], None] | None = None) -> Callable[[], None]:
        """Compute the result into the PNG `dst`, each band of rows compressed on other
        threads while the model computes the next; return the call that waits for the last
        pieces and puts the file in place, so a caller can start on the next image first.
        On an error, here or in that call, nothing is left behind."""
        h, w = d.rgb.shape[:2]
        channels = (1 if d.grayscale else 3) + (d.alpha is not None)
        icc = None if d.grayscale else d.icc_profile
        with contextlib.ExitStack() as stack:
            file = stack.enter_context(stack.enter_context(atomic_path(dst)).open("wb"))
            png = stack.enter_context(PngStream(file, w * self.scale, h * self.scale, channels, icc,
                                                RESULT_PNG_LEVEL))
            for band in self.result_bands(d, progress):
                png.write(band)
            return stack.pop_all().close


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
    """Upscale every (input, output) pair; returns how many failed. While the model works
    on one input, the next is decoded on a thread and the last one's file is finished.
    Logs the speed at the end: output megapixels per second, the model already loaded."""
    failed, output_pixels, start = 0, 0, time.perf_counter()

    def report(src: Path, error: Exception) -> None:
        nonlocal failed
        failed += 1
        why = str(error) if isinstance(error, BadImage) else f"{src}: unexpected error: {error!r}"
        print(f"upscale: {why}", file=sys.stderr)

    def finish(saving: tuple[Path, Path, Callable[[], None], int] | None) -> None:
        nonlocal output_pixels
        if saving is not None:
            src, dst, done, pixels = saving
            try:
                done()
                output_pixels += pixels
                log.info("%s -> %s", src, dst)
            except Exception as e:
                report(src, e)

    saving = None
    with ThreadPoolExecutor(max_workers=1) as io, tqdm(total=0, unit="tile", disable=None) as bar:
        loading = io.submit(decode, pairs[0][0], max_pixels) if pairs else None
        try:
            for i, (src, dst) in enumerate(pairs):
                current, loading = loading, (io.submit(decode, pairs[i + 1][0], max_pixels)
                                             if i + 1 < len(pairs) else None)
                try:  # one input must never stop the batch
                    d = current.result()
                    bar.reset(total=up.engine.tiles(*d.rgb.shape[:2]))
                    bar.set_description(src.name)
                    done = up.start_save(d, dst, progress=bar.update)
                except Exception as e:
                    report(src, e)
                    continue
                previous, saving = saving, (src, dst, done, d.rgb.shape[0] * d.rgb.shape[1] * up.scale**2)
                finish(previous)
        finally:  # also on Ctrl-C: the last computed result is written, not left half done
            finish(saving)
    seconds = time.perf_counter() - start
    log.info("%d of %d written: %.2f output MP in %.2f s, %.3f MP/s", len(pairs) - failed, len(pairs),
             output_pixels / 1e6, seconds, output_pixels / 1e6 / seconds)
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
