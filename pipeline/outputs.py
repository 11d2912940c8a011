"""Writing results: atomically, the same bytes for the same data, into folders we own.

Every file a stage or tool produces goes through `atomic_path` (or a helper built on it):
the data is written to a new temp file in the target folder, created exclusively (so a
planted symlink is never followed), then renamed over the target. A kill mid-write leaves
the old file or none, never half a file that a later run would trust.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Every stage from filter on keeps this layout: <folder>/<split>/<image>.png
SPLITS = ("train", "val", "test")

# mkstemp makes 0600 files; results get the permissions a plain open() would give them.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: Path | str, suffix: str = "") -> Iterator[Path]:
    """Yield a fresh temp path beside `path`; on success it replaces `path`.

    `suffix` is for writers that choose the format by extension (Keras wants `.keras`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f"{suffix}.partial", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_UMASK)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(data: bytes, path: Path | str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(text: str, path: Path | str) -> None:
    write_bytes(text.encode(), path)


def reset_folder(path: Path) -> Path:
    """Empty `path` (DVC does this before `dvc repro`; a hand-run stage needs it too)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def split_images(folder: Path, split: str) -> list[Path]:
    """The images of folder/<split>/, sorted; none if the split is missing. A split can be
    empty (a small scrape) and DVC does not restore empty folders, so absence is normal."""
    from pipeline.images import list_images

    return list_images(folder / split) if (folder / split).is_dir() else []


def split_jobs(src: Path, out: Path) -> list[tuple[Path, Path]]:
    """(source image, empty destination folder) for every image of src/<split>/, with
    out/<split>/ created fresh: the walk every per-image stage after filter does."""
    reset_folder(out)
    jobs = []
    for split in SPLITS:
        dst = reset_folder(out / split)
        jobs += [(image, dst) for image in split_images(src, split)]
    return jobs


def _finite(value: object) -> object:
    # JSON has no Infinity: a perfect reconstruction's PSNR is written as null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def write_json(data: object, path: Path | str) -> None:
    """Sorted keys, fixed indent, trailing newline: identical data gives identical bytes."""
    write_text(json.dumps(_finite(data), indent=2, sort_keys=True) + "\n", path)
