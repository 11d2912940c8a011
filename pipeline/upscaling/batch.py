"""A batch of photos through an `Upscaler`: the inputs found, every output planned (and every
reason the plan is unsafe) before anything is written, then the work, one bad input never
stopping the rest."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from pipeline.imaging.images import BadImage, decode, list_images
from pipeline.upscaling.upscaler import Upscaler

log = logging.getLogger(__name__)


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
    Ends with one line on stderr: how many were written, and the speed in output
    megapixels per second, the model already loaded."""
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
    print(f"upscale: {len(pairs) - failed} of {len(pairs)} written: {output_pixels / 1e6:.2f} output MP in "
          f"{seconds:.2f} s, {output_pixels / 1e6 / seconds:.3f} MP/s", file=sys.stderr)
    return failed
