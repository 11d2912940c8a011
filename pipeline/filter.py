"""Stage `filter`: keep the scraped files that make good ground truth, and say why for each.

    python -m pipeline.filter data/raw data/filtered metrics/filter.json

Writes data/filtered/{train,val,test}/<stem>.png (8-bit RGB, EXIF-rotated) and
data/filtered/report.csv with one row per input: verdict, reason and the scores used.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from pipeline.cli import stage_params, stage_parser
from pipeline.images import BadImage, composite_on_white, decode, list_images, save_png
from pipeline.outputs import reset_folder, unique_names, write_json
from pipeline.parallel import map_ordered
from pipeline.params import Filter
from pipeline.splits import SPLIT_PNGS, SPLITS
from pipeline.tables import write_table

REPORT_FIELDS = ["file", "verdict", "reason", "detail", "split", "width", "height",
                 "sharpness", "colors", "phash", "duplicate_of"]


@dataclass
class Verdict:
    file: str
    verdict: str = "kept"          # kept | rejected
    reason: str = ""               # short code, groups well: see REASONS in the README
    detail: str = ""               # the human sentence behind the reason
    split: str = ""
    width: int = 0
    height: int = 0
    sharpness: float = 0.0
    colors: int = 0
    phash: str = ""
    duplicate_of: str = ""

    def reject(self, reason: str, detail: str) -> Verdict:
        self.verdict, self.reason, self.detail, self.split = "rejected", reason, detail, ""
        return self


def sharpness(rgb: np.ndarray) -> float:
    """Mean gradient magnitude of the luma, in 0..255 levels per pixel.

    Flat, blank and heavily blurred images score near 0; photos with texture score 5-20.
    """
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    gy, gx = np.gradient(luma)
    return float(np.mean(np.hypot(gx, gy)))


def distinct_colors(rgb: np.ndarray, side: int = 128) -> int:
    """Distinct colours in a nearest-neighbour thumbnail: no blending invents new ones, so
    logos and diagrams stay at a few dozen while photos reach thousands (grayscale ~150-256)."""
    thumb = np.asarray(Image.fromarray(rgb).resize((side, side), Image.Resampling.NEAREST))
    return len(np.unique(thumb.reshape(-1, 3), axis=0))


def split_of(key: str, val_fraction: float, test_fraction: float) -> str:
    """Train/val/test from a hex content hash: adding images never moves an existing one."""
    u = int(key[:8], 16) / 2**32
    if u < test_fraction:
        return "test"
    return "val" if u < test_fraction + val_fraction else "train"


def assess(job: tuple[Path, str], p: Filter, out: Path) -> Verdict:
    """Decide on one (file, output name); a kept image is written to out/<split>/<name>."""
    src, out_name = job
    v = Verdict(file=src.name)
    try:
        d = decode(src, p.max_pixels)
    except BadImage as e:
        return v.reject("bomb" if e.reason == "bomb" else "undecodable", e.detail)
    v.height, v.width = d.rgb.shape[:2]
    if d.frames > 1:
        return v.reject("animated", f"{d.frames} frames")
    if d.grayscale and p.grayscale == "reject":
        return v.reject("grayscale", f"mode {d.source_mode} and filter.grayscale=reject")
    rgb = d.rgb
    if d.alpha is not None:
        if p.alpha == "reject":
            return v.reject("alpha", "has transparency and filter.alpha=reject")
        rgb = composite_on_white(rgb, d.alpha)
    if min(v.width, v.height) < p.min_side:
        return v.reject("too_small", f"{v.width}x{v.height} has a side below filter.min_side={p.min_side}")
    v.sharpness = round(sharpness(rgb), 3)
    if v.sharpness < p.min_detail:
        return v.reject("low_detail", f"sharpness {v.sharpness} below filter.min_detail={p.min_detail}")
    v.colors = distinct_colors(rgb)
    if v.colors < p.min_colors:
        return v.reject("few_colors", f"{v.colors} colours below filter.min_colors={p.min_colors}")
    v.phash = str(imagehash.phash(Image.fromarray(rgb)))
    v.split = split_of(hashlib.sha1(src.read_bytes()).hexdigest(), p.val_fraction, p.test_fraction)
    save_png(rgb, out / v.split / out_name)
    return v


def drop_duplicates(verdicts: list[Verdict], max_distance: int) -> list[Verdict]:
    """Reject near-duplicates, keeping the copy with the most pixels (ties: by name).

    Returns the verdicts that changed to rejected (their files must be removed)."""
    kept = sorted((v for v in verdicts if v.verdict == "kept"),
                  key=lambda v: (-v.width * v.height, v.file))
    survivors: list[tuple[imagehash.ImageHash, Verdict]] = []
    dropped = []
    for v in kept:
        h = imagehash.hex_to_hash(v.phash)
        twin = next((s for sh, s in survivors if h - sh <= max_distance), None)
        if twin is None:
            survivors.append((h, v))
            continue
        split = v.split
        v.reject("duplicate", f"perceptual hash within {max_distance} bits of {twin.file}")
        v.duplicate_of, v.split = twin.file, split  # keep split so the caller can find the file
        dropped.append(v)
    return dropped


def summarize(verdicts: list[Verdict]) -> dict:
    summary: dict = {"inputs": len(verdicts), "kept": 0, "rejected": 0}
    summary.update({f"kept_{s}": 0 for s in SPLITS})
    for v in verdicts:
        summary[v.verdict] += 1
        key = f"kept_{v.split}" if v.verdict == "kept" else f"rejected_{v.reason}"
        summary[key] = summary.get(key, 0) + 1
    return summary


def main() -> None:
    parser = stage_parser(__doc__, jobs=True)
    parser.add_argument("raw", type=Path, help="scrape output (holds images/)")
    parser.add_argument("out", type=Path)
    parser.add_argument("summary", type=Path, help="JSON counts by verdict and reason")
    args = parser.parse_args()
    params = stage_params(args)

    sources = list_images(args.raw / "images")
    reset_folder(args.out, (*SPLIT_PNGS, "report.csv"), inputs=[args.raw])
    for split in SPLITS:
        (args.out / split).mkdir()  # present even when empty
    names = unique_names(sources, ".png")  # x.png and x.bmp must not both become x.png
    work = functools.partial(assess, p=params.filter, out=args.out)
    verdicts = list(map_ordered(work, [(src, names[src]) for src in sources], args.jobs, "filter"))
    out_names = {src.name: names[src] for src in sources}
    for v in drop_duplicates(verdicts, params.filter.dedupe_distance):
        (args.out / v.split / out_names[v.file]).unlink()
        v.split = ""

    write_table([asdict(v) for v in verdicts], REPORT_FIELDS, args.out / "report.csv")
    summary = summarize(verdicts)
    write_json(summary, args.summary)
    print(f"filter: {summary['kept']} kept, {summary['rejected']} rejected of {summary['inputs']} "
          f"(see {args.out / 'report.csv'})")


if __name__ == "__main__":
    main()
