"""`Upscaler`, the object every caller shares: PIL in and out, files with the same pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline.upscaling.formats import Output
from tests.support.images import photo_like, write_photo_modes


def test_python_api_takes_and_returns_pil_images(model_path):
    from pipeline.upscaling.inference import load_model
    from pipeline.upscaling.upscaler import Upscaler

    up = Upscaler(load_model(model_path), tile=8)
    assert up.scale == 2
    rgba = Image.fromarray(photo_like(9, 13)).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 13).astype(np.uint8), (9, 1))))
    out = up.process(rgba)
    assert (out.size, out.mode) == ((26, 18), "RGBA")
    gray = up.process(Image.fromarray(photo_like(9, 13)).convert("L"))
    assert (gray.size, gray.mode) == ((26, 18), "L")
    cmyk = up.process(Image.fromarray(photo_like(9, 13)).convert("CMYK"))
    assert (cmyk.size, cmyk.mode) == ((26, 18), "RGB")


def test_a_named_nearest_input_moves_every_band_and_the_alpha_as_one_image(model_path):
    """In tiles of 8 the result comes in many bands; moved, it is the whole result moved."""
    from pipeline.upscaling.inference import load_model
    from pipeline.upscaling.recentring import moved
    from pipeline.upscaling.upscaler import Upscaler

    model = load_model(model_path)
    rgba = Image.fromarray(photo_like(21, 13)).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 13).astype(np.uint8), (21, 1))))
    up = Upscaler(model, tile=8)
    plain, named = (np.asarray(up.process(rgba, nearest_input=n)) for n in (None, "opencv"))
    assert np.array_equal(named[..., :3], moved(plain[..., :3], 2, "opencv"))
    assert np.array_equal(named[..., 3], moved(plain[..., 3], 2, "opencv"))
    assert not np.array_equal(named, plain)


def test_the_file_holds_what_the_python_api_returns_and_a_stopped_one_leaves_nothing(tmp_path, model_path):
    from pipeline.imaging.images import decode
    from pipeline.upscaling.inference import load_model
    from pipeline.upscaling.upscaler import Upscaler

    up = Upscaler(load_model(model_path), tile=16)  # several bands per photo
    write_photo_modes(tmp_path / "in")
    for src in sorted((tmp_path / "in").iterdir()):
        plan = up.save(decode(src), tmp_path / f"{src.stem}.png", output=Output("png"))
        assert plan.format == "png"
        expected, got = up.process(Image.open(src)), Image.open(tmp_path / f"{src.stem}.png")
        assert got.mode == expected.mode, src.name
        assert np.array_equal(np.asarray(got), np.asarray(expected)), src.name

    def stop(tiles):
        raise KeyboardInterrupt

    for fmt in ("png", "jpeg"):
        with pytest.raises(KeyboardInterrupt):
            up.save(decode(tmp_path / "in" / "photo.jpg"), tmp_path / f"stopped.{fmt}", stop, Output(fmt))
    assert not [p.name for p in tmp_path.iterdir() if "stopped" in p.name]


def test_auto_keeps_the_input_s_family(tmp_path, model_path):
    from pipeline.imaging.images import decode
    from pipeline.upscaling.inference import load_model
    from pipeline.upscaling.upscaler import Upscaler

    up = Upscaler(load_model(model_path))
    write_photo_modes(tmp_path / "in")
    for name, fmt in [("photo.jpg", "JPEG"), ("gray.png", "PNG")]:
        plan = up.save(decode(tmp_path / "in" / name), tmp_path / name)
        assert Image.open(tmp_path / name).format == fmt
        assert plan.quality == (95 if fmt == "JPEG" else None)
    Image.fromarray(photo_like(20, 20)).save(tmp_path / "x.bmp")
    assert up.plan(decode(tmp_path / "x.bmp")).format == "png"
