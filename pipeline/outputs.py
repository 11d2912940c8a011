"""Writing stage outputs: start from an empty folder, write JSON the same way every time."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

# Every stage from filter on keeps this layout: <folder>/<split>/<image>.png
SPLITS = ("train", "val", "test")


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


def write_json(data: object, path: Path) -> None:
    """Sorted keys, fixed indent, trailing newline: identical data gives identical bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(data), indent=2, sort_keys=True) + "\n")
