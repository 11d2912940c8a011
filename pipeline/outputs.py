"""Writing results: atomically, the same bytes for the same data, into folders we own.

Every file a stage or tool produces goes through `atomic_path` (or a helper built on it):
the data is written to a new temp file in the target folder, created exclusively (so a
planted symlink is never followed), then renamed over the target. A kill mid-write leaves
the old file or none, never half a file that a later run would trust.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

# mkstemp makes 0600 files; results get the permissions a plain open() would give them.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: Path | str, suffix: str = "") -> Iterator[Path]:
    """Yield a fresh temp path beside `path`; on success it replaces `path`.

    `suffix` ends the temp name, for writers that choose the format by extension (Keras
    wants `.keras`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".partial{suffix}", dir=path.parent)
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


def _unsafe_to_empty(path: Path, owns: Sequence[str], inputs: Iterable[Path]) -> str | None:
    """Why emptying `path` could destroy something that is not this stage's old output."""
    here = path.resolve()
    for given in inputs:
        other = Path(given).resolve()
        if here == other or here in other.parents or other in here.parents:
            relation = "is" if here == other else "contains" if here in other.parents else "is inside"
            return f"it {relation} the input {given}"
    cwd = Path.cwd().resolve()
    if here == cwd or here in cwd.parents or here == Path.home().resolve():
        return "it is the current folder, one of its parents or the home folder"
    if any((here / marker).exists() for marker in (".git", ".dvc", "dvc.yaml")):
        return "it is a repository root"
    if here.is_dir():
        for item in sorted(here.rglob("*")):
            rel = item.relative_to(here).as_posix()
            if item.is_file() and not any(fnmatch.fnmatch(rel, pattern) for pattern in owns):
                return f"it holds {rel}, which this stage does not write"
    return None


def reset_folder(path: Path, owns: Sequence[str], inputs: Iterable[Path] = ()) -> Path:
    """Empty `path` for a stage's outputs (DVC does this before `dvc repro`; a stage run by
    hand must too), but only when all it holds is what this stage writes: `owns` are glob
    patterns relative to `path` (`train/*.png`). An output that is, contains or lies in an
    input, the current folder or a repository is refused before anything is deleted."""
    if why := _unsafe_to_empty(path, owns, inputs):
        raise SystemExit(f"{path}: refusing to use as an output folder: {why}")
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def unique_names(paths: Sequence[Path], suffix: str) -> dict[Path, str]:
    """An output name `<stem><suffix>` per input, unique by construction. Inputs that share
    no stem keep that plain name; among those that do, one already ending in `suffix` keeps
    it and the others become `<name><suffix>` (x.bmp -> x.bmp.png), then take a counter."""
    taken: set[str] = set()
    names = {}
    for path in sorted(paths, key=lambda p: (p.suffix.lower() != suffix, p)):
        candidates = [f"{path.stem}{suffix}", f"{path.name}{suffix}"]
        candidates += (f"{path.name}-{k}{suffix}" for k in range(2, len(paths) + 3))
        names[path] = next(c for c in candidates if c not in taken)
        taken.add(names[path])
    return names


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


# Metrics carry 4 decimals (0.0001 dB, SSIM to 1e-4, as the papers print them): a
# reproduction on another CPU type, whose float rounding differs in the 6th or 7th digit,
# then writes the same bytes and leaves dvc.lock alone.
METRIC_DECIMALS = 4


def rounded(value: object, decimals: int = METRIC_DECIMALS) -> object:
    """`value` with every float in it (in dicts and lists too) rounded to `decimals`."""
    if isinstance(value, float):
        return round(value, decimals) if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: rounded(v, decimals) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v, decimals) for v in value]
    return value


def write_metrics(data: object, path: Path | str) -> None:
    """A metrics file: `write_json` with floats at METRIC_DECIMALS."""
    write_json(rounded(data), path)
