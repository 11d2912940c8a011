"""The probe tooling, run as its commands: its photos, its five benchmarks, its table rows."""

from __future__ import annotations

import json
import shlex

import numpy as np

from benchmarks.worn_conditions import CONDITIONS
from pipeline.imaging.images import load_rgb, save_png
from tests.support.images import photo_like
from tests.support.sandbox import python

MOON = "32d9e1003c9ab6892e5cfe3478205e68c35ce14a.png"  # as benchmarks/probe_photos.py names it


def summary(gain: float, below: int, worst: float, bicubic: float = 30.0) -> dict:
    return {"gain": gain, "worse_than_bicubic": below, "worst_gain": worst, "bicubic": bicubic}


def test_compare_keeps_the_benchmarks_order_and_subtracts_the_reference(tmp_path):
    a = {"noise 5": summary(2.0, 0, 0.5), "clean (MATLAB bicubic)": summary(1.5, 1, -0.2, 34.11)}
    b = {"clean (MATLAB bicubic)": summary(1.62, 0, 0.1, 34.11), "grey noise 10": summary(2.9, 0, 1.0)}
    for name, scores in (("a", a), ("b", b)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"results": {c: {"m.keras": s} for c, s in scores.items()}}))
    table = python("-m", "benchmarks.compare", f"{tmp_path / 'a.json'}=v7", f"{tmp_path / 'b.json'}=probe"
                   ).stdout.splitlines()
    assert table[0] == "| input made by | bicubic (dB) | v7 | probe | probe - v7 |"
    assert table[2] == "| clean (MATLAB bicubic) | 34.11 | +1.50; 1; -0.20 | +1.62; 0; +0.10 | +0.12 |"
    assert table[3] == "| noise 5 | 30.00 | +2.00; 0; +0.50 |  |  |"  # worn before unseen, as run
    assert table[4] == "| grey noise 10 | 30.00 |  | +2.90; 0; +1.00 |  |"
    missing = python("-m", "benchmarks.compare", f"{tmp_path / 'a.json'}", "zz_no_such_result", check=False)
    assert missing.returncode == 2
    assert "zz_no_such_result: no such result" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_probe_runs_five_benchmarks_in_bfloat16_and_never_reuses_a_committed_name(tmp_path):
    (tmp_path / "val").mkdir()
    (tmp_path / "test").mkdir()
    (tmp_path / "m.keras").write_bytes(b"")
    args = ["-m", "benchmarks.probe", str(tmp_path / "m.keras"), "--val", str(tmp_path / "val"),
            "--test", str(tmp_path / "test"), "--dry-run"]
    lines = python(*args[:3], "zz_unused", *args[3:]).stdout.splitlines()
    assert [line.split("--name ")[1] for line in lines] == [
        "worn_inputs_zz_unused", "worn_val_zz_unused", "unseen_wear_test_zz_unused", "unseen_wear_val_zz_unused",
        "nearest_phase_zz_unused"]
    assert all("--precision bfloat16" in line for line in lines)
    val_only = shlex.split(lines[1])
    val_only = val_only[val_only.index("--only") + 1:val_only.index("--name")]
    assert len(val_only) == 10
    assert set(val_only) <= set(CONDITIONS)  # a renamed condition would fail the val run late
    refused = python(*args[:3], "v7", *args[3:], check=False)  # worn_inputs_v7.json is committed
    assert refused.returncode == 2
    assert "worn_inputs_v7.json exists" in refused.stderr
    assert refused.stdout == ""


def test_probe_photos_are_the_run_s_val_and_test_plus_moon_and_never_mixed_into_a_folder(tmp_path):
    ws = tmp_path / "ws"
    for split, n in (("val", 2), ("test", 1)):
        (ws / "data" / "hr" / split).mkdir(parents=True)
        for i in range(n):
            save_png(photo_like(32, 32, i), ws / "data" / "hr" / split / f"{split}{i}.png")
    (ws / "data" / "raw" / "images").mkdir(parents=True)
    save_png(photo_like(40, 40, 5), ws / "data" / "raw" / "images" / MOON)
    done = python("-m", "benchmarks.probe_photos", str(ws), str(tmp_path / "out"))
    assert "3 val and 1 test photos" in done.stdout
    assert np.array_equal(load_rgb(tmp_path / "out" / "val" / MOON), photo_like(40, 40, 5))
    again = python("-m", "benchmarks.probe_photos", str(ws), str(tmp_path / "out"), check=False)
    assert again.returncode == 2
    assert "exists" in again.stderr
