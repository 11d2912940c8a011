"""The layout every stage from filter on keeps: <folder>/<split>/<image>.png."""

from __future__ import annotations

from pathlib import Path

from pipeline.imaging.images import list_images
from pipeline.outputs import reset_folder

SPLITS = ("train", "val", "test")
# What a folder of split images holds: reset_folder may delete these and nothing else.
SPLIT_PNGS = tuple(f"{split}/*.png" for split in SPLITS)


def split_images(folder: Path, split: str) -> list[Path]:
    """The images of folder/<split>/, sorted; none if the split is missing. A split can be
    empty (a small scrape) and DVC does not restore empty folders, so absence is normal."""
    return list_images(folder / split) if (folder / split).is_dir() else []


def per_image_outputs(src: Path, out: Path) -> list[tuple[Path, Path]]:
    """(source image, empty destination folder) for every image of src/<split>/, with
    out/<split>/ created fresh: the walk every per-image stage after filter does."""
    reset_folder(out, SPLIT_PNGS, inputs=[src])
    pairs = []
    for split in SPLITS:
        dst = out / split
        dst.mkdir()
        pairs += [(image, dst) for image in split_images(src, split)]
    return pairs

