"""Run a worker over many files on all cores, in input order, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def map_ordered(fn: Callable[[T], R], items: Sequence[T], jobs: int, desc: str) -> Iterator[R]:
    """Yield fn(item) for each item, in order.

    Workers take small chunks of items and handle one image at a time, returning small
    records (they write their own outputs), so memory stays at about `jobs` images
    whatever the dataset size.
    """
    parallel = jobs > 1 and len(items) > 1
    with (tqdm(total=len(items), desc=desc, unit="img", mininterval=1.0, disable=None) as bar,
          ProcessPoolExecutor(max_workers=jobs) if parallel else nullcontext() as pool):
        chunk = max(1, min(16, len(items) // (jobs * 8)))
        results: Iterable[R] = pool.map(fn, items, chunksize=chunk) if parallel else map(fn, items)
        for r in results:
            bar.update()
            yield r
