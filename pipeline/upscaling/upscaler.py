"""`Upscaler`: one loaded model turning photos into 2x photos, the object the command line,
the web server and any Python caller share, so the same input gives the same bytes
everywhere. Any mode Pillow reads works: alpha is upscaled separately (bicubic), grayscale
stays grayscale, EXIF orientation is applied and the ICC profile is carried over.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.imaging.images import Decoded, from_pil
from pipeline.imaging.resize import pillow_resize
from pipeline.outputs import atomic_path
from pipeline.upscaling.png_stream import PngStream
from pipeline.upscaling.tiles import DEFAULT_BATCH, DEFAULT_TILE, TileEngine

# zlib level 1, not the pipeline's 6: on photos it writes files a few % larger in a quarter
# of the time; at level 6 encoding a 24 MP result took as long as computing it.
RESULT_PNG_LEVEL = 1


class Upscaler:
    """One loaded model turning images into 2x images: what the CLI, the web server and any
    Python caller share, so the same input gives the same bytes everywhere."""

    def __init__(self, model, tile: int = DEFAULT_TILE, overlap: int | None = None,
                 self_ensemble: bool = False, batch: int = DEFAULT_BATCH) -> None:
        self.engine = TileEngine(model, tile, overlap, batch, self_ensemble)
        self.scale = self.engine.scale

    def result_bands(self, d: Decoded, progress: Callable[[int], None] | None = None) -> Iterator[np.ndarray]:
        """The result's rows as they are computed: RGB, one channel for a grayscale input
        (the model sees R=G=B; the luma is taken back), alpha (upscaled bicubic) last."""
        h, w = d.rgb.shape[:2]
        alpha = None if d.alpha is None else pillow_resize(d.alpha, (h * self.scale, w * self.scale))
        top = 0
        for band in self.engine.bands(d.rgb, progress):
            pixels = np.asarray(Image.fromarray(band).convert("L"))[..., None] if d.grayscale else band
            if alpha is not None:
                pixels = np.concatenate([pixels, alpha[top:top + len(band), :, None]], axis=-1)
            top += len(band)
            yield pixels

    def process(self, image: Image.Image) -> Image.Image:
        """PIL in, PIL out: RGB, RGBA, L or LA, EXIF rotation applied."""
        pixels = np.concatenate(list(self.result_bands(from_pil(image))))
        return Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels,
                               {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[pixels.shape[-1]])

    def save(self, d: Decoded, dst: Path, progress: Callable[[int], None] | None = None) -> None:
        """Upscale into the PNG `dst`, written atomically. The web server serves these bytes."""
        self.start_save(d, dst, progress)()

    def start_save(self, d: Decoded, dst: Path,
                   progress: Callable[[int], None] | None = None) -> Callable[[], None]:
        """Compute the result into the PNG `dst`, each band of rows compressed on other
        threads while the model computes the next; return the call that waits for the last
        pieces and puts the file in place, so a caller can start on the next image first.
        On an error, here or in that call, nothing is left behind."""
        h, w = d.rgb.shape[:2]
        channels = (1 if d.grayscale else 3) + (d.alpha is not None)
        icc = None if d.grayscale else d.icc_profile
        with contextlib.ExitStack() as stack:
            file = stack.enter_context(stack.enter_context(atomic_path(dst)).open("wb"))
            png = stack.enter_context(PngStream(file, w * self.scale, h * self.scale, channels, icc,
                                                RESULT_PNG_LEVEL))
            for band in self.result_bands(d, progress):
                png.write(band)
            return stack.pop_all().close
