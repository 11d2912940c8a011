"""A photo's metadata, read as it comes and rewritten for a result twice its size.

What a result keeps (unless the user strips it): every EXIF tag, camera, lens, dates, GPS,
copyright and the rest, with the orientation reset to 1 (the pixels are turned upright when
decoded), the pixel dimensions set to the result's, the resolution doubled (the same print
size at twice the detail) and the embedded thumbnail dropped (it would show the old, small
picture); the XMP packet, with its orientation and dimensions updated the same way; the
ICC colour profile where it describes the result's colours (pipeline/imaging/colour.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from PIL import ExifTags, Image

from pipeline.imaging.images import Decoded, Metadata, decode_image

ORIENTATION = 0x0112
# IFD0's own size tags (TIFF-style files carry them) and the Exif IFD's pixel dimensions.
IFD0_SIZE = (0x0100, 0x0101)                        # ImageWidth, ImageLength
EXIF_SIZE = (0xA002, 0xA003)                        # PixelXDimension, PixelYDimension
RESOLUTION = (0x011A, 0x011B)                       # XResolution, YResolution
MAKER_NOTE = 0x927C


def read_metadata(img: Image.Image) -> Metadata:
    """EXIF, XMP and resolution of an opened image, before any rotation is applied."""
    exif = img.info.get("exif")  # JPEG's APP1, PNG's eXIf, WebP's EXIF (a TIFF's own tags are not EXIF)
    xmp = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode()
    dpi = img.info.get("dpi")
    return Metadata(exif or None, xmp or None, tuple(float(v) for v in dpi) if dpi else None)


def _exif_for(exif: bytes, width: int, height: int, scale: int, keep_maker_note: bool) -> bytes:
    tags = Image.Exif()
    tags.load(exif)
    sub = tags.get_ifd(ExifTags.IFD.Exif)
    tags.get_ifd(ExifTags.IFD.GPSInfo)  # loaded, so it is written back
    if ORIENTATION in tags:
        tags[ORIENTATION] = 1
    for tag, value in zip(IFD0_SIZE, (width, height), strict=True):
        if tag in tags:
            tags[tag] = value
    for tag, value in zip(EXIF_SIZE, (width, height), strict=True):
        if tag in sub:
            sub[tag] = value
    for tag in RESOLUTION:
        if tag in tags:
            tags[tag] = float(tags[tag]) * scale
    if not keep_maker_note:
        sub.pop(MAKER_NOTE, None)
    # Pillow writes IFD0 and its sub-IFDs (Exif, GPS, Interop), never IFD1: the thumbnail goes.
    return tags.tobytes()


def result_exif(exif: bytes, width: int, height: int, scale: int, limit: int) -> tuple[bytes | None, str | None]:
    """The EXIF block for a `width` x `height` result and a warning, if any. A block over
    `limit` bytes (a JPEG segment holds 64 KB) loses the maker's note first, then all."""
    try:
        out = _exif_for(exif, width, height, scale, keep_maker_note=True)
        if len(out) <= limit:
            return out, None
        out = _exif_for(exif, width, height, scale, keep_maker_note=False)
        if len(out) <= limit:
            return out, "the camera maker's EXIF note was dropped (too large for the format)"
        return None, f"EXIF dropped: {len(out)} bytes, more than the format holds"
    except Exception as e:  # a damaged block, from a camera or an editor: never stop the photo
        return None, f"unreadable EXIF dropped ({type(e).__name__})"


def result_xmp(xmp: bytes, width: int, height: int) -> bytes:
    """The XMP packet with orientation 1 and the result's size, in either of XMP's two ways
    of writing a property (attribute or element)."""
    text = xmp.decode("utf-8", "replace")
    for prop, value in (("tiff:Orientation", 1), ("exif:PixelXDimension", width), ("exif:PixelYDimension", height),
                        ("tiff:ImageWidth", width), ("tiff:ImageLength", height)):
        text = re.sub(rf'({prop}\s*=\s*")[^"]*(")', rf"\g<1>{value}\g<2>", text)
        text = re.sub(rf"(<{prop}>)[^<]*(</{prop}>)", rf"\g<1>{value}\g<2>", text)
    return text.encode()


def result_dpi(dpi: tuple[float, float] | None, scale: int) -> tuple[float, float] | None:
    """Twice the resolution: the result prints at the size the original did."""
    return None if dpi is None else (dpi[0] * scale, dpi[1] * scale)


def exif_summary(exif: bytes | None) -> dict[str, object]:
    """The tags a person cares about, for tests and logs: make, model, dates, GPS, lens."""
    if not exif:
        return {}
    tags = Image.Exif()
    tags.load(exif)
    pointers = {ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop}  # offsets, not facts
    out = {ExifTags.TAGS.get(k, hex(k)): v for k, v in tags.items() if k not in pointers}
    out.update({ExifTags.TAGS.get(k, hex(k)): v for k, v in tags.get_ifd(ExifTags.IFD.Exif).items()})
    gps = tags.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        out["GPSInfo"] = {ExifTags.GPSTAGS.get(k, k): v for k, v in gps.items()}
    return out


def has_thumbnail(exif: bytes | None) -> bool:
    if not exif:
        return False
    tags = Image.Exif()
    tags.load(exif)
    return bool(tags.get_ifd(ExifTags.IFD.IFD1))


def decode_photo(source: Path | str | bytes, max_pixels: int, name: object = None) -> Decoded:
    """`decode`, with the file's metadata kept for its result (the pipeline's stages need none)."""
    return decode_image(source, max_pixels, name, read_metadata)
