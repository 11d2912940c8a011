"""A batch of photos through an `Upscaler`: the inputs found, every output planned (and every
reason the plan is unsafe) before anything is written, then the work, one bad input never
stopping the rest.

Finding: a file named on the command line is taken as it is; a folder gives its image files
(by suffix), and with `recursive` its subfolders too, mirrored under --out. Whatever a folder
holds that is not taken is said: subfolders without --recursive, links to folders (never
followed), FIFOs and devices, and how many files had no image suffix. A file reached twice
(a link, a hard link, named twice) is upscaled once.

Planning reads only headers (format, size, transparency), in one pass, with every check a
dict or set lookup, so 10,000 photos plan in seconds: two inputs with one output, an output
that is an input (by path or by inode), an existing output without --overwrite (or skipped
with --skip-existing), a result the format cannot hold. Then the model is loaded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from pipeline.imaging.images import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, BadImage, probe
from pipeline.imaging.metadata import decode_photo
from pipeline.upscaling.formats import SUFFIX, Output, format_of_path, refusal
from pipeline.upscaling.upscaler import Upscaler

log = logging.getLogger(__name__)


class Stop(BaseException):
    """A signal asked the batch to stop (not an Exception: no per-photo handler catches it)."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


class Stopper:
    """A signal handler that turns SIGTERM and SIGINT into `Stop`: at once while nothing is being
    written, and only at the batch's safe points (`check`) while it runs. A `Stop` raised at any
    bytecode can land between a file's creation and the line that takes charge of removing it
    (inside `atomic_path`, or between `start_save` returning and the batch keeping its
    callback), and the half-written file would stay behind."""

    def __init__(self) -> None:
        self.pending: str | None = None
        self.deferring = False

    def __call__(self, signum, frame) -> None:
        name = signal.Signals(signum).name
        if not self.deferring:
            raise Stop(name)
        self.pending = self.pending or name

    def check(self) -> None:
        if self.pending:
            raise Stop(self.pending)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False


@dataclass(frozen=True)
class Source:
    path: Path
    rel: Path  # where its result goes below --out (a folder's files keep their place in it)


@dataclass
class Item:
    src: Path
    dst: Path
    format: str
    pixels: int = 0            # output pixels, from the header
    skip: str | None = None    # why it is not done (--skip-existing)


@dataclass
class Found:
    sources: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # what was passed over, said once each
    errors: list[str] = field(default_factory=list)   # inputs that cannot be used at all


def kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a regular file"


