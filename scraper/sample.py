"""The built-in, offline source: the photos that ship inside scikit-image's wheel.

They are crawled like any site, through a generated file:// gallery page, so the default
pipeline exercises the same spider and pipeline as a web crawl. The set mixes colour
photos with grayscale scans, graphics and a tiny animated GIF, which gives `filter`
real work. Their licences are listed in skimage/data/README.txt.
"""

from __future__ import annotations

import html
from pathlib import Path

from pipeline.images import IMAGE_SUFFIXES

SAMPLE_ALIAS = "sample:skimage/"
SAMPLE_LICENSE = "https://github.com/scikit-image/scikit-image/blob/main/skimage/data/README.txt"
GALLERY_ALIAS = "sample:"


def sample_folder() -> Path:
    import skimage  # imported late: only the sample source needs it

    return Path(skimage.__file__).parent / "data"


def write_gallery(gallery_dir: Path) -> tuple[str, dict[str, str], list[Path]]:
    """Write index.html linking every sample image; return its URL, the URL aliases that
    turn machine-specific file:// prefixes into stable names for the manifest, and the
    folders the gallery links into (the only ones its crawl may read)."""
    root = sample_folder()
    images = sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    tags = "\n".join(f'<img src="{html.escape(p.as_uri())}" alt="{html.escape(p.stem)}">'
                     for p in images)
    gallery_dir.mkdir(parents=True, exist_ok=True)
    index = gallery_dir / "index.html"
    index.write_text(f'<!doctype html>\n<title>scikit-image samples</title>\n'
                     f'<link rel="license" href="{SAMPLE_LICENSE}">\n{tags}\n')
    aliases = {root.as_uri() + "/": SAMPLE_ALIAS, gallery_dir.as_uri() + "/": GALLERY_ALIAS}
    return index.as_uri(), aliases, [root]
