"""Photos from local folders (`scrape.folders`): how a user trains on their own photos.

Each folder is crawled like the built-in sample: one generated file:// gallery page links
every image file below it (any depth, sorted), with the folder's licence as the page's
rel="license", and the page's source may read files below that folder only. So the same
spider, fetch policy and files pipeline decide what is read: a symlink that leads out of
the folder is "blocked file outside the source's folder", a FIFO or device is "not a regular
file", an oversized file, a bomb or a non-image with an image name is refused by its
reason, all in report.json. What the walk itself passes over is recorded there too: symlinks
to folders (never followed) and files without an image suffix.

The manifest names each file `folder:<path as given in params.yaml>/<path below it>`, so it
is the same on every machine.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.imaging.images import IMAGE_SUFFIXES
from pipeline.params import Folder

FOLDER_ALIAS = "folder:"


@dataclass
class Galleries:
    pages: list[tuple[str, list[Path]]] = field(default_factory=list)  # (page URL, folders it may read)
    aliases: dict[str, str] = field(default_factory=dict)              # file:// prefix -> manifest name
    passed_over: list[tuple[str, str]] = field(default_factory=list)   # (URL, reason) for the report


def check_folders(folders: tuple[Folder, ...]) -> list[str]:
    """Why each folder cannot be crawled (missing, not a folder), naming its params key."""
    problems = []
    for i, f in enumerate(folders):
        path = Path(f.path)
        if not path.exists():
            problems.append(f"scrape.folders[{i}].path={f.path!r}: no such folder")
        elif not path.is_dir():
            problems.append(f"scrape.folders[{i}].path={f.path!r}: not a folder")
    return problems


def walk(root: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Image-named entries below `root` (files, and links and FIFOs for the policy to judge),
    sorted; and what the walk passes over, with the reason."""
    linked, passed = [], []

    def unreadable(error: OSError) -> None:
        passed.append((Path(error.filename or root), "cannot read folder"))

    for folder, dirs, files in os.walk(root, onerror=unreadable):  # never into a symlinked folder
        dirs.sort()
        here = Path(folder)
        passed += [(here / d, "symlink to a folder, not followed") for d in dirs if (here / d).is_symlink()]
        for name in sorted(files):
            path = here / name
            if path.suffix.lower() in IMAGE_SUFFIXES:
                linked.append(path)
            else:
                passed.append((path, "not an image file name"))
    return linked, sorted(passed)


def write_folder_galleries(folders: tuple[Folder, ...], gallery_dir: Path) -> Galleries:
    """One gallery page per folder in `gallery_dir`, and what the crawl needs to read them."""
    gallery_dir.mkdir(parents=True, exist_ok=True)
    out = Galleries()
    for i, f in enumerate(folders):
        root = Path(f.path).absolute()
        name = f"{FOLDER_ALIAS}{f.path.rstrip('/')}/"
        linked, passed = walk(root)
        tags = "\n".join(f'<img src="{html.escape(p.as_uri())}" alt="">' for p in linked)
        page = gallery_dir / f"{i}.html"
        page.write_text(f"<!doctype html>\n<title>{html.escape(f.path)}</title>\n"
                        f'<link rel="license" href="{html.escape(f.license)}">\n{tags}\n')
        out.pages.append((page.as_uri(), [root]))
        out.aliases[page.as_uri()] = name
        out.aliases[root.as_uri() + "/"] = name
        out.passed_over += [(p.as_uri(), why) for p, why in passed]
    return out
