"""The upscale command on every kind of photo a user has, and on bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline.tools.upscale import main
from tests.support.images import photo_like, write_photo_modes
from tests.support.sandbox import call, python


def upscale(capsys, *args) -> tuple[int, str]:
    """`python -m pipeline.upscale ARGS` in this process: (exit status, stderr)."""
    status, _, err = call(main, capsys, *args)
    return status, err


def test_every_mode_round_trips_at_twice_the_size(tmp_path, model_path):
    """The one run in a process of its own: the command as a user types it."""
    icc = write_photo_modes(tmp_path / "in")
    out = tmp_path / "out"
    proc = python("-m", "pipeline.upscale", str(tmp_path / "in"), "--out", str(out), "--model", str(model_path),
                  "--tile", "16")
    assert proc.returncode == 0
    assert "8 of 8 written" in proc.stderr
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


def test_bad_inputs_are_reported_and_the_rest_are_done(tmp_path, model_path, capsys):
    good = tmp_path / "good.png"
    Image.fromarray(photo_like(20, 20)).save(good)
    (tmp_path / "notes.png").write_text("not an image")
    big = tmp_path / "big.png"
    Image.fromarray(photo_like(100, 100)).save(big)
    out = tmp_path / "out"
    status, err = upscale(capsys, good, tmp_path / "notes.png", tmp_path / "missing.jpg", big, "--out", out,
                          "--model", model_path, "--max-pixels", "5000")
    assert status == 1
    assert f"{tmp_path / 'notes.png'}: not an image" in err
    assert f"{tmp_path / 'missing.jpg'}: no such file" in err
    assert f"{big}: 100x100 = 10000 pixels exceeds the cap of 5000" in err
    assert "3 of 4 inputs failed" in err
    assert "1 of 4 written: 0.00 output MP in " in err  # 40 x 40 = 1,600 pixels out
    assert Image.open(out / "good.png").size == (40, 40)
    assert sorted(p.name for p in out.iterdir()) == ["good.png"]


def test_single_input_may_name_the_output_file(tmp_path, model_path, capsys):
    src = tmp_path / "x.jpg"
    Image.fromarray(photo_like(12, 10)).save(src)
    assert upscale(capsys, src, "--out", tmp_path / "big.png", "--model", model_path)[0] == 0
    assert Image.open(tmp_path / "big.png").size == (20, 24)


def test_outputs_are_planned_before_anything_is_written(tmp_path, model_path, capsys):
    folder = tmp_path / "dir"
    folder.mkdir()
    Image.fromarray(photo_like(12, 10, 1)).save(folder / "x.jpg")
    Image.fromarray(photo_like(12, 10, 2)).save(folder / "x.png")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    status, err = upscale(capsys, folder, "--out", folder, "--model", model_path)
    assert status == 2
    assert f"{folder / 'x.png'} is an input" in err
    assert "nothing was written" in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(photo_like(12, 10, 3)).save(tmp_path / "a" / "x.jpg")
    Image.fromarray(photo_like(12, 10, 4)).save(tmp_path / "b" / "x.jpg")
    status, err = upscale(capsys, tmp_path / "a" / "x.jpg", tmp_path / "b" / "x.jpg", "--out", tmp_path / "o",
                          "--model", model_path)
    assert status == 2
    assert f"would all be written to {tmp_path / 'o' / 'x.png'}" in err
    assert not (tmp_path / "o").exists()


def test_an_existing_output_is_replaced_only_with_overwrite(tmp_path, model_path, capsys):
    src = tmp_path / "p.jpg"
    Image.fromarray(photo_like(12, 10)).save(src)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "p.png").write_text("an older file")
    args = [src, "--out", tmp_path / "out", "--model", model_path]
    status, err = upscale(capsys, *args)
    assert status == 2
    assert "exists; pass --overwrite to replace it" in err
    assert (tmp_path / "out" / "p.png").read_text() == "an older file"
    assert upscale(capsys, *args, "--overwrite")[0] == 0
    assert Image.open(tmp_path / "out" / "p.png").size == (20, 24)


def test_a_hard_link_to_an_input_is_still_the_input(tmp_path, model_path, capsys):
    src = tmp_path / "p.png"
    Image.fromarray(photo_like(12, 10)).save(src)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "p.png").hardlink_to(src)
    status, err = upscale(capsys, src, "--out", tmp_path / "out", "--model", model_path, "--overwrite")
    assert status == 2
    assert "is an input" in err
    assert Image.open(src).size == (10, 12)


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "{src}"], "is a file; give a folder"),
    (["--out", "{tmp}/o", "--tile", "16", "--overlap", "-3"], "--overlap -3: must be at least 0"),
    (["--out", "{tmp}/o", "--tile", "-1"], "--tile -1: must be at least 0"),
])
def test_argument_errors_are_stated_before_any_work(tmp_path, model_path, args, message, capsys):
    src = tmp_path / "photo.jpg"
    Image.fromarray(photo_like(12, 10)).save(src)
    args = [a.format(src=src, tmp=tmp_path) for a in args]
    status, err = upscale(capsys, src, *args, "--model", model_path)
    assert status == 2
    assert message in err
    assert "Traceback" not in err
    assert Image.open(src).size == (10, 12)
