"""Fetch the real camera photos that Debian packages carry, for `scrape.folders`.

    python scripts/fetch_debian_photos.py photos/debian [--debs ~/.cache/supersizer/debs]

Downloads each package of SOURCES with `apt-get download` (no root, nothing installed;
`apt-get update` first if the package index is missing), unpacks it with `dpkg-deb -x`
into a temp folder, takes the listed photos out of it (plain files, JPEGs inside
Enlightenment's .edj themes, WebPs inside GCompris's Qt resource bundles) and writes each
as an 8-bit RGB PNG, one folder per package and licence:

    photos/debian/<folder>/<name>.png, COPYRIGHT (the package's), and
    photos/debian/sources.json (package versions, .deb SHA-256s, licences, counts) and
    photos/debian/folders.yaml (the `scrape.folders` entries, paths relative to the repo).

Photos are halved (MATLAB bicubic, as the LR inputs are made) while their long side is above
2560 pixels: the 4K wallpapers are soft at full size, and at about 2K they carry the detail
per pixel of DIV2K's 2K photos. GCompris's WebPs (about 0.7 bits per pixel) are always
halved, which also halves their compression blocks. Which files are photos was judged by
looking at every image (../shared/notes/photo-sources.md); packages that hold standard
test images (opencv-doc, ...) are never fetched. The same package versions give the same
PNG bytes. Run it again to refresh: it replaces only the folder it wrote.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.imaging.images import save_png  # noqa: E402
from pipeline.imaging.resize import imresize  # noqa: E402
from pipeline.outputs import reset_folder, write_json, write_text  # noqa: E402

MAX_SIDE = 2560
NEVER = ("opencv-doc", "python3-pywt", "pywavelets", "mahotas", "pyiqa")  # hold standard test images


@dataclass(frozen=True)
class Source:
    package: str
    folder: str             # output folder name
    license: str            # as the package's copyright file gives it for these files
    files: tuple[str, ...]  # globs inside the unpacked package
    kind: str = "file"      # file | edj (largest JPEG inside) | rcc (every WebP inside)
    always_halve: bool = False
    skip: tuple[str, ...] = field(default=())


BG = "usr/share/enlightenment/data/backgrounds"
LOMIRI = "usr/share/backgrounds"
RCC = "usr/share/gcompris-qt/rcc"
SOURCES = (
    Source("enlightenment-data", "enlightenment-data", "BSD-2-clause", tuple(f"{BG}/{n}.edj" for n in (
        "Bamboo", "Foggy-Trees", "God-Rays", "Green-Maple", "Lichen-Branches", "Mountain", "Peaks", "Red-Maple",
        "Sea-of-Lanterns", "Snow-Trees", "Spruce-Needles", "Sunset-Clouds", "White-Flower", "Yellow-Flower")),
        kind="edj"),
    Source("lomiri-wallpapers-16.04", "lomiri-16.04-cc-by-4.0", "CC-BY-4.0", tuple(f"{LOMIRI}/{n}.jpg" for n in (
        "aitzgorri_by_Aitzol_Berasategi", "friends_by_Aitzol_Berasategi", "life_by_Aitzol_Berasategi",
        "picosdeeuropa_by_Aitzol_Berasategi", "Picture_0B_by_freespace", "Picture_1A_by_freespace",
        "sunset_by_Aitzol_Berasategi", "Wine_by_Jakkub_Mede"))),
    Source("lomiri-wallpapers-16.04", "lomiri-16.04-cc-by-sa-4.0", "CC-BY-SA-4.0", tuple(f"{LOMIRI}/{n}.jpg" for n in (
        "Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "free_by_Peter_Nerlich", "greentock_by_Peter_Nerlich"))),
    Source("lomiri-wallpapers-16.04", "lomiri-16.04-cc0", "CC0-1.0", (f"{LOMIRI}/seeding_by_Clements_Engelhardt.jpg",)),
    Source("lomiri-wallpapers-20.04", "lomiri-20.04-cc-by-sa-3.0", "CC-BY-SA-3.0",
           (f"{LOMIRI}/Kleiber_by_Lukas_Baubkus.jpg",)),
    Source("lxqt-themes", "lxqt-themes", "LGPL-2.1+", tuple(f"usr/share/lxqt/wallpapers/{n}" for n in (
        "Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png", "beam.png",
        "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg", "this-is-not-windows.jpg"))),
    Source("plasma-workspace-wallpapers", "plasma-workspace-wallpapers", "GPL-2+", tuple(
        f"usr/share/wallpapers/{n}/contents/images/2560x1600.jpg" for n in (
            "BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf", "Grey", "Kite",
            "OneStandsOut", "Path", "summer_1am"))),
    Source("mate-backgrounds", "mate-backgrounds", "GPL-2+", ("usr/share/backgrounds/mate/nature/*.jpg",)),
    Source("gcompris-qt-data", "gcompris-qt-data", "GPL-3+ (the package's; not every file's licence is listed)",
           tuple(f"{RCC}/{n}.rcc" for n in ("erase", "explore_monuments", "explore_world_animals",
                                             "explore_farm_animals")), kind="rcc", always_halve=True),
    Source("palapeli-data", "palapeli-data", "GPL-2+", ("usr/share/palapeli/collection/*.jpg",)),
    Source("puzzle-jigsaw", "puzzle-jigsaw", "CC0-1.0", ("usr/share/puzzle-jigsaw/samples/*.jpg",)),
)


def fetch_deb(package: str, debs: Path) -> Path:
    """The package's .deb in `debs`, downloaded with apt-get unless it is there already."""
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        command = ["apt-get", "download", package]
        if subprocess.run(command, cwd=debs, capture_output=True).returncode:
            subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
            subprocess.run(command, cwd=debs, check=True, capture_output=True)
        found = sorted(debs.glob(f"{package}_*.deb"))
    return found[-1]


