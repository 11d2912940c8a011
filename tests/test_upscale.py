"""The upscale command on every kind of photo a user has, and on bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageCms

from tests.helpers import photo_like, python


def write_inputs(folder):
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


def test_every_mode_round_trips_at_twice_the_size(tmp_path, model_path):
    icc = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    proc = python("-m", "pipeline.upscale", str(tmp_path / "in"), "--out", str(out), "--model", str(model_path),
                  "--tile", "16")
    assert proc.returncode == 0
    expected = {"photo": "RGB", "cutout": "RGBA", "gray": "L", "palette": "RGB", "print": "RGB", "deep": "L",
                "rotated": "RGB", "tagged": "RGB"}
    for stem, mode in expected.items():
        img = Image.open(out / f"{stem}.png")
        size = (60, 82) if stem == "rotated" else (82, 60)  # EXIF rotation applied first
        assert (img.size, img.mode) == (size, mode), stem
    alpha = np.asarray(Image.open(out / "cutout.png").getchannel("A"))
    assert alpha[:, 0].max() < 20
    assert alpha[:, -1].min() > 235
    assert Image.open(out / "tagged.png").info.get("icc_profile") == icc


def test_bad_inputs_are_reported_and_the_rest_are_done(tmp_path, model_path):
    good = tmp_path / "good.png"
    Image.fromarray(photo_like(20, 20)).save(good)
    (tmp_path / "notes.png").write_text("not an image")
    big = tmp_path / "big.png"
    Image.fromarray(photo_like(100, 100)).save(big)
    out = tmp_path / "out"
    proc = python("-m", "pipeline.upscale", str(good), str(tmp_path / "notes.png"), str(tmp_path / "missing.jpg"),
                  str(big), "--out", str(out), "--model", str(model_path), "--max-pixels", "5000", check=False)
    assert proc.returncode == 1
    err = proc.stderr
    assert f"{tmp_path / 'notes.png'}: not an image" in err
    assert f"{tmp_path / 'missing.jpg'}: no such file" in err
    assert f"{big}: 100x100 = 10000 pixels exceeds the cap of 5000" in err
    assert "3 of 4 inputs failed" in err
    assert "1 of 4 written: 0.00 output MP in " in err  # 40 x 40 = 1,600 pixels out
    assert Image.open(out / "good.png").size == (40, 40)
    assert sorted(p.name for p in out.iterdir()) == ["good.png"]


def test_single_input_may_name_the_output_file(tmp_path, model_path):
    src = tmp_path / "x.jpg"
    Image.fromarray(photo_like(12, 10)).save(src)
    python("-m", "pipeline.upscale", str(src), "--out", str(tmp_path / "big.png"), "--model", str(model_path))
    assert Image.open(tmp_path / "big.png").size == (20, 24)


def test_missing_model_names_it(tmp_path):
    proc = python("-m", "pipeline.upscale", str(tmp_path), "--out", str(tmp_path / "o"),
                  "--model", str(tmp_path / "nope.keras"), check=False)
    assert proc.returncode == 2
    assert "nope.keras: no such model" in proc.stderr


def test_python_api_takes_and_returns_pil_images(model_path):
    from pipeline.upscale import Upscaler, load_model

    up = Upscaler(load_model(model_path), tile=8)
    assert up.scale == 2
    rgba = Image.fromarray(photo_like(9, 13)).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.tile(np.linspace(0, 255, 13).astype(np.uint8), (9, 1))))
    out = up.upscale(rgba)
    assert (out.size, out.mode) == ((26, 18), "RGBA")
    gray = up.upscale(Image.fromarray(photo_like(9, 13)).convert("L"))
    assert (gray.size, gray.mode) == ((26, 18), "L")
    cmyk = up.upscale(Image.fromarray(photo_like(9, 13)).convert("CMYK"))
    assert (cmyk.size, cmyk.mode) == ((26, 18), "RGB")


def test_the_file_holds_what_the_python_api_returns_and_a_stopped_one_leaves_nothing(tmp_path, model_path):
    from pipeline.images import decode
    from pipeline.upscale import Upscaler, load_model

    up = Upscaler(load_model(model_path), tile=16)  # several bands per photo
    write_inputs(tmp_path / "in")
    for src in sorted((tmp_path / "in").iterdir()):
        up.save(decode(src), tmp_path / f"{src.stem}.png")
        expected, got = up.upscale(Image.open(src)), Image.open(tmp_path / f"{src.stem}.png")
        assert got.mode == expected.mode, src.name
        assert np.array_equal(np.asarray(got), np.asarray(expected)), src.name

    def stop(tiles):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        up.save(decode(tmp_path / "in" / "photo.jpg"), tmp_path / "stopped.png", stop)
    assert not [p.name for p in tmp_path.iterdir() if "stopped" in p.name]


def test_outputs_are_planned_before_anything_is_written(tmp_path, model_path):
    folder = tmp_path / "dir"
    folder.mkdir()
    Image.fromarray(photo_like(12, 10, 1)).save(folder / "x.jpg")
    Image.fromarray(photo_like(12, 10, 2)).save(folder / "x.png")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    proc = python("-m", "pipeline.upscale", str(folder), "--out", str(folder), "--model", str(model_path),
                  check=False)
    assert proc.returncode == 2
    assert f"{folder / 'x.png'} is an input" in proc.stderr
    assert "nothing was written" in proc.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(photo_like(12, 10, 3)).save(tmp_path / "a" / "x.jpg")
    Image.fromarray(photo_like(12, 10, 4)).save(tmp_path / "b" / "x.jpg")
    proc = python("-m", "pipeline.upscale", str(tmp_path / "a" / "x.jpg"), str(tmp_path / "b" / "x.jpg"),
                  "--out", str(tmp_path / "o"), "--model", str(model_path), check=False)
    assert proc.returncode == 2
    assert f"would all be written to {tmp_path / 'o' / 'x.png'}" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_an_existing_output_is_replaced_only_with_overwrite(tmp_path, model_path):
    src = tmp_path / "p.jpg"
    Image.fromarray(photo_like(12, 10)).save(src)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "p.png").write_text("an older file")
    args = ["-m", "pipeline.upscale", str(src), "--out", str(tmp_path / "out"), "--model", str(model_path)]
    proc = python(*args, check=False)
    assert proc.returncode == 2
    assert "exists; pass --overwrite to replace it" in proc.stderr
    assert (tmp_path / "out" / "p.png").read_text() == "an older file"
    python(*args, "--overwrite")
    assert Image.open(tmp_path / "out" / "p.png").size == (20, 24)


def test_a_hard_link_to_an_input_is_still_the_input(tmp_path, model_path):
    src = tmp_path / "p.png"
    Image.fromarray(photo_like(12, 10)).save(src)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "p.png").hardlink_to(src)
    proc = python("-m", "pipeline.upscale", str(src), "--out", str(tmp_path / "out"), "--model", str(model_path),
                  "--overwrite", check=False)
    assert proc.returncode == 2
    assert "is an input" in proc.stderr
    assert Image.open(src).size == (10, 12)


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "{src}"], "is a file; give a folder"),
    (["--out", "{tmp}/o", "--tile", "16", "--overlap", "-3"], "--overlap -3: must be at least 0"),
    (["--out", "{tmp}/o", "--tile", "-1"], "--tile -1: must be at least 0"),
])
def test_argument_errors_are_stated_before_any_work(tmp_path, model_path, args, message):
    src = tmp_path / "photo.jpg"
    Image.fromarray(photo_like(12, 10)).save(src)
    args = [a.format(src=src, tmp=tmp_path) for a in args]
    proc = python("-m", "pipeline.upscale", str(src), *args, "--model", str(model_path), check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert Image.open(src).size == (10, 12)
