"""Generated images for tests: photo-like textures, encoded files, a decompression bomb."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms


def photo_like(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A textured, colourful uint8 RGB image that passes the filter's photo checks."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([128 + 60 * np.sin(x / (7 + seed) + c) * np.cos(y / 11 + c) for c in range(3)], -1)
    noise = rng.normal(0, 18, (h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def distinct_photo(h: int, w: int, seed: int) -> np.ndarray:
    """Photo-like images whose structure differs by seed (for perceptual-hash tests)."""
    rng = np.random.default_rng(seed + 1000)
    coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
    field = np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC), np.float32)
    return np.clip(field + rng.normal(0, 14, (h, w, 3)), 0, 255).astype(np.uint8)


def encoded(img: np.ndarray, fmt: str, **save_args) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt, **save_args)
    return buf.getvalue()


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG header declaring width x height pixels, with almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def write_photo_modes(folder: Path) -> bytes:
    """`folder` filled with one small photo in every mode a user has (JPEG, RGBA, gray, palette,
    CMYK, 16-bit, EXIF-rotated, ICC-tagged); returns the sRGB profile the tagged one carries."""
    folder.mkdir()
    rgb = Image.fromarray(photo_like(30, 41, 1))
    rgb.save(folder / "photo.jpg", quality=92)
    rgba = rgb.convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 41).astype(np.uint8), (30, 1))))
    rgba.save(folder / "cutout.png")
    rgb.convert("L").save(folder / "gray.png")
    rgb.convert("P").save(folder / "palette.png")
    rgb.convert("CMYK").save(folder / "print.jpg")
    Image.fromarray(np.asarray(rgb.convert("L")).astype(np.uint16) * 257).save(folder / "deep.png")
    exif = Image.Exif()
    exif[0x0112] = 6
    rgb.save(folder / "rotated.jpg", exif=exif.tobytes())
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rgb.save(folder / "tagged.png", icc_profile=srgb)
    return srgb
