"""The walk of the per-image stages (crop, downscale): every image of a split folder through a
worker, on all cores, into the same split of a fresh output folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pipeline.dataset.splits import per_image_outputs
from pipeline.parallel import map_ordered

R = TypeVar("R")


def map_per_image(work: Callable[[tuple[Path, Path]], R], src: Path, out: Path, processes: int,
                  desc: str) -> list[tuple[R, Path]]:
    """`work((image, destination folder))` for every image of src/<split>/ on `processes`
    cores, into a fresh out/<split>/; returns each result with its destination folder."""
    pairs = per_image_outputs(src, out)
    return list(zip(map_ordered(work, pairs, processes, desc), (dst for _, dst in pairs), strict=True))
