"""The upscale command on every kind of photo a user has, whole folder trees and bad inputs:
formats, metadata, colour profiles, planning, resuming and being stopped."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

from pipeline.imaging import colour
from pipeline.imaging.metadata import exif_summary, has_thumbnail
from pipeline.imaging.quality import psnr_y
from pipeline.imaging.resize import downscale
from pipeline.tools.upscale import main
from tests.support.images import camera_jpeg, photo_like, smooth_field, write_photo_modes
from tests.support.sandbox import REPO, call, python


def upscale(capsys, *args) -> tuple[int, str]:
    """`python -m pipeline.upscale ARGS` in this process: (exit status, stderr)."""
    status, _, err = call(main, capsys, *args)
    return status, err


def xmp_text(img: Image.Image) -> str:
    """The XMP packet a result carries, as text (PNG keeps it in an iTXt chunk, JPEG and WebP as bytes)."""
    xmp = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp")
    return xmp.decode() if isinstance(xmp, bytes) else xmp


def test_every_mode_round_trips_at_twice_the_size(tmp_path, model_path):
    """The one run in a process of its own: the command as a user types it."""
    icc = write_photo_modes(tmp_path / "in")
    out = tmp_path / "out"
    proc = python("-m", "pipeline.upscale", str(tmp_path / "in"), "--out", str(out), "--model", str(model_path),
                  "--tile", "16")
    assert proc.returncode == 0
    assert "8 done, 0 skipped, 0 failed" in proc.stderr
    expected = {"photo.jpg": "RGB", "cutout.png": "RGBA", "gray.png": "L", "palette.png": "RGB", "print.jpg": "RGB",
                "deep.png": "L", "rotated.jpg": "RGB", "tagged.png": "RGB"}
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)  # each kept its format
    for name, mode in expected.items():
        img = Image.open(out / name)
        size = (60, 82) if name == "rotated.jpg" else (82, 60)  # EXIF rotation applied first
        assert (img.size, img.mode) == (size, mode), name
    alpha = np.asarray(Image.open(out / "cutout.png").getchannel("A"))
    assert alpha[:, 0].max() < 20
    assert alpha[:, -1].min() > 235
    assert Image.open(out / "tagged.png").info.get("icc_profile") == icc


def test_a_camera_jpeg_keeps_every_tag_but_orientation_and_comes_out_upright(tmp_path, model_path, capsys):
    src = camera_jpeg(tmp_path / "IMG_0001.JPG", orientation=6, thumbnail=True)
    before = exif_summary(Image.open(src).info["exif"])
    assert has_thumbnail(Image.open(src).info["exif"])
    status, _ = upscale(capsys, src, "--out", tmp_path / "out", "--model", model_path)
    assert status == 0
    result = Image.open(tmp_path / "out" / "IMG_0001.jpg")
    assert result.format == "JPEG"
    assert result.size == (2 * 40, 2 * 60)  # 60 x 40 stored, turned upright, doubled
    after = exif_summary(result.info["exif"])
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed == {"Orientation", "ExifImageWidth", "ExifImageHeight", "XResolution", "YResolution"}
    assert (after["Orientation"], after["ExifImageWidth"], after["ExifImageHeight"]) == (1, 80, 120)
    for tag in ("Make", "Model", "DateTime", "DateTimeOriginal", "Copyright", "LensModel", "GPSInfo"):
        assert after[tag] == before[tag], tag
    assert after["XResolution"] == 2 * before["XResolution"]  # same print size, twice the pixels
    assert not has_thumbnail(result.info["exif"])               # it showed the old picture
    assert 'tiff:Orientation="1"' in result.info["xmp"].decode()
    assert result.info["dpi"] == (144, 144)
    upright = ImageOps.exif_transpose(Image.open(src)).resize((80, 120), Image.Resampling.BICUBIC)
    assert np.abs(np.asarray(result, float) - np.asarray(upright, float)).mean() < 8  # the untrained model is bicubic


def test_a_phone_s_avif_is_read_with_its_metadata_and_written_upright_as_png(tmp_path, model_path, capsys):
    """AVIF (what phones and the web now hand out) is read, not written: `auto` makes it a PNG."""
    camera = Image.open(camera_jpeg(tmp_path / "cam.jpg", orientation=6))
    camera.save(tmp_path / "IMG_0002.avif", exif=camera.info["exif"], xmp=camera.info["xmp"], quality=95)
    status, _ = upscale(capsys, tmp_path / "IMG_0002.avif", "--out", tmp_path / "out", "--model", model_path)
    assert status == 0
    result = Image.open(tmp_path / "out" / "IMG_0002.png")
    assert (result.format, result.size) == ("PNG", (2 * 40, 2 * 60))  # turned upright, doubled
    after = exif_summary(result.info["exif"])
    assert (after["Orientation"], after["Make"], after["GPSInfo"]["GPSLatitudeRef"]) == (1, "Canon", "N")
    assert "photographer" in xmp_text(result)


@pytest.mark.parametrize(("fmt", "suffix", "extra"), [("webp", ".webp", ["--quality", "90"]), ("png", ".png", []),
                                                       ("jpeg", ".jpg", ["--quality", "80"])])
def test_each_format_round_trips_pixels_and_metadata(tmp_path, model_path, capsys, fmt, suffix, extra):
    src = camera_jpeg(tmp_path / "p.jpg", orientation=1)
    status, _ = upscale(capsys, src, "--out", tmp_path / "o", "--format", fmt, *extra, "--model", model_path)
    assert status == 0
    result = Image.open(tmp_path / "o" / f"p{suffix}")
    result.load()
    assert result.format == {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[fmt]
    assert result.size == (120, 80)
    assert exif_summary(result.info["exif"])["Make"] == "Canon"
    assert exif_summary(result.info["exif"])["GPSInfo"]["GPSLatitudeRef"] == "N"
    assert "photographer" in xmp_text(result)
    reference = Image.open(tmp_path / "o" / f"p{suffix}") if fmt == "png" else None
    if reference is not None:  # lossless: exactly what the model made
        status, _ = upscale(capsys, src, "--out", tmp_path / "o2", "--format", "png", "--strip-metadata",
                            "--model", model_path)
        assert np.array_equal(np.asarray(Image.open(tmp_path / "o2" / "p.png")), np.asarray(reference))


def test_strip_metadata_writes_none(tmp_path, model_path, capsys):
    src = camera_jpeg(tmp_path / "p.jpg", orientation=6)
    assert upscale(capsys, src, "--out", tmp_path / "o", "--strip-metadata", "--model", model_path)[0] == 0
    result = Image.open(tmp_path / "o" / "p.jpg")
    assert result.size == (80, 120)  # still upright: the rotation is in the pixels
    assert not result.info.get("exif")
    assert not result.info.get("xmp")
    assert not result.info.get("icc_profile")


def test_the_out_suffix_picks_the_format_and_a_contradiction_is_refused(tmp_path, model_path, capsys):
    src = camera_jpeg(tmp_path / "p.jpg", orientation=1)
    assert upscale(capsys, src, "--out", tmp_path / "big.webp", "--model", model_path)[0] == 0
    assert Image.open(tmp_path / "big.webp").format == "WEBP"
    status, err = upscale(capsys, src, "--out", tmp_path / "x.png", "--format", "jpeg", "--model", model_path)
    assert status == 2
    assert f"--out {tmp_path / 'x.png'} asks for PNG by its suffix, --format for JPEG" in err
    status, err = upscale(capsys, src, "--out", tmp_path / "y.png", "--quality", "80", "--model", model_path)
    assert status == 2
    assert "quality applies to JPEG and WebP" in err


def test_what_a_format_cannot_hold_is_refused_before_any_work(tmp_path, model_path, capsys):
    Image.new("RGB", (8200, 16), "white").save(tmp_path / "wide.png")   # 16,400 pixels wide once doubled
    Image.fromarray(photo_like(20, 20)).convert("RGBA").save(tmp_path / "cut.png")
    Image.fromarray(photo_like(20, 20)).save(tmp_path / "ok.png")
    status, err = upscale(capsys, tmp_path / "wide.png", tmp_path / "cut.png", tmp_path / "ok.png", "--out",
                          tmp_path / "o", "--format", "webp", "--model", model_path)
    assert status == 1
    assert f"{tmp_path / 'wide.png'}: a 16400x32 result is larger than WEBP holds (16383 pixels a side)" in err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["cut.webp", "ok.webp"]
    status, err = upscale(capsys, tmp_path / "cut.png", "--out", tmp_path / "j", "--format", "jpeg",
                          "--model", model_path)
    assert status == 1
    assert "it has transparency, which JPEG cannot hold" in err


def profiled_jpeg(path, icc: bytes, mode: str = "RGB"):
    Image.fromarray(photo_like(30, 40, 2)).convert(mode).save(path, icc_profile=icc, quality=95)
    return path


def test_colour_profiles_are_kept_converted_or_dropped_and_every_output_reads_back(tmp_path, model_path, capsys):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    huge = srgb + b"\0" * 1_200_000  # a valid profile padded past Pillow's 1 MB PNG limit
    cmyk = srgb[:16] + b"CMYK" + srgb[20:]  # says CMYK, holds an RGB transform: no conversion possible
    (tmp_path / "in").mkdir()
    profiled_jpeg(tmp_path / "in" / "huge.jpg", huge)
    profiled_jpeg(tmp_path / "in" / "garbage.jpg", b"not a colour profile at all" * 10)
    profiled_jpeg(tmp_path / "in" / "rgb.jpg", srgb)
    profiled_jpeg(tmp_path / "in" / "press.jpg", cmyk, "CMYK")
    Image.fromarray(photo_like(30, 40, 3)).convert("L").save(tmp_path / "in" / "gray.png", icc_profile=srgb)
    status, err = upscale(capsys, tmp_path / "in", "--out", tmp_path / "png", "--format", "png",
                          "--model", model_path)
    assert status == 0
    assert "huge.jpg: the 1172 KB colour profile is too large for PNG: colours converted to sRGB" in err
    assert "garbage.jpg: an unreadable colour profile was dropped" in err
    assert "press.jpg: its colour profile does not convert this CMYK photo" in err
    assert "gray.png: a RGB colour profile cannot describe a gray result: dropped" in err
    for path in sorted((tmp_path / "png").iterdir()):
        with Image.open(path) as img:
            img.load()  # Pillow reads back every file the tool wrote
            assert img.size == (80, 60), path
    info = {p.stem: Image.open(p).info for p in (tmp_path / "png").iterdir()}
    assert info["huge"]["icc_profile"] == colour.srgb()  # converted: the fixed-date sRGB profile
    assert info["rgb"]["icc_profile"] == srgb
    assert "icc_profile" not in info["garbage"]
    assert "icc_profile" not in info["press"]  # never a CMYK profile on RGB pixels
    assert "icc_profile" not in info["gray"]
    assert upscale(capsys, tmp_path / "in" / "huge.jpg", "--out", tmp_path / "j", "--model", model_path)[0] == 0
    assert Image.open(tmp_path / "j" / "huge.jpg").info["icc_profile"] == huge  # a JPEG holds 16 MB of it


def test_what_an_8_bit_result_cannot_keep_is_said_for_each_file(tmp_path, model_path, capsys):
    """An animation keeps one frame and a 16-bit scan 8 bits: both upscaled, neither in silence."""
    (tmp_path / "in").mkdir()
    frames = [Image.fromarray(photo_like(12, 10, k)) for k in range(3)]
    frames[0].save(tmp_path / "in" / "moving.gif", save_all=True, append_images=frames[1:])
    wide = (np.asarray(Image.fromarray(photo_like(12, 10, 4)).convert("L"), np.uint16) * 257).astype(np.uint16)
    Image.fromarray(wide).save(tmp_path / "in" / "scan.png")
    Image.fromarray(photo_like(12, 10, 5)).save(tmp_path / "in" / "plain.png")
    status, err = upscale(capsys, tmp_path / "in", "--out", tmp_path / "out", "--model", model_path)
    assert status == 0
    assert "3 done, 0 skipped, 0 failed" in err
    assert f"{tmp_path / 'in' / 'moving.gif'}: animated: only the first of 3 frames is upscaled" in err
    assert f"{tmp_path / 'in' / 'scan.png'}: I;16 pixels (a wider type than 8 bits) are written as 8-bit" in err
    assert "plain.png:" not in err
    with Image.open(tmp_path / "out" / "scan.png") as scan:
        assert (scan.mode, scan.size) == ("L", (20, 24))


def test_a_tree_of_folders_is_mirrored_and_what_is_passed_over_is_said(tmp_path, model_path, capsys):
    tree = tmp_path / "albums"
    for k, folder in enumerate(["2023", "2024/spring", "2024/summer"]):
        (tree / folder).mkdir(parents=True)
        Image.fromarray(photo_like(12, 10, k)).save(tree / folder / f"p{k}.png")
    Image.fromarray(photo_like(12, 10, 9)).save(tree / "top.png")
    (tree / "notes.txt").write_text("captions")
    os.mkfifo(tree / "pipe.png")
    (tree / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    status, err = upscale(capsys, tree, "--out", tmp_path / "flat", "--model", model_path)
    assert status == 0
    assert sorted(p.name for p in (tmp_path / "flat").iterdir()) == ["top.png"]
    assert f"skipped {tree / '2023'}/: a folder (--recursive does subfolders)" in err
    assert f"skipped {tree / 'pipe.png'}: a FIFO" in err
    assert f"skipped {tree / 'elsewhere'}: a link to a folder" in err
    assert "skipped 1 file(s) without an image suffix (1 .txt)" in err
    status, err = upscale(capsys, tree, "--out", tmp_path / "out", "--recursive", "--model", model_path)
    assert status == 0
    made = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.png"))
    assert made == ["2023/p0.png", "2024/spring/p1.png", "2024/summer/p2.png", "top.png"]
    assert "4 done, 0 skipped, 0 failed" in err


def test_a_killed_batch_resumes_with_skip_existing_and_redoes_nothing(tmp_path, model_path, capsys):
    folder = tmp_path / "many"
    folder.mkdir()
    for k in range(12):
        Image.fromarray(photo_like(160, 200, k)).save(folder / f"p{k:02d}.png")
    command = [sys.executable, "-m", "pipeline.upscale", str(folder), "--out", str(tmp_path / "out"), "--model",
               str(model_path), "--tile", "32"]
    proc = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((tmp_path / "out").glob("p*.png"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM: finished outputs are kept" in err
    assert "Traceback" not in err
    left = sorted((tmp_path / "out").iterdir())
    assert not [p for p in left if p.name.startswith(".")]  # no partial file
    assert 3 <= len(left) < 12
    for p in left:
        Image.open(p).load()  # each one whole
    finished = {p.name: p.stat().st_mtime_ns for p in left}
    status, err = upscale(capsys, folder, "--out", tmp_path / "out", "--skip-existing", "--model", model_path)
    assert status == 0
    assert f"{12 - len(finished)} done, {len(finished)} skipped ({len(finished)} exists), 0 failed" in err
    assert {p.name: p.stat().st_mtime_ns for p in left} == finished  # not one redone
    assert len(list((tmp_path / "out").iterdir())) == 12


def test_planning_is_linear_in_the_number_of_files(tmp_path, monkeypatch):
    """Counted, not timed: every check is a lookup, so 10 times the files is 10 times the stats."""
    from pipeline.upscaling import batch
    from pipeline.upscaling.formats import Output

    calls = {"n": 0}
    real_stat = os.stat

    def counting_stat(*args, **kwargs):
        calls["n"] += 1
        return real_stat(*args, **kwargs)

    png = io.BytesIO()
    Image.fromarray(photo_like(4, 4)).save(png, format="PNG")
    counts = {}
    for n in (50, 500):
        folder = tmp_path / f"in{n}"
        folder.mkdir()
        for k in range(n):
            (folder / f"{k:04d}.png").write_bytes(png.getvalue())
        (tmp_path / f"out{n}").mkdir()
        for k in range(0, n, 2):  # half the outputs exist already
            (tmp_path / f"out{n}" / f"{k:04d}.png").write_bytes(b"old")
        found = batch.find_inputs([folder])
        monkeypatch.setattr(os, "stat", counting_stat)
        calls["n"] = 0
        items, problems, _ = batch.plan_outputs(found.sources, tmp_path / f"out{n}", Output(), 2, skip_existing=True)
        monkeypatch.setattr(os, "stat", real_stat)
        assert (len(items), problems, sum(i.skip == "exists" for i in items)) == (n, [], n // 2)
        counts[n] = calls["n"]
    assert counts[500] <= 11 * counts[50]


def test_single_input_may_name_the_output_file(tmp_path, model_path, capsys):
    src = tmp_path / "x.jpg"
    Image.fromarray(photo_like(12, 10)).save(src)
    assert upscale(capsys, src, "--out", tmp_path / "big.png", "--model", model_path)[0] == 0
    assert Image.open(tmp_path / "big.png").size == (20, 24)


def test_bad_inputs_are_reported_and_the_rest_are_done(tmp_path, model_path, capsys):
    good = tmp_path / "good.png"
    Image.fromarray(photo_like(20, 20)).save(good)
    (tmp_path / "notes.png").write_text("not an image")
    big = tmp_path / "big.png"
    Image.fromarray(photo_like(100, 100)).save(big)
    out = tmp_path / "out"
    status, err = upscale(capsys, good, tmp_path / "notes.png", big, "--out", out, "--model", model_path,
                          "--max-pixels", "5000")
    assert status == 1
    assert f"{tmp_path / 'notes.png'}: not an image" in err
    assert f"{big}: 100x100 = 10000 pixels exceeds the cap of 5000" in err
    assert "1 done, 0 skipped, 2 failed: 0.00 output MP in " in err  # 40 x 40 = 1,600 pixels out
    assert sorted(p.name for p in out.iterdir()) == ["good.png"]


def test_a_missing_input_or_a_fifo_stops_before_anything_runs(tmp_path, model_path, capsys):
    Image.fromarray(photo_like(20, 20)).save(tmp_path / "good.png")
    os.mkfifo(tmp_path / "pipe.jpg")
    status, err = upscale(capsys, tmp_path / "good.png", tmp_path / "missing.jpg", tmp_path / "pipe.jpg",
                          "--out", tmp_path / "out", "--model", model_path)
    assert status == 2
    assert f"{tmp_path / 'missing.jpg'}: no such file or folder" in err
    assert f"{tmp_path / 'pipe.jpg'}: a FIFO, not a photo" in err
    assert not (tmp_path / "out").exists()


def test_an_unwritable_out_is_found_before_the_model_loads(tmp_path, capsys):
    Image.fromarray(photo_like(20, 20)).save(tmp_path / "good.png")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        status, err = upscale(capsys, tmp_path / "good.png", "--out", locked / "sub", "--model",
                              tmp_path / "no-model-needed.keras")
    finally:
        locked.chmod(0o700)
    if os.geteuid() == 0:  # root writes anywhere: the check is then the model's
        assert status == 2
        return
    assert status == 2
    assert f"--out {locked / 'sub'}: {locked} is not writable" in err
    assert "no such model" not in err


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
    assert f"would both be written to {tmp_path / 'o' / 'x.jpg'}" in err
    assert not (tmp_path / "o").exists()


def test_an_existing_output_is_replaced_only_with_overwrite(tmp_path, model_path, capsys):
    src = tmp_path / "p.png"
    Image.fromarray(photo_like(12, 10)).save(src)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "p.png").write_text("an older file")
    args = [src, "--out", tmp_path / "out", "--model", model_path]
    status, err = upscale(capsys, *args)
    assert status == 2
    assert "exists; pass --overwrite to replace it, or --skip-existing to keep it" in err
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
    (["--out", "{tmp}/notes.txt"], "is a file; give a folder"),
    (["--out", "{tmp}/o", "--tile", "16", "--overlap", "-3"], "--overlap -3: must be at least 0"),
    (["--out", "{tmp}/o", "--tile", "-1"], "--tile -1: must be at least 0"),
    (["--out", "{tmp}/o", "--quality", "0", "--format", "jpeg"], "quality 0: must be 1 to 100"),
    (["--out", "{tmp}/o", "--overwrite", "--skip-existing"], "--overwrite and --skip-existing: choose one"),
])
def test_argument_errors_are_stated_before_any_work(tmp_path, model_path, args, message, capsys):
    src = tmp_path / "photo.jpg"
    Image.fromarray(photo_like(12, 10)).save(src)
    (tmp_path / "notes.txt").write_text("x")
    args = [a.format(src=src, tmp=tmp_path) for a in args]
    status, err = upscale(capsys, src, *args, "--model", model_path)
    assert status == 2
    assert message in err
    assert "Traceback" not in err
    assert Image.open(src).size == (10, 12)


def test_a_nearest_made_input_gains_from_naming_its_program(tmp_path, capsys):
    """`--nearest-input pillow` on what Pillow's nearest made: better than leaving it where the
    network assumes it is, and naming the other program is worse than either; `unknown` lies
    between leaving it and naming the program (the shipped photo model, the one meant for
    such inputs)."""
    hr = smooth_field(160, 192, seed=3, cells=16)
    Image.fromarray(downscale(hr, 2, "nearest")).save(tmp_path / "small.png")
    scores = {}
    for option in ([], ["--nearest-input", "pillow"], ["--nearest-input", "opencv"], ["--nearest-input", "unknown"]):
        out = tmp_path / f"out{len(scores)}.png"
        status, _ = upscale(capsys, tmp_path / "small.png", "--out", out, "--model", "photo", *option)
        assert status == 0
        scores[" ".join(option)] = psnr_y(np.asarray(Image.open(out)), hr, 2)
    assert scores["--nearest-input pillow"] > scores[""] + 1.0, scores
    assert scores["--nearest-input opencv"] < scores[""], scores
    assert scores[""] < scores["--nearest-input unknown"] < scores["--nearest-input pillow"], scores


def test_nearest_input_takes_only_a_known_program(tmp_path, capsys):
    Image.fromarray(photo_like(20, 24)).save(tmp_path / "small.png")
    status, err = upscale(capsys, tmp_path / "small.png", "--out", tmp_path / "out", "--nearest-input", "gimp")
    assert status == 2
    assert "--nearest-input: invalid choice: 'gimp'" in err
    assert not (tmp_path / "out").exists()
