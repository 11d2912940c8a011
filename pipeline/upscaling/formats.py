"""The formats a result can be written in, and the choices a user makes about them.

`auto` keeps the input's family: a JPEG stays JPEG (at quality 95 with full-resolution
chroma, 4:4:4, so the upscale is not lost to the encoder), a PNG stays PNG, a WebP stays
WebP; anything else (AVIF, GIF, BMP, TIFF: formats read, not written) becomes PNG. A
result the format cannot hold is refused before any work, with the reason: transparency in a
JPEG, a side over 16,383 pixels in a WebP (65,535 in a JPEG).

PNG results stream: each band of rows is compressed while the next computes, so memory is
bounded by the tile size. JPEG and WebP results are encoded whole by Pillow: the result is
held in memory, 3 bytes per output pixel (a 25 MP photo's 100 MP result: 300 MB, plus the
encoder's own copy), and the tool's --max-pixels caps the input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.upscaling.recentring import PROGRAMS

FORMATS = ("png", "jpeg", "webp")
SUFFIX = {"png": ".png", "jpeg": ".jpg", "webp": ".webp"}
BY_SUFFIX = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}
FAMILY = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp"}  # Pillow's names; others -> png
DEFAULT_QUALITY = {"jpeg": 95, "webp": 90}
MAX_SIDE = {"png": 2**31 - 1, "jpeg": 65535, "webp": 16383}
MEDIA_TYPE = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class Output:
    """How a result is made and written: `format` 'auto' (the input's family) or one of
    FORMATS, `quality` 1-100 for JPEG and WebP (None: DEFAULT_QUALITY), `strip` all
    metadata, `nearest_input` the program (recentring.PROGRAMS) whose nearest-neighbour
    shrink made the input (the result is then moved to its scene; None: not known)."""

    format: str = "auto"
    quality: int | None = None
    strip: bool = False
    nearest_input: str | None = None

    def __post_init__(self) -> None:
        if self.format not in ("auto", *FORMATS):
            raise ValueError(f"format {self.format!r}: choose auto, {', '.join(FORMATS)}")
        if self.quality is not None and not 1 <= self.quality <= 100:
            raise ValueError(f"quality {self.quality}: must be 1 to 100")
        if self.quality is not None and self.format == "png":
            raise ValueError("quality applies to JPEG and WebP; PNG is lossless")
        if self.nearest_input is not None and self.nearest_input not in PROGRAMS:
            raise ValueError(f"nearest_input {self.nearest_input!r}: choose {', '.join(PROGRAMS)}")

    def format_for(self, input_format: str | None) -> str:
        return FAMILY.get(input_format or "", "png") if self.format == "auto" else self.format

    def quality_for(self, fmt: str) -> int | None:
        return None if fmt == "png" else self.quality or DEFAULT_QUALITY[fmt]


DEFAULT_OUTPUT = Output()


def format_of_path(path: Path) -> str | None:
    """The format an --out file name asks for by its suffix, or None (a folder, or no suffix we write)."""
    return BY_SUFFIX.get(path.suffix.lower())


def refusal(fmt: str, width: int, height: int, alpha: bool) -> str | None:
    """Why a `width` x `height` result (with transparency: `alpha`) cannot be written as `fmt`."""
    if max(width, height) > MAX_SIDE[fmt]:
        return (f"a {width}x{height} result is larger than {fmt.upper()} holds ({MAX_SIDE[fmt]} pixels a side); "
                "use --format png")
    if alpha and fmt == "jpeg":
        return "it has transparency, which JPEG cannot hold; use --format png or webp"
    return None
