"""Pictures a person can judge the model by: labelled crops where the detail is, and whole
images side by side. Pillow only, with its bundled font, so the same pixels always give
the same PNG bytes (they are DVC outputs).

Crops are chosen by content, not by name: among the crops of an image with real texture
(not flat sky), those where the model's error differs most from bicubic's, i.e. where
looking closely shows what the model does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.imaging.detail import detail
from pipeline.imaging.quality import luma, psnr

CROP = 48          # HR pixels a side
ZOOM = 4           # nearest-neighbour enlargement, so pixels can be seen
# Below this detail (pipeline.imaging.detail, levels per pixel) a crop is flat: 4 levels of
# the scored BT.601 Y, whose range is 219/255 of the plain luma the measure uses.
MIN_DETAIL = 4.0 * 255 / 219
LABEL_H, GAP, FONT_SIZE = 26, 6, 16
WHOLE_MAX = 640    # whole-image panels are shown at most this wide


@dataclass(frozen=True)
class Region:
    image: int     # index of the image in the split
    y: int
    x: int
    score: float   # squared error bicubic - model, summed over the crop (Y, levels^2)


def candidates(index: int, sr: np.ndarray, bicubic: np.ndarray, hr: np.ndarray, size: int = CROP) -> list[Region]:
    """Every textured crop on a half-overlapping grid, scored by how much the model's
    error differs from bicubic's there (the border, which is not scored, is left out)."""
    y_hr = luma(hr)
    gain = (luma(bicubic) - y_hr) ** 2 - (luma(sr) - y_hr) ** 2
    h, w = y_hr.shape
    out = []
    for y in range(4, h - size - 3, size // 2):
        for x in range(4, w - size - 3, size // 2):
            if detail(hr[y:y + size, x:x + size]) >= MIN_DETAIL:
                out.append(Region(index, y, x, float(gain[y:y + size, x:x + size].sum())))
    return out


def choose(crops: list[Region], count: int, size: int = CROP, per_image: int = 2) -> list[Region]:
    """The best `count` crops, at most `per_image` from one image, none overlapping."""
    chosen: list[Region] = []
    for c in sorted(crops, key=lambda c: (-c.score, c.image, c.y, c.x)):
        if len(chosen) == count:
            break
        same = [d for d in chosen if d.image == c.image]
        if len(same) < per_image and all(abs(d.y - c.y) >= size or abs(d.x - c.x) >= size for d in same):
            chosen.append(c)
    return chosen


def _font() -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=FONT_SIZE)


def labelled(panel: np.ndarray, label: str) -> Image.Image:
    """The panel with a white label bar above it."""
    img = Image.new("RGB", (panel.shape[1], panel.shape[0] + LABEL_H), "white")
    img.paste(Image.fromarray(panel), (0, LABEL_H))
    ImageDraw.Draw(img).text((4, 4), label, fill=(20, 20, 20), font=_font())
    return img


def row(panels: list[Image.Image]) -> np.ndarray:
    width = sum(p.width for p in panels) + GAP * (len(panels) - 1)
    out = Image.new("RGB", (width, max(p.height for p in panels)), "white")
    x = 0
    for p in panels:
        out.paste(p, (x, 0))
        x += p.width + GAP
    return np.asarray(out)


def crop_comparison(images: dict[str, np.ndarray], hr: np.ndarray, c: Region, size: int = CROP,
                    zoom: int = ZOOM) -> np.ndarray:
    """One crop from each method and the truth, enlarged, each labelled with its Y-PSNR."""
    def cut(a: np.ndarray) -> np.ndarray:
        return a[c.y:c.y + size, c.x:c.x + size]

    panels = []
    for name, img in [*images.items(), ("truth", hr)]:
        piece = cut(img)
        label = name if name == "truth" else f"{name} {psnr(luma(piece), luma(cut(hr))):.2f} dB"
        panels.append(labelled(np.repeat(np.repeat(piece, zoom, 0), zoom, 1), label))
    return row(panels)


def whole_comparison(images: dict[str, np.ndarray], hr: np.ndarray, scores: dict[str, float],
                     max_width: int = WHOLE_MAX) -> np.ndarray:
    """The whole image by each method and the truth, side by side (shrunk if wide)."""
    panels = []
    for name, img in [*images.items(), ("truth", hr)]:
        pic = Image.fromarray(img)
        if pic.width > max_width:
            pic = pic.resize((max_width, round(pic.height * max_width / pic.width)), Image.Resampling.LANCZOS)
        label = name if name == "truth" else f"{name} {scores[name]:.2f} dB"
        panels.append(labelled(np.asarray(pic), label))
    return row(panels)