def find_inputs(inputs: Iterable[Path], recursive: bool = False) -> Found:
    """The files to upscale from the command line's files and folders, each once."""
    found, seen, no_suffix = Found(), set(), Counter()

    def take(path: Path, rel: Path, st: os.stat_result) -> None:
        if (st.st_dev, st.st_ino) not in seen:  # the same file by two names is done once
            seen.add((st.st_dev, st.st_ino))
            found.sources.append(Source(path, rel))

    def walk(folder: Path, rel: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            found.notes.append(f"skipped {folder}: cannot read the folder ({e.strerror})")
            return
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue  # hidden files, and our own partial writes
            if entry.is_dir(follow_symlinks=False):
                if recursive:
                    walk(path, rel / entry.name)
                else:
                    found.notes.append(f"skipped {path}/: a folder (--recursive does subfolders)")
            elif entry.is_symlink() and entry.is_dir():
                found.notes.append(f"skipped {path}: a link to a folder (links to folders are not followed)")
            elif path.suffix.lower() not in IMAGE_SUFFIXES:
                no_suffix[path.suffix.lower() or "(none)"] += 1
            else:
                try:
                    st = path.stat()
                except OSError as e:
                    found.notes.append(f"skipped {path}: {e.strerror}")
                    continue
                if stat.S_ISREG(st.st_mode):
                    take(path, rel / entry.name, st)
                else:
                    found.notes.append(f"skipped {path}: {kind_of(st.st_mode)}")

    for item in inputs:
        try:
            st = item.stat()
        except OSError:
            found.errors.append(f"{item}: no such file or folder")
            continue
        if stat.S_ISDIR(st.st_mode):
            walk(item, Path())
        elif stat.S_ISREG(st.st_mode):
            take(item, Path(item.name), st)
        else:
            found.errors.append(f"{item}: {kind_of(st.st_mode)}, not a photo (it would be read forever)")
    if no_suffix:
        kinds = ", ".join(f"{n} {s}" for s, n in sorted(no_suffix.items()))
        found.notes.append(f"skipped {sum(no_suffix.values())} file(s) without an image suffix ({kinds})")
    return found


def plan_outputs(sources: list[Source], out: Path, output: Output, scale: int, overwrite: bool = False,
                 skip_existing: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS
                 ) -> tuple[list[Item], list[str], list[str]]:
    """(items, problems that stop the batch, inputs refused by their header) before any work."""
    asked = format_of_path(out)
    to_file = len(sources) == 1 and asked is not None
    if to_file and output.format not in ("auto", asked):
        return [], [f"--out {out} asks for {asked.upper()} by its suffix, --format for {output.format.upper()}"], []
    if not to_file and out.exists() and not out.is_dir():
        return [], [f"--out {out} is a file; give a folder (or a file name for one input)"], []
    problems, refused, items, by_dst = [], [], [], {}
    inputs = {(st.st_dev, st.st_ino) for st in (s.path.stat() for s in sources)}
    for source in sources:
        try:
            head = probe(source.path, max_pixels)
        except BadImage as e:
            refused.append(str(e))
            continue
        fmt, w, h = asked if to_file else output.format_for(head.format), head.width, head.height
        if why := refusal(fmt, w * scale, h * scale, head.alpha):
            refused.append(f"{source.path}: {why}")
            continue
        dst = out if to_file else out / source.rel.with_suffix(SUFFIX[fmt])
        item = Item(source.path, dst, fmt, w * h * scale * scale)
        if dst in by_dst:
            problems.append(f"{by_dst[dst].src} and {source.path} would both be written to {dst}; "
                            "upscale them into separate --out folders")
            continue
        by_dst[dst] = item
        items.append(item)
        try:
            st = dst.stat()
        except OSError:
            continue  # nothing there: the usual case
        if (st.st_dev, st.st_ino) in inputs or dst.resolve() == source.path.resolve():
            problems.append(f"{dst} is an input; choose another --out")
        elif skip_existing:
            item.skip = "exists"
        elif not overwrite:
            problems.append(f"{dst} exists; pass --overwrite to replace it, or --skip-existing to keep it")
    return items, problems, refused


def writable(out: Path, to_file: bool) -> str | None:
    """Why results cannot be written under --out, found before the model loads."""
    folder = out.parent if to_file else out
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        return f"--out {out}: {existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"--out {out}: {existing} is not writable"
    return None


@dataclass
class Tally:
    done: int = 0
    failed: int = 0
    skipped: Counter = field(default_factory=Counter)
    output_pixels: int = 0
    seconds: float = 0.0
    stopped: str | None = None  # the signal that stopped the batch

    def line(self) -> str:
        skipped = sum(self.skipped.values())
        why = f" ({', '.join(f'{n} {r}' for r, n in sorted(self.skipped.items()))})" if skipped else ""
        rate = self.output_pixels / 1e6 / self.seconds if self.seconds else 0.0
        return (f"{self.done} done, {skipped} skipped{why}, {self.failed} failed: {self.output_pixels / 1e6:.2f} "
                f"output MP in {self.seconds:.2f} s, {rate:.3f} MP/s")


def run_batch(up: Upscaler, items: list[Item], output: Output, max_pixels: int,
              report: Callable[[str], None] = lambda line: print(f"upscale: {line}", file=sys.stderr),
              tally: Tally | None = None, check: Callable[[], None] = lambda: None) -> Tally:
    """Upscale every item not skipped; one progress bar over the batch, in output pixels. While
    the model works on one photo the next is decoded on a thread and the last one's file is
    finished. A `Stop` raised by `check` (called between photos and between rows of tiles, where
    every file started has its cleanup in place) ends it after writing the photo already
    computed; the one in progress leaves nothing behind."""
    tally, start = tally or Tally(), time.perf_counter()
    tally.skipped.update(item.skip for item in items if item.skip)
    todo = [item for item in items if not item.skip]

    def failed(item: Item, error: Exception) -> None:
        tally.failed += 1
        report(str(error) if isinstance(error, BadImage) else f"{item.src}: {type(error).__name__}: {error}")

    def finish(saving: tuple[Item, Callable[[], None]] | None) -> None:
        if saving is not None:
            item, done = saving
            try:
                done()
                tally.done += 1
                tally.output_pixels += item.pixels
                log.info("%s -> %s", item.src, item.dst)
            except Exception as e:
                failed(item, e)

    saving = None
    total_mp = sum(item.pixels for item in todo) / 1e6
    with (ThreadPoolExecutor(max_workers=1) as reader,
          tqdm(total=round(total_mp, 2), unit="MP", disable=None, bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} "
               "output MP [{elapsed}<{remaining}, {rate_fmt}]") as bar):
        loading = reader.submit(decode_photo, todo[0].src, max_pixels) if todo else None
        try:
            for i, item in enumerate(todo):
                current, loading = loading, (reader.submit(decode_photo, todo[i + 1].src, max_pixels)
                                             if i + 1 < len(todo) else None)
                check()
                try:  # one input must never stop the batch
                    d = current.result()
                    plan = up.plan(d, replace(output, format=item.format))  # as planned: --out's suffix
                    for warning in plan.warnings:
                        report(f"{item.src}: {warning}")
                    per_tile = item.pixels / 1e6 / up.engine.tiles(*d.rgb.shape[:2])
                    bar.set_postfix_str(item.src.name[-30:], refresh=False)

                    def progress(n: int, t: float = per_tile) -> None:
                        bar.update(n * t)
                        check()

                    done = up.start_save(d, item.dst, plan, progress=progress)
                except Exception as e:
                    failed(item, e)
                    continue
                previous, saving = saving, (item, done)
                finish(previous)
        finally:  # also when stopped: the last computed result is written, not left half done
            finish(saving)
            tally.seconds = time.perf_counter() - start
    return tally


def run_stoppable(up: Upscaler, items: list[Item], output: Output, max_pixels: int,
                  report: Callable[[str], None], stopper: Stopper) -> Tally:
    """`run_batch` with `stopper`'s signals deferred to its safe points, ended by a `Stop` with
    the tally of what was done."""
    tally = Tally()
    try:
        with stopper.deferred():
            return run_batch(up, items, output, max_pixels, report, tally, stopper.check)
    except Stop as e:
        tally.stopped = e.signal_name
        return tally
