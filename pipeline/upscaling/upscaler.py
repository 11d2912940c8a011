"""`Upscaler`: one loaded model turning photos into 2x photos, the object the command line,
the web server and any Python caller share, so the same input gives the same bytes
everywhere. Any mode Pillow reads works: alpha is upscaled separately (bicubic), grayscale
stays grayscale, EXIF orientation is applied. A result is written as PNG, JPEG or WebP
(formats.py) with the photo's metadata carried over (pipeline/imaging/metadata.py) and its
colour profile where it fits the result (pipeline/imaging/colour.py).
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.imaging.colour import result_profile, rgb_to_srgb
from pipeline.imaging.images import WIDE_MODES, Decoded, animation_warning, from_pil
from pipeline.imaging.metadata import result_dpi, result_exif, result_xmp
from pipeline.imaging.resize import pillow_resize
from pipeline.outputs import atomic_path
from pipeline.upscaling.formats import DEFAULT_OUTPUT, Output
from pipeline.upscaling.models import Loaded
from pipeline.upscaling.png_stream import PngStream
from pipeline.upscaling.recentring import moved, moved_bands
from pipeline.upscaling.tiles import DEFAULT_BATCH, DEFAULT_TILE, TileEngine

# ISA-L's level 1 (png_stream says why ISA-L and what it costs in size), not the pipeline's
# zlib 6: at zlib's 6 encoding a 24 MP result took as long as computing it.
RESULT_PNG_LEVEL = 1
# Bytes of EXIF each format holds: a JPEG APP1 segment is 64 KB with its header.
EXIF_LIMIT = {"png": 2**31 - 1, "jpeg": 65533 - 8, "webp": 2**31 - 1}
MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


@dataclass(frozen=True)
class Plan:
    """What a result will be, decided before any pixel is computed."""

    format: str
    quality: int | None
    width: int
    height: int
    channels: int
    icc: bytes | None
    to_srgb: bool                  # convert the input's pixels through its profile first
    exif: bytes | None
    xmp: bytes | None
    dpi: tuple[float, float] | None
    warnings: tuple[str, ...]
    nearest_input: str | None = None  # Output.nearest_input


def png_chunks(plan: Plan) -> tuple[tuple[bytes, bytes], ...]:
    """The metadata of `plan` as PNG chunks: eXIf (TIFF bytes), iTXt XMP, pHYs."""
    chunks = []
    if plan.exif:
        chunks.append((b"eXIf", plan.exif.removeprefix(b"Exif\x00\x00")))
    if plan.xmp:
        chunks.append((b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + plan.xmp))
    if plan.dpi:
        per_metre = [round(v / 0.0254) for v in plan.dpi]
        chunks.append((b"pHYs", struct.pack(">IIB", *per_metre, 1)))
    return tuple(chunks)


def wide_warning(mode: str) -> str | None:
    """Results are 8-bit (the network computes on 8-bit photos): say so for a 16-bit or
    float input instead of letting its extra levels vanish unmentioned."""
    return f"{mode} pixels (a wider type than 8 bits) are written as 8-bit" if mode in WIDE_MODES else None


class Upscaler:
    """One loaded model turning images into 2x images."""

    def __init__(self, model, tile: int = DEFAULT_TILE, overlap: int | None = None,
                 self_ensemble: bool = False, batch: int = DEFAULT_BATCH) -> None:
        """`model`: a Keras network, or a models.Loaded (a shipped router among them)."""
        self.engine = (model.engine(tile, overlap, batch, self_ensemble) if isinstance(model, Loaded)
                       else TileEngine(model, tile, overlap, batch, self_ensemble))
        self.scale = self.engine.scale
        self._encoder = ThreadPoolExecutor(1, thread_name_prefix="encode")

    def plan(self, d: Decoded, output: Output = DEFAULT_OUTPUT) -> Plan:
        """The result's format, size and metadata for the decoded photo `d`."""
        fmt = output.format_for(d.format)
        h, w = d.rgb.shape[0] * self.scale, d.rgb.shape[1] * self.scale
        channels = (1 if d.grayscale else 3) + (d.alpha is not None)
        warnings = [*d.warnings, *filter(None, [animation_warning(d.frames), wide_warning(d.source_mode)])]
        if output.strip:
            return Plan(fmt, output.quality_for(fmt), w, h, channels, None, False, None, None, None, tuple(warnings),
                        output.nearest_input)
        icc, to_srgb, warning = result_profile(d.icc_profile, d.grayscale, fmt)
        exif, exif_warning = (None, None) if not d.metadata.exif else result_exif(
            d.metadata.exif, w, h, self.scale, EXIF_LIMIT[fmt])
        xmp = result_xmp(d.metadata.xmp, w, h) if d.metadata.xmp else None
        warnings += [x for x in (warning, exif_warning) if x]
        return Plan(fmt, output.quality_for(fmt), w, h, channels, icc, to_srgb, exif, xmp,
                    result_dpi(d.metadata.dpi, self.scale), tuple(warnings), output.nearest_input)

    def result_bands(self, d: Decoded, progress: Callable[[int], None] | None = None,
                     to_srgb: bool = False, nearest_input: str | None = None) -> Iterator[np.ndarray]:
        """The result's rows as they are computed: RGB, one channel for a grayscale input
        (the model sees R=G=B; the luma is taken back), alpha (upscaled bicubic) last; moved
        to their scene when `nearest_input` names the program that made the input small."""
        h, w = d.rgb.shape[:2]
        rgb = rgb_to_srgb(d.rgb, d.icc_profile) if to_srgb else d.rgb
        alpha = None if d.alpha is None else pillow_resize(d.alpha, (h * self.scale, w * self.scale))
        bands = self.engine.bands(rgb, progress)
        if nearest_input:
            bands = moved_bands(bands, self.scale, nearest_input)
            alpha = None if alpha is None else moved(alpha, self.scale, nearest_input)
        top = 0
        for band in bands:
            pixels = np.asarray(Image.fromarray(band).convert("L"))[..., None] if d.grayscale else band
            if alpha is not None:
                pixels = np.concatenate([pixels, alpha[top:top + len(band), :, None]], axis=-1)
            top += len(band)
            yield pixels

    def process(self, image: Image.Image, nearest_input: str | None = None) -> Image.Image:
        """PIL in, PIL out: RGB, RGBA, L or LA, EXIF rotation applied (`nearest_input`: as
        Output's)."""
        pixels = np.concatenate(list(self.result_bands(from_pil(image), nearest_input=nearest_input)))
        return Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels, MODES[pixels.shape[-1]])

    def save(self, d: Decoded, dst: Path, progress: Callable[[int], None] | None = None,
             output: Output = DEFAULT_OUTPUT) -> Plan:
        """Upscale into `dst`, written atomically. The web server serves these bytes."""
        plan = self.plan(d, output)
        self.start_save(d, dst, plan, progress)()
        return plan

    def start_save(self, d: Decoded, dst: Path, plan: Plan,
                   progress: Callable[[int], None] | None = None) -> Callable[[], None]:
        """Compute the result into `dst` as `plan` says, and return the call that waits for the
        encoder and puts the file in place, so a caller can start on the next image first.
        A PNG is compressed band by band on other threads while the model computes; a JPEG or
        WebP is encoded whole, on a thread, once the last band is in. On an error, here or in
        that call, nothing is left behind."""
        with contextlib.ExitStack() as stack:
            tmp = stack.enter_context(atomic_path(dst))
            bands = self.result_bands(d, progress, plan.to_srgb, plan.nearest_input)
            if plan.format == "png":
                file = stack.enter_context(tmp.open("wb"))
                png = stack.enter_context(PngStream(file, plan.width, plan.height, plan.channels, plan.icc,
                                                    RESULT_PNG_LEVEL, chunks=png_chunks(plan)))
                for band in bands:
                    png.write(band)
                return stack.pop_all().close
            pixels = np.empty((plan.height, plan.width, plan.channels), np.uint8)
            top = 0
            for band in bands:
                pixels[top:top + len(band)] = band.reshape(len(band), plan.width, plan.channels)
                top += len(band)
            encoding = self._encoder.submit(encode, pixels, plan, tmp)
            stack.callback(encoding.result)  # wait for the encoder before the file is placed
            return stack.pop_all().close


def encode(pixels: np.ndarray, plan: Plan, path: Path) -> None:
    """A whole result as JPEG or WebP at `path`, with the plan's metadata."""
    image = Image.fromarray(pixels[..., 0] if plan.channels == 1 else pixels, MODES[plan.channels])
    options: dict = {"quality": plan.quality}
    if plan.format == "jpeg":
        options.update(subsampling=0, optimize=False)  # 4:4:4: chroma at full resolution
    else:
        options.update(method=4)
    for key, value in (("icc_profile", plan.icc), ("exif", plan.exif), ("xmp", plan.xmp), ("dpi", plan.dpi)):
        if value:
            options[key] = value
    with path.open("wb") as file:
        image.save(file, format=plan.format.upper(), **options)
