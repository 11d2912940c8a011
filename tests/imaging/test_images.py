"""The shared image module: every mode becomes 8-bit RGB, bad files are named."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline.imaging import colour
from pipeline.imaging.images import BadImage, decode, list_images, load_rgb, save_png
from tests.support.images import photo_like


def test_exif_orientation_is_applied(tmp_path):
    arr = photo_like(20, 40)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    Image.fromarray(arr).save(tmp_path / "r.jpg", exif=exif.tobytes())
    assert decode(tmp_path / "r.jpg").rgb.shape == (40, 20, 3)


@pytest.mark.parametrize(("mode", "gray"), [("CMYK", False), ("L", True), ("I;16", True), ("P", False)])
def test_modes_become_rgb(tmp_path, mode, gray):
    img = Image.fromarray(photo_like(16, 24))
    if mode == "I;16":
        img = Image.fromarray(np.asarray(img.convert("L")).astype(np.uint16) * 257)  # -> I;16
    else:
        img = img.convert(mode)
    path = tmp_path / ("x.jpg" if mode == "CMYK" else "x.png")
    img.save(path)
    d = decode(path)
    assert d.rgb.shape == (16, 24, 3)
    assert d.rgb.dtype == np.uint8
    assert d.grayscale == gray
    if mode == "I;16":  # 16-bit is scaled to 8 bits, not clipped
        assert np.array_equal(d.rgb[..., 0], np.asarray(img) >> 8)


def test_palette_transparency_becomes_alpha(tmp_path):
    img = Image.fromarray(photo_like(8, 8)).convert("P")
    used = int(np.asarray(img)[0, 0])  # make a colour that occurs transparent
    img.save(tmp_path / "t.png", transparency=used)
    d = decode(tmp_path / "t.png")
    assert d.alpha is not None
    assert d.alpha.min() == 0
    assert load_rgb(tmp_path / "t.png").shape == (8, 8, 3)


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "page.jpg").write_text("<html></html>")
    Image.fromarray(photo_like(64, 64)).save(tmp_path / "ok.jpg")
    data = (tmp_path / "ok.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    for name, words in [("zero.png", "not an image"), ("page.jpg", "not an image"),
                        ("cut.jpg", "cannot decode"), ("nope.png", "no such file")]:
        with pytest.raises(BadImage) as e:
            decode(tmp_path / name)
        assert str(e.value).startswith(str(tmp_path / name))
        assert words in str(e.value)
    with pytest.raises(BadImage, match="exceeds the cap of 100"):
        decode(tmp_path / "ok.jpg", max_pixels=100)


def test_save_png_is_deterministic_and_atomic(tmp_path, rgb_64):
    save_png(rgb_64, tmp_path / "a" / "x.png")
    save_png(rgb_64, tmp_path / "b" / "x.png")
    assert (tmp_path / "a" / "x.png").read_bytes() == (tmp_path / "b" / "x.png").read_bytes()
    assert np.array_equal(load_rgb(tmp_path / "a" / "x.png"), rgb_64)
    assert list_images(tmp_path / "a") == [tmp_path / "a" / "x.png"]  # no partial file left


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n%%EOF\n"


def test_only_allowed_formats_are_ever_decoded(tmp_path, monkeypatch):
    """A `.jpg` that is really EPS must not reach Pillow's EPS plugin (Ghostscript)."""
    from PIL import EpsImagePlugin

    opened = []
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: opened.append(self))
    (tmp_path / "photo.jpg").write_bytes(EPS)
    with pytest.raises(BadImage) as e:
        decode(tmp_path / "photo.jpg")
    assert e.value.reason == "not_image"
    assert "not an image in an allowed format (JPEG, PNG, WEBP, AVIF, GIF, BMP, TIFF)" in str(e.value)
    assert opened == []


def test_the_scraper_uses_the_same_allow_list():
    from scraper.pipelines import Rejected, inspect_image

    with pytest.raises(Rejected, match="not an image"):
        inspect_image(EPS, 10**6, 1, 1)


def test_bad_image_reasons_are_codes(tmp_path):
    from tests.support.images import bomb_png, encoded

    (tmp_path / "bomb.png").write_bytes(bomb_png())
    whole = encoded(photo_like(64, 64), "PNG")
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    for name, reason in [("bomb.png", "bomb"), ("cut.png", "undecodable"), ("none.png", "missing")]:
        with pytest.raises(BadImage) as e:
            decode(tmp_path / name)
        assert e.value.reason == reason, name


def test_the_srgb_profile_we_write_is_the_same_in_every_run():
    icc = colour.srgb()
    assert icc[24:36] == colour.SRGB_DATE  # not the second Little CMS built it
    assert colour.profile_space(icc) == "RGB"
    img = Image.fromarray(photo_like(8, 8))
    assert np.array_equal(np.asarray(colour.convert_to_srgb(img, icc)), np.asarray(img))  # sRGB -> sRGB is identity
