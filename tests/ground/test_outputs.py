"""Writing results: atomic, never through a planted link, never over what is not ours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.dataset.splits import SPLIT_PNGS
from pipeline.imaging.images import save_png
from pipeline.outputs import atomic_path, reset_folder, unique_names, write_json
from tests.support.images import photo_like
from tests.support.models import tiny_params, write_params
from tests.support.sandbox import python


def test_a_planted_symlink_at_the_temp_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / "out").mkdir()
    # The temp name the writer used to choose by rule: a symlink there redirected the write.
    (tmp_path / "out" / ".x.png.partial").symlink_to(victim)
    save_png(photo_like(8, 8), tmp_path / "out" / "x.png")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out" / "x.png").stat().st_size > 0


def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path):
    target = tmp_path / "report.json"
    write_json({"v": 1}, target)
    def killed_while_writing():
        with atomic_path(target) as tmp:
            tmp.write_text('{"v": 2, "trunc')
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        killed_while_writing()
    assert target.read_text() == '{\n  "v": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_outputs_get_ordinary_permissions(tmp_path):
    write_json({}, tmp_path / "a.json")
    assert (tmp_path / "a.json").stat().st_mode & 0o644 == 0o644


def test_unique_names_never_collide():
    paths = [Path("x.png"), Path("x.bmp"), Path("x.bmp.png"), Path("y.jpg"), Path("d/y.jpg")]
    names = unique_names(paths, ".png")
    assert len(set(names.values())) == len(paths)
    assert names[Path("y.jpg")] != names[Path("d/y.jpg")]
    assert unique_names([Path("a.jpg"), Path("b.png")], ".png") == {Path("a.jpg"): "a.png", Path("b.png"): "b.png"}


@pytest.mark.parametrize("where", ["same", "inside", "contains"])
def test_an_output_folder_overlapping_an_input_is_refused(tmp_path, where):
    src = tmp_path / "in"
    (src / "train").mkdir(parents=True)
    save_png(photo_like(8, 8), src / "train" / "a.png")
    out = {"same": src, "inside": src / "sub", "contains": tmp_path}[where]
    with pytest.raises(SystemExit, match=r"refusing to use as an output folder: it (is|contains|is inside) the input"):
        reset_folder(out, SPLIT_PNGS, inputs=[src])
    assert (src / "train" / "a.png").is_file()


def test_a_folder_holding_foreign_files_is_not_emptied(tmp_path, monkeypatch):
    out = tmp_path / "hr"
    (out / "train").mkdir(parents=True)
    save_png(photo_like(8, 8), out / "train" / "old.png")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="it holds notes.txt, which this stage does not write"):
        reset_folder(out, SPLIT_PNGS)
    (out / "notes.txt").unlink()
    assert reset_folder(out, SPLIT_PNGS) == out  # only old outputs: emptied
    assert list(out.iterdir()) == []
    monkeypatch.chdir(out)
    with pytest.raises(SystemExit, match="current folder"):
        reset_folder(Path("."), SPLIT_PNGS)


def test_stages_refuse_to_delete_their_input_or_the_current_folder(tmp_path):
    params = write_params(tmp_path / "params.yaml", tiny_params())
    same = tmp_path / "same"
    (same / "train").mkdir(parents=True)
    save_png(photo_like(40, 40), same / "train" / "a.png")
    proc = python("-m", "pipeline.stages.crop", str(same), str(same), "--params", str(params), check=False)
    assert proc.returncode != 0
    assert "refusing to use as an output folder: it is the input" in proc.stderr
    assert (same / "train" / "a.png").is_file()

    work = tmp_path / "work"
    work.mkdir()
    (work / "thesis.tex").write_text("years of work")
    proc = python("-m", "pipeline.stages.scrape", ".", "--params", str(params), cwd=work, check=False)
    assert proc.returncode != 0
    assert "current folder" in proc.stderr
    assert (work / "thesis.tex").read_text() == "years of work"


def test_json_is_stable_and_finite(tmp_path):
    write_json({"b": float("inf"), "a": [np.float64(1.5).item()]}, tmp_path / "x.json")
    assert (tmp_path / "x.json").read_text() == '{\n  "a": [\n    1.5\n  ],\n  "b": null\n}\n'
