"""The filter's judgement of one scraped file, and of the set (near-duplicates, the summary).

Every rejection is a `Verdict` with a reason code from REASONS (so a report groups well)
and a sentence naming the value and the param that decided it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from pipeline.dataset.splits import SPLITS
from pipeline.imaging.detail import detail
from pipeline.imaging.images import BadImage, composite_on_white, decode, save_png
from pipeline.params import Filter

REPORT_FIELDS = ["file", "verdict", "reason", "detail", "split", "width", "height",
                 "sharpness", "colors", "phash", "duplicate_of"]
# The reason codes of report.csv, and what decides each.
REASONS = {
    "undecodable": "not an image in an allowed format, truncated or corrupt",
    "bomb": "declares more pixels than filter.max_pixels",
    "animated": "more than one frame",
    "grayscale": "one channel, with filter.grayscale: reject",
    "alpha": "has transparency, with filter.alpha: reject",
    "too_small": "a side below filter.min_side",
    "low_detail": "mean luma gradient below filter.min_detail (flat or blurred)",
    "few_colors": "fewer distinct colours than filter.min_colors (graphics, not a photo)",
    "upscaled": "every k x k block one colour: blown up by nearest-neighbour, so no detail at its size",
    "duplicate": "perceptual hash within filter.dedupe_distance of a larger kept image",
}


@dataclass
class Verdict:
    file: str
    verdict: str = "kept"          # kept | rejected
    reason: str = ""               # a key of REASONS
    detail: str = ""               # the human sentence behind the reason
    split: str = ""
    width: int = 0
    height: int = 0
    sharpness: float = 0.0         # pipeline.imaging.detail, levels per pixel
    colors: int = 0
    phash: str = ""
    duplicate_of: str = ""

    def reject(self, reason: str, detail: str) -> Verdict:
        assert reason in REASONS, reason
        self.verdict, self.reason, self.detail, self.split = "rejected", reason, detail, ""
        return self


def distinct_colors(rgb: np.ndarray, side: int = 128) -> int:
    """Distinct colours in a nearest-neighbour thumbnail: no blending invents new ones, so
    logos and diagrams stay at a few dozen while photos reach thousands (grayscale ~150-256)."""
    thumb = np.asarray(Image.fromarray(rgb).resize((side, side), Image.Resampling.NEAREST))
    return len(np.unique(thumb.reshape(-1, 3), axis=0))


def replication(rgb: np.ndarray, factors: tuple[int, ...] = (4, 3, 2)) -> int:
    """The largest factor k at which every k x k block of `rgb` (at some alignment on each
    axis) is one colour, or 0. Such an image was made large by repeating pixels: as HR it
    teaches blocks and scores a model against them (skimage's moon.png is 256 pixels shown
    at 512). Exact equality, so only lossless files are caught; a JPEG of one is not."""
    rows = np.append((rgb[1:] == rgb[:-1]).all(axis=(1, 2)), True)  # row i equals row i + 1
    candidates = [k for k in factors if _in_runs(rows, k)]
    if not candidates:  # a photo: decided without comparing columns
        return 0
    cols = np.append((rgb[:, 1:] == rgb[:, :-1]).all(axis=(0, 2)), True)
    return next((k for k in candidates if _in_runs(cols, k)), 0)


def _in_runs(same: np.ndarray, k: int) -> bool:
    """Whether, from some offset, the lines come in runs of k equal ones (partial runs at the
    ends allowed), with at least two whole runs."""
    for start in range(k):
        runs = (len(same) - start) // k
        if runs >= 2 and same[start:start + runs * k].reshape(runs, k)[:, :k - 1].all():
            return True
    return False


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
    v.sharpness = round(detail(rgb), 3)
    if v.sharpness < p.min_detail:
        return v.reject("low_detail", f"sharpness {v.sharpness} below filter.min_detail={p.min_detail}")
    v.colors = distinct_colors(rgb)
    if v.colors < p.min_colors:
        return v.reject("few_colors", f"{v.colors} colours below filter.min_colors={p.min_colors}")
    if k := replication(rgb):
        return v.reject("upscaled", f"every {k}x{k} block is one colour: a {v.width // k}x{v.height // k} "
                                    f"image blown up {k}x by nearest-neighbour")
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
