"""Safe image loading and deterministic saving, shared by every stage and the upscale tool.

Everything downstream works on 8-bit RGB numpy arrays (H, W, 3). `decode` turns any file
Pillow can read into that form and says what it had to do on the way (EXIF rotation,
grayscale, alpha, 16-bit, CMYK), so callers can keep or reject by their own rules.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageCms, ImageOps

from pipeline.imaging.colour import convert_to_srgb, profile_space, srgb
from pipeline.outputs import atomic_path

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".avif", ".bmp", ".gif", ".tif", ".tiff"})
# The only decoders ever run on a file. Pillow would otherwise pick among all its plugins
# by content: a ".jpg" that is really EPS would be handed to Ghostscript where installed.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "AVIF", "GIF", "BMP", "TIFF")
# The suffix a stored file of each format gets (multi-picture JPEGs open as MPO).
FORMAT_SUFFIX = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp", "AVIF": ".avif", "GIF": ".gif",
                 "BMP": ".bmp", "TIFF": ".tif"}
DEFAULT_MAX_PIXELS = 60_000_000
# Every decode goes through `open_image` with its own pixel cap, checked from the header. Pillow's
# global one would refuse a huge declared size first, with an error that hides the size
# (a 100000 x 100000 PNG would get Pillow's text instead of "10000 MP; limit 25 MP").
Image.MAX_IMAGE_PIXELS = None
# Fixed zlib level: the same pixels always give the same bytes, so DVC hashes do not churn.
PNG_COMPRESS_LEVEL = 6


class BadImage(ValueError):
    """A file that cannot be used as an image. `reason` is a code callers can act on:
    missing, not_image, bomb or undecodable; the message starts with the source."""

    def __init__(self, source: object, reason: str, detail: str, size: tuple[int, int] | None = None) -> None:
        super().__init__(f"{source}: {detail}")
        self.source, self.reason, self.detail = source, reason, detail
        self.size = size  # (width, height) where the header told it (a bomb)


@contextlib.contextmanager
def open_image(source: Path | str | bytes | BinaryIO, max_pixels: int = DEFAULT_MAX_PIXELS,
               name: object = None) -> Iterator[Image.Image]:
    """Open a file (or bytes) with the allowed decoders only, refuse decompression bombs
    before any pixel is decoded, and turn every failure into BadImage. Pixels are decoded
    by the caller (`img.load()`) inside the block, where decoding errors are still caught."""
    name = name if name is not None else source
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            # Our own pixel cap below replaces Pillow's warning-level check.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(fp, formats=ALLOWED_FORMATS) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise BadImage(name, "bomb", f"{width}x{height} = {width * height} pixels exceeds "
                                                 f"the cap of {max_pixels} (decompression bomb?)", (width, height))
                yield img
    except BadImage:
        raise
    except Image.DecompressionBombError as e:
        raise BadImage(name, "bomb", f"decompression bomb ({e})") from e
    except FileNotFoundError as e:
        raise BadImage(name, "missing", "no such file") from e
    except Image.UnidentifiedImageError as e:
        raise BadImage(name, "not_image", "not an image in an allowed format "
                                          f"({', '.join(ALLOWED_FORMATS)})") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise BadImage(name, "undecodable", f"cannot decode ({e})") from e


# Frames counted at most: a 60,000-page TIFF is "over 1000", not 60,000 seeks per look at it.
FRAME_SCAN = 1000


def count_frames(img: Image.Image, cap: int = FRAME_SCAN) -> int:
    """Frames of an opened image, counted up to cap + 1 (meaning: more than `cap`)."""
    if not getattr(img, "is_animated", False):
        return 1
    count = 1
    try:
        while count <= cap:
            img.seek(count)
            count += 1
    except EOFError:
        pass
    img.seek(0)
    return count


def frames_text(frames: int) -> str:
    return f"more than {FRAME_SCAN}" if frames > FRAME_SCAN else str(frames)


def animation_warning(frames: int) -> str | None:
    """What upscaling an animation loses, said where the upload is taken and where it is done."""
    return f"animated: only the first of {frames_text(frames)} frames is upscaled" if frames > 1 else None


@dataclass(frozen=True)
class Header:
    """What a file's header says, read without decoding a pixel."""

    format: str | None
    width: int
    height: int
    alpha: bool
    frames: int  # counted up to FRAME_SCAN + 1


def probe(source: Path | str | bytes | BinaryIO, max_pixels: int = DEFAULT_MAX_PIXELS, name: object = None) -> Header:
    """The header of a file (or bytes, or an open binary file): format, size, transparency,
    frames; BadImage as `open_image` raises it (a bomb is refused from its declared size)."""
    with open_image(source, max_pixels, name) as img:
        alpha = img.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in img.info
        return Header(img.format, img.width, img.height, alpha, count_frames(img))


@dataclass(frozen=True)
class Metadata:
    """What a photo says about itself, kept for its result (pipeline/imaging/metadata.py)."""

    exif: bytes | None = None       # the EXIF block as the file had it
    xmp: bytes | None = None
    dpi: tuple[float, float] | None = None


