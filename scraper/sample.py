"""The built-in, offline source: the photos that ship inside the wheels we install.

scikit-image, scikit-learn and matplotlib carry sample images in their packages. They are
crawled like any site, through one generated file:// gallery page per library (each with
that library's licence as the page's rel="license"), so the default pipeline exercises
the same spider and pipeline as a web crawl. The set mixes colour and grayscale photos
with graphics, cut-outs and a tiny animated GIF, which gives `filter` real work.
"""

from __future__ import annotations

import html
import importlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.imaging.images import IMAGE_SUFFIXES

GALLERY_ALIAS = "sample:"


@dataclass(frozen=True)
class Library:
    name: str     # the manifest names its files sample:<name>/<file>
    module: str
    folder: str   # inside the module's package folder
    license: str


LIBRARIES = (
    Library("skimage", "skimage", "data",
            "https://github.com/scikit-image/scikit-image/blob/main/skimage/data/README.txt"),
    # china.jpg and flower.jpg: CC BY 2.0, credits in sklearn/datasets/images/README.txt.
    Library("sklearn", "sklearn", "datasets/images", "https://creativecommons.org/licenses/by/2.0/"),
    # grace_hopper.jpg: a U.S. Navy photograph, public domain (its other images are graphics).
    Library("matplotlib", "matplotlib", "mpl-data/sample_data",
            "https://commons.wikimedia.org/wiki/File:Commodore_Grace_M._Hopper,_USN_(covered).jpg"),
)


def library_folder(lib: Library) -> Path:
    # Imported here: only the sample source needs these packages.
    return Path(importlib.import_module(lib.module).__file__).parent / lib.folder


def write_galleries(gallery_dir: Path) -> tuple[list[tuple[str, list[Path]]], dict[str, str]]:
    """Write <library>.html linking every image file of each library's sample folder.

    Returns (page URL, folders that page's crawl may read) per library, and the URL
    aliases that turn machine-specific file:// prefixes into stable manifest names."""
    gallery_dir.mkdir(parents=True, exist_ok=True)
    pages, aliases = [], {gallery_dir.as_uri() + "/": GALLERY_ALIAS}
    for lib in LIBRARIES:
        root = library_folder(lib)
        images = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        tags = "\n".join(f'<img src="{html.escape(p.as_uri())}" alt="{html.escape(p.stem)}">' for p in images)
        page = gallery_dir / f"{lib.name}.html"
        page.write_text(f'<!doctype html>\n<title>{lib.name} samples</title>\n'
                        f'<link rel="license" href="{html.escape(lib.license)}">\n{tags}\n')
        pages.append((page.as_uri(), [root]))
        aliases[root.as_uri() + "/"] = f"{GALLERY_ALIAS}{lib.name}/"
    return pages, aliases
