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


def smooth_field(h: int, w: int, seed: int = 0, cells: int = 5) -> np.ndarray:
    """A smooth colour field with no noise (`cells` x `cells` random colours, bicubic): where
    a sample sits is then all that tells two of its downscales apart."""
    coarse = np.random.default_rng(seed).integers(0, 256, (cells, cells, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(coarse).resize((w, h), Image.Resampling.BICUBIC))


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


XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
       b'tiff:Orientation="{orientation}"><dc:creator>the photographer</dc:creator></rdf:Description>'
       b'</rdf:RDF></x:xmpmeta>')


def with_thumbnail(exif: bytes) -> bytes:
    """`exif` (b"Exif\\0\\0" + TIFF, as Pillow writes it) with an IFD1 holding a JPEG
    thumbnail appended, as cameras write one (Pillow cannot)."""
    tiff = bytearray(exif.removeprefix(b"Exif\x00\x00"))
    order = "<" if tiff[:2] == b"II" else ">"
    ifd0 = struct.unpack_from(f"{order}I", tiff, 4)[0]
    count = struct.unpack_from(f"{order}H", tiff, ifd0)[0]
    next_at = ifd0 + 2 + 12 * count
    thumb = encoded(photo_like(8, 12, 5), "JPEG")
    ifd1 = len(tiff) + len(tiff) % 2
    data = ifd1 + 2 + 2 * 12 + 4
    tiff += b"\0" * (ifd1 - len(tiff))
    tiff += struct.pack(f"{order}H", 2)
    tiff += struct.pack(f"{order}HHII", 0x0201, 4, 1, data) + struct.pack(f"{order}HHII", 0x0202, 4, 1, len(thumb))
    tiff += struct.pack(f"{order}I", 0) + thumb
    struct.pack_into(f"{order}I", tiff, next_at, ifd1)
    return b"Exif\x00\x00" + bytes(tiff)


def camera_jpeg(path: Path, orientation: int = 6, thumbnail: bool = False) -> Path:
    """A 60 x 40 JPEG as a camera writes it: make, model, dates, copyright, lens, GPS,
    resolution, `orientation`, XMP, and (`thumbnail`) an embedded thumbnail."""
    from PIL import ExifTags

    exif = Image.Exif()
    exif.update({0x010F: "Canon", 0x0110: "EOS R5", 0x0112: orientation, 0x0132: "2024:05:06 07:08:09",
                 0x8298: "(c) Ann Example", 0x011A: 72.0, 0x011B: 72.0, 0x0128: 2})
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub.update({0x9003: "2024:05:06 07:08:09", 0xA434: "RF 24-70mm F2.8", 0xA002: 60, 0xA003: 40})
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    block = exif.tobytes()
    Image.fromarray(photo_like(40, 60, 1)).save(path, quality=95, dpi=(72, 72),
                                                exif=with_thumbnail(block) if thumbnail else block,
                                                xmp=XMP.replace(b"{orientation}", str(orientation).encode()))
    return path
