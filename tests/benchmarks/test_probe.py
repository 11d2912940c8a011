"""The probe tooling: its photos, its commands, and the table rows it is read by."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.compare import rows
from benchmarks.probe import commands
from benchmarks.probe_photos import MOON, copy_photos
from pipeline.imaging.images import load_rgb, save_png
from tests.support.images import photo_like


def summary(gain: float, below: int, worst: float, bicubic: float = 30.0) -> dict:
    return {"gain": gain, "worse_than_bicubic": below, "worst_gain": worst, "bicubic": bicubic}


def test_rows_keep_the_benchmarks_order_and_subtract_the_reference():
    a = {"noise 5": summary(2.0, 0, 0.5), "clean (MATLAB bicubic)": summary(1.5, 1, -0.2, 34.11)}
    b = {"clean (MATLAB bicubic)": summary(1.62, 0, 0.1, 34.11), "grey noise 10": summary(2.9, 0, 1.0)}
    table = rows([a, b], ["v7", "probe"])
    assert table[0] == "| input made by | bicubic (dB) | v7 | probe | probe - v7 |"
    assert table[2] == "| clean (MATLAB bicubic) | 34.11 | +1.50; 1; -0.20 | +1.62; 0; +0.10 | +0.12 |"
    assert table[3] == "| noise 5 | 30.00 | +2.00; 0; +0.50 |  |  |"  # worn before unseen, as run
    assert table[4] == "| grey noise 10 | 30.00 |  | +2.90; 0; +1.00 |  |"


def test_every_probe_result_has_its_own_name_and_all_run_in_bfloat16(tmp_path):
    todo = commands("m.keras", "x", tmp_path / "val", tmp_path / "test")
    assert list(todo) == ["worn_inputs_x", "worn_val_x", "unseen_wear_test_x", "unseen_wear_val_x", "nearest_phase_x"]
    assert all(argv[argv.index("--precision") + 1] == "bfloat16" for argv in todo.values())
    assert str(tmp_path / "val") in todo["worn_val_x"]
    assert str(tmp_path / "test") in todo["worn_inputs_x"]


def test_probe_photos_are_the_run_s_val_and_test_plus_moon_and_never_mixed_into_a_folder(tmp_path):
    ws = tmp_path / "ws"
    for split, n in (("val", 2), ("test", 1)):
        (ws / "data" / "hr" / split).mkdir(parents=True)
        for i in range(n):
            save_png(photo_like(32, 32, i), ws / "data" / "hr" / split / f"{split}{i}.png")
    (ws / "data" / "raw" / "images").mkdir(parents=True)
    save_png(photo_like(40, 40, 5), ws / "data" / "raw" / "images" / MOON)
    assert copy_photos(ws, tmp_path / "out") == {"val": 3, "test": 1}
    assert np.array_equal(load_rgb(tmp_path / "out" / "val" / MOON), photo_like(40, 40, 5))
    with pytest.raises(FileExistsError):
        copy_photos(ws, tmp_path / "out")
