"""The photos benchmarks/probe.py scores on, from a release workspace after its run.

    python -m benchmarks.probe_photos WORKSPACE OUT     # OUT/val (36) and OUT/test (24)

test: the run's data/hr/test. val: the run's data/hr/val plus moon (scikit-image's, kept in
data/raw as MOON), which the filter's newer rule drops but which v4's run had among its 36
val photos: every committed val table since was measured on those 36, so a new probe is
too. Copy them before another experiment in that workspace changes data/.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from pipeline.imaging.images import list_images, load_rgb, save_png

MOON = "32d9e1003c9ab6892e5cfe3478205e68c35ce14a.png"


def copy_photos(workspace: Path, out: Path) -> dict[str, int]:
    """{split: photos written}; refuses an OUT that exists, so nothing of another run is mixed in."""
    out.mkdir(parents=True)
    counts = {}
    for split in ("val", "test"):
        (out / split).mkdir()
        photos = list_images(workspace / "data" / "hr" / split)
        for path in photos:
            shutil.copyfile(path, out / split / path.name)
        counts[split] = len(photos)
    moon = workspace / "data" / "raw" / "images" / MOON
    if moon.is_file() and not (out / "val" / MOON).exists():
        save_png(load_rgb(moon), out / "val" / MOON)  # decoded and written as the HR stage writes
        counts["val"] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path, help="the release workspace (its data/hr and data/raw)")
    parser.add_argument("out", type=Path, help="a new folder")
    args = parser.parse_args()
    if args.out.exists():
        print(f"probe_photos: {args.out} exists; name a new folder", file=sys.stderr)
        return 2
    if not (args.workspace / "data" / "hr" / "test").is_dir():
        print(f"probe_photos: {args.workspace}/data/hr/test: none (run a preset there first)", file=sys.stderr)
        return 2
    counts = copy_photos(args.workspace, args.out)
    print(f"probe_photos: {counts['val']} val and {counts['test']} test photos in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
