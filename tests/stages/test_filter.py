"""The filter stage on a corpus of every kind of bad (and good) input."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from tests.support.images import bomb_png, distinct_photo
from tests.support.models import tiny_params, write_params
from tests.support.sandbox import python


def make_corpus(folder: Path) -> dict[str, str]:
    """Write the corpus into folder; return {file name: expected reason ('' = kept)}."""
    folder.mkdir(parents=True)
    def photo(seed: int, h: int = 96, w: int = 128) -> Image.Image:
        return Image.fromarray(distinct_photo(h, w, seed))

    photo(1).save(folder / "good.jpg", quality=95)
    photo(2).save(folder / "good.png")
    photo(3).save(folder / "good.webp", quality=95)
    photo(4).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    gray16 = np.asarray(photo(5).convert("L")).astype(np.uint16) * 257
    Image.fromarray(gray16).save(folder / "gray16.png")
    exif = Image.Exif()
    exif[0x0112] = 6
    photo(6, 80, 120).save(folder / "rotated.jpg", exif=exif.tobytes(), quality=95)
    pal = photo(7).convert("P")
    pal.save(folder / "palette_alpha.png", transparency=int(np.asarray(pal)[0, 0]))
    frames = [photo(8 + i) for i in range(3)]
    frames[0].save(folder / "animated.gif", save_all=True, append_images=frames[1:], duration=100)
    (folder / "bomb.png").write_bytes(bomb_png())
    good = (folder / "good.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (folder / "zero.png").write_bytes(b"")
    (folder / "page.jpg").write_text("<!doctype html><title>not a photo</title>")
    shutil.copy(folder / "good.png", folder / "z_exact_copy.png")
    photo(1).resize((96, 72), Image.Resampling.LANCZOS).save(folder / "resized_copy.png")
    Image.open(folder / "good.png").save(folder / "reencoded_copy.jpg", quality=60)
    Image.new("RGB", (128, 96), (120, 130, 140)).save(folder / "flat.png")
    photo(9).filter(ImageFilter.GaussianBlur(8)).save(folder / "blurred.png")
    photo(10, 24, 24).save(folder / "small.png")
    graphic = np.zeros((96, 128, 3), np.uint8)  # sharp stripes in three flat colours
    graphic[:, ::4] = (255, 0, 0)
    graphic[::6, :] = (0, 0, 255)
    Image.fromarray(graphic).save(folder / "graphic.png")
    photo(11, 48, 64).resize((128, 96), Image.Resampling.NEAREST).save(folder / "doubled.png")
    return {
        "good.jpg": "", "good.png": "", "good.webp": "", "cmyk.jpg": "", "gray16.png": "",
        "rotated.jpg": "", "palette_alpha.png": "alpha", "animated.gif": "animated",
        "bomb.png": "bomb", "truncated.jpg": "undecodable", "zero.png": "undecodable",
        "page.jpg": "undecodable", "z_exact_copy.png": "duplicate", "resized_copy.png": "duplicate",
        "reencoded_copy.jpg": "duplicate", "flat.png": "low_detail", "blurred.png": "low_detail",
        "small.png": "too_small", "graphic.png": "few_colors", "doubled.png": "upscaled",
    }


def run_filter(tmp_path: Path, raw: Path, **filter_params) -> tuple[dict[str, dict], dict, Path]:
    params = write_params(tmp_path / "params.yaml", tiny_params(filter={"max_pixels": 10_000_000, **filter_params}))
    out, summary = tmp_path / "filtered", tmp_path / "filter.json"
    python("-m", "pipeline.stages.filter", str(raw), str(out), str(summary), "--params", str(params))
    rows = {r["file"]: r for r in csv.DictReader((out / "report.csv").open())}
    return rows, json.loads(summary.read_text()), out


def test_every_input_gets_the_expected_verdict(tmp_path):
    expected = make_corpus(tmp_path / "raw" / "images")
    rows, summary, out = run_filter(tmp_path, tmp_path / "raw")
    assert {name: rows[name]["reason"] for name in rows} == expected
    for name, reason in expected.items():
        assert rows[name]["verdict"] == ("kept" if not reason else "rejected")
        assert reason == "" or rows[name]["detail"]
    # Of the duplicates, the largest copy is kept (ties: first name) and the others point at it.
    kept = {n for n, r in rows.items() if r["verdict"] == "kept"}
    for name in ("z_exact_copy.png", "resized_copy.png", "reencoded_copy.jpg"):
        assert rows[name]["duplicate_of"] in kept
    assert rows["doubled.png"]["detail"] == ("every 2x2 block is one colour: a 64x48 image blown up 2x "
                                             "by nearest-neighbour")
    assert rows["rotated.jpg"]["width"] == "80"
    assert rows["rotated.jpg"]["height"] == "120"
    assert all((out / split).is_dir() for split in ("train", "val", "test"))  # even if empty
    written = sorted(p.name for p in out.glob("*/*.png"))
    # good.jpg, good.png and good.webp share a stem: the PNG keeps it, the others add theirs.
    assert written == sorted(f"{n}.png" if n in ("good.jpg", "good.webp") else f"{Path(n).stem}.png" for n in kept)
    for p in out.glob("*/*.png"):
        assert Image.open(p).mode == "RGB"
    assert summary["inputs"] == len(expected)
    assert summary["kept"] == len(kept)
    assert summary["rejected_duplicate"] == 3
    assert summary["rejected_undecodable"] == 3


def test_params_switch_grayscale_and_alpha_handling(tmp_path):
    expected = make_corpus(tmp_path / "raw" / "images")
    rows, _, _ = run_filter(tmp_path, tmp_path / "raw", grayscale="reject", alpha="composite")
    assert rows["gray16.png"]["reason"] == "grayscale"
    assert rows["palette_alpha.png"]["verdict"] == "kept"
    assert len(rows) == len(expected)


def test_outputs_are_byte_identical_across_runs(tmp_path):
    make_corpus(tmp_path / "raw" / "images")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _, _, out_a = run_filter(tmp_path / "a", tmp_path / "raw")
    _, _, out_b = run_filter(tmp_path / "b", tmp_path / "raw")
    files_a = sorted(p.relative_to(out_a) for p in out_a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(out_b) for p in out_b.rglob("*") if p.is_file())
    for rel in files_a:
        assert (out_a / rel).read_bytes() == (out_b / rel).read_bytes()


def test_inputs_sharing_a_stem_are_both_kept(tmp_path):
    raw = tmp_path / "raw" / "images"
    raw.mkdir(parents=True)
    Image.fromarray(distinct_photo(96, 128, 1)).save(raw / "x.png")
    Image.fromarray(distinct_photo(96, 128, 2)).save(raw / "x.bmp")
    rows, summary, out = run_filter(tmp_path, tmp_path / "raw", val_fraction=0.0, test_fraction=0.0)
    assert summary["kept"] == 2
    assert sorted(p.name for p in out.glob("*/*.png")) == ["x.bmp.png", "x.png"]


def test_a_file_name_that_is_not_utf8_is_reported(tmp_path):
    raw = tmp_path / "raw" / "images"
    raw.mkdir(parents=True)
    name = os.fsdecode(b"caf\xe9.png")  # Latin-1 bytes: not valid UTF-8
    Image.fromarray(distinct_photo(96, 128, 3)).save(raw / name)
    (raw / "ok.png").write_bytes((raw / name).read_bytes()[:100])
    rows, summary, out = run_filter(tmp_path, tmp_path / "raw")
    assert set(rows) == {"caf\\xe9.png", "ok.png"}
    assert rows["caf\\xe9.png"]["verdict"] == "kept"
    assert summary["kept"] == 1