def decoded(data: bytes) -> Image.Image | None:
    try:
        img = Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
        img.load()
        return img
    except (OSError, SyntaxError, ValueError):
        return None


def largest_jpeg(data: bytes) -> Image.Image:
    """The largest JPEG that decodes from any start marker in `data` (an .edj theme keeps the
    wallpaper beside smaller copies)."""
    images = [img for m in re.finditer(rb"\xff\xd8\xff", data) if (img := decoded(data[m.start():]))]
    return max(images, key=lambda img: img.width * img.height)


def riff_webps(data: bytes) -> list[Image.Image]:
    """Every WebP stored whole in `data` (`RIFF <size> WEBP ...`), in file order."""
    out = []
    for m in re.finditer(rb"RIFF(....)WEBP", data, re.S):
        size = int.from_bytes(m.group(1), "little")
        if img := decoded(data[m.start():m.start() + 8 + size]):
            out.append(img)
    return out


def photos(source: Source, root: Path) -> list[tuple[str, Image.Image]]:
    """(name, image) for each photo of `source` in the unpacked package at `root`."""
    out = []
    for pattern in source.files:
        paths = sorted(root.glob(pattern))
        if not paths:
            raise SystemExit(f"{source.package}: nothing matches {pattern} (another package version?)")
        for path in paths:
            data = path.read_bytes()
            if source.kind == "edj":
                out.append((path.stem, largest_jpeg(data)))
            elif source.kind == "rcc":
                out += [(f"{path.stem}_{k:03d}", img) for k, img in enumerate(riff_webps(data))]
            else:
                name = path.parent.parent.parent.name if path.name == "2560x1600.jpg" else path.stem
                out.append((name, decoded(data)))
    return out


def prepared(img: Image.Image, always_halve: bool) -> np.ndarray:
    """8-bit RGB, upright, halved while the long side is over MAX_SIDE (and once if asked)."""
    rgb = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    while always_halve or max(rgb.shape[:2]) > MAX_SIDE:
        h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
        rgb = imresize(rgb[:h, :w], 0.5, (h // 2, w // 2))
        always_halve = False
    return np.ascontiguousarray(rgb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="output folder, e.g. photos/debian (inside the repo: git-ignored)")
    parser.add_argument("--debs", type=Path, default=Path.home() / ".cache/supersizer/debs",
                        help="where the downloaded .deb files are kept")
    args = parser.parse_args(argv)
    assert not {s.package for s in SOURCES} & set(NEVER)
    reset_folder(args.out, ("*/*.png", "*/COPYRIGHT", "sources.json", "folders.yaml"))
    record, entries = [], []
    for package in sorted({s.package for s in SOURCES}):
        deb = fetch_deb(package, args.debs)
        version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True,
                                 text=True).stdout.strip()
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
            root = Path(tmp)
            copyright_text = (root / f"usr/share/doc/{package}/copyright").read_text(errors="replace")
            for source in (s for s in SOURCES if s.package == package):
                folder = args.out / source.folder
                taken = photos(source, root)
                for name, img in taken:
                    save_png(prepared(img, source.always_halve), folder / f"{name}.png")
                write_text(copyright_text, folder / "COPYRIGHT")
                record.append({"folder": source.folder, "package": package, "version": version,
                               "deb_sha256": hashlib.sha256(deb.read_bytes()).hexdigest(),
                               "license": source.license, "photos": len(taken)})
                entries.append({"path": (args.out / source.folder).as_posix(), "license": source.license})
                print(f"{source.folder}: {len(taken)} photos ({package} {version}, {source.license})", flush=True)
    write_json({"max_side": MAX_SIDE, "sources": record}, args.out / "sources.json")
    write_text(yaml.safe_dump(entries, sort_keys=False), args.out / "folders.yaml")
    print(f"{sum(r['photos'] for r in record)} photos in {len(record)} folders under {args.out}; "
          f"their scrape.folders entries: {args.out / 'folders.yaml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