@dataclass(frozen=True)
class Decoded:
    rgb: np.ndarray            # (H, W, 3) uint8, EXIF orientation applied
    alpha: np.ndarray | None   # (H, W) uint8 when the file had transparency
    grayscale: bool            # the file held one channel of luminance
    frames: int                # > 1 for animations; only the first frame is decoded
    source_mode: str           # Pillow mode before conversion, e.g. "CMYK", "I;16", "P"
    icc_profile: bytes | None  # describes `rgb` (a CMYK photo's is replaced by sRGB's)
    format: str | None = None  # the file's format (JPEG, PNG, ...), None for a built image
    metadata: Metadata = Metadata()
    warnings: tuple[str, ...] = ()  # what decoding changed that a user should know


_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N")
# Modes `_to_8bit` narrows: their result is 8-bit, and a user with 16-bit scans must be told.
WIDE_MODES = (*_SIXTEEN_BIT, "I", "F")


def _to_8bit(img: Image.Image) -> Image.Image:
    """Scale 16/32-bit single-channel images to 0..255 instead of clipping them."""
    if img.mode in _SIXTEEN_BIT:
        arr = np.asarray(img, dtype=np.uint16)
        return Image.fromarray((arr >> 8).astype(np.uint8), "L")
    if img.mode == "I":
        arr = np.asarray(img, dtype=np.int64)
        top = 65535 if arr.max(initial=0) > 255 else 255
        return Image.fromarray((np.clip(arr, 0, top) * 255 // top).astype(np.uint8), "L")
    if img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        top = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
        return Image.fromarray(np.clip(arr / top * 255 + 0.5, 0, 255).astype(np.uint8), "L")
    return img


def decode(source: Path | str | bytes, max_pixels: int = DEFAULT_MAX_PIXELS, name: object = None) -> Decoded:
    """Fully decode a file (or its bytes, named `name` in errors) to RGB (+ alpha),
    refusing decompression bombs before decoding."""
    return decode_image(source, max_pixels, name)


def decode_image(source: Path | str | bytes, max_pixels: int, name: object,
                 metadata: Callable[[Image.Image], Metadata] | None = None) -> Decoded:
    """`decode`, and what `metadata` reads off the opened file before it is turned upright."""
    with open_image(source if isinstance(source, bytes) else Path(source), max_pixels, name) as img:
        kept = metadata(img) if metadata else Metadata()
        img.load()
        return replace(from_pil(img), metadata=kept)


def from_pil(img: Image.Image) -> Decoded:
    """Normalise a loaded Pillow image (any mode) the way `decode` does a file."""
    frames = count_frames(img)
    source_mode, fmt = img.mode, img.format
    icc, warnings = img.info.get("icc_profile") or None, []
    img = _to_8bit(ImageOps.exif_transpose(img))
    if img.mode == "CMYK" and icc:
        try:
            if profile_space(icc) != "CMYK":
                raise ValueError("not a CMYK profile")
            img, icc = convert_to_srgb(img, icc), srgb()
            warnings.append("CMYK converted to sRGB through its colour profile")
        except (ValueError, OSError, ImageCms.PyCMSError):
            icc = None  # it cannot say what these CMYK values mean: Pillow's plain formula instead
            warnings.append("its colour profile does not convert this CMYK photo: converted without it, dropped")
    if img.mode == "P" or img.mode == "PA":
        img = img.convert("RGBA" if "transparency" in img.info or img.mode == "PA" else "RGB")
    alpha = None
    if img.mode in ("RGBA", "LA", "La", "RGBa"):
        alpha = np.asarray(img.getchannel("A"), dtype=np.uint8).copy()
        if alpha.min() == 255:
            alpha = None  # an alpha channel that is fully opaque carries nothing
    grayscale = img.mode in ("L", "LA", "La", "1")
    rgb = np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    return Decoded(rgb, alpha, grayscale, frames, source_mode, icc, fmt, Metadata(), tuple(warnings))


def composite_on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None].astype(np.float32) / 255.0
    return np.round(rgb * a + 255.0 * (1.0 - a)).astype(np.uint8)


def load_rgb(path: Path | str, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode to (H, W, 3) uint8; transparency is composited on white."""
    d = decode(path, max_pixels)
    return d.rgb if d.alpha is None else composite_on_white(d.rgb, d.alpha)


def save_png(arr: np.ndarray, path: Path | str, icc_profile: bytes | None = None,
             compress_level: int = PNG_COMPRESS_LEVEL) -> None:
    """Write a PNG with no timestamps or text chunks; parent folders are created."""
    path = Path(path)
    if arr.dtype != np.uint8:
        raise TypeError(f"{path}: expected uint8 pixels, got {arr.dtype}")
    mode = {2: "L", 3: None}.get(arr.ndim)
    channels = arr.shape[2] if arr.ndim == 3 else 1
    mode = mode or {3: "RGB", 4: "RGBA"}[channels]
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    with atomic_path(path) as tmp:
        Image.fromarray(arr, mode).save(tmp, format="PNG", compress_level=compress_level, **extra)


def list_images(folder: Path | str) -> list[Path]:
    """Image files directly inside `folder`, sorted by name (the order every stage relies on)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
