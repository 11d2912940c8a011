"""Colour profiles: which one a result may carry, and pixels turned into sRGB when it may not.

A profile is kept only where it describes the result's colours: an RGB profile on an RGB
result, a gray one on a gray result. A CMYK photo is converted to sRGB through its own
profile when decoded (Pillow's plain CMYK -> RGB formula ignores it), so its result is sRGB
and says so. A profile larger than the output format's readers take (Pillow refuses a PNG
iCCP over 1 MB; a JPEG holds 255 segments of 64 KB) is applied instead: the pixels become
sRGB and the result carries the small sRGB profile. An unreadable profile is dropped.
Each such change comes back as a warning for the user.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin

# Bytes of profile each output format carries so that Pillow (and browsers) read it back.
PROFILE_LIMIT = {"png": PngImagePlugin.MAX_TEXT_CHUNK, "jpeg": 255 * 65519, "webp": 2**31}


# Little CMS stamps a built profile with the second it was built (header bytes 24-35), so two
# runs would write different results; every sRGB profile we write carries this date instead.
SRGB_DATE = bytes.fromhex("07d0 0001 0001 0000 0000 0000")  # 2000-01-01 00:00:00


@functools.cache
def srgb() -> bytes:
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    icc[24:36] = SRGB_DATE
    icc[84:100] = bytes(16)  # a profile ID (MD5) would cover the date; all zeros means "not computed"
    return bytes(icc)


def profile_space(icc: bytes) -> str | None:
    """The colour space a profile describes ('RGB', 'GRAY', 'CMYK', ...); None if unreadable."""
    try:
        return ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space.strip() or None
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None


def convert_to_srgb(img: Image.Image, icc: bytes, mode: str = "RGB") -> Image.Image:
    """`img` (whose colours `icc` describes) as sRGB pixels in `mode`."""
    return ImageCms.profileToProfile(img, io.BytesIO(icc), io.BytesIO(srgb()), outputMode=mode)


def rgb_to_srgb(rgb: np.ndarray, icc: bytes) -> np.ndarray:
    return np.asarray(convert_to_srgb(Image.fromarray(rgb), icc))


@functools.cache
def result_profile(icc: bytes | None, gray: bool, fmt: str) -> tuple[bytes | None, bool, str | None]:
    """(profile to write, whether the pixels must be converted to sRGB first, warning) for a
    result in `fmt` ('png', 'jpeg', 'webp') of a photo with profile `icc`."""
    if not icc:
        return None, False, None
    space = profile_space(icc)
    if space is None:
        return None, False, "an unreadable colour profile was dropped"
    want = "GRAY" if gray else "RGB"
    if space != want:
        return None, False, f"a {space} colour profile cannot describe a {want.lower()} result: dropped"
    if len(icc) > PROFILE_LIMIT[fmt]:
        kb = len(icc) // 1024
        if gray:
            return None, False, f"the {kb} KB colour profile is too large for {fmt.upper()}: dropped"
        return srgb(), True, f"the {kb} KB colour profile is too large for {fmt.upper()}: colours converted to sRGB"
    return icc, False, None
