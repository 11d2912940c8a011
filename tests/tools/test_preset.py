"""Presets: every shipped one is valid params, and what a run needs is checked before it starts."""

from __future__ import annotations

import shutil

import pytest

from pipeline.params import ParamsError
from pipeline.tools import preset, ship
from tests.support.sandbox import REPO


@pytest.mark.parametrize("name", sorted(p.stem for p in preset.PRESETS.glob("*.yaml")))
def test_each_preset_is_valid_params(name):
    _, whole, values = preset.load_preset(name, need_folders=False)  # the photos are not in a clean clone
    assert whole["description"].strip()
    assert values


def test_the_photo_preset_fine_tunes_a_model_that_is_in_the_repo():
    init = preset.load_preset("photo", need_folders=False)[2]["train.init"]
    assert (preset.PRESETS.parent / init).is_file()


def test_a_missing_starting_model_stops_the_preset_before_the_run(tmp_path, monkeypatch):
    (tmp_path / "tune.yaml").write_text("description: x\nset:\n  train.init: models/init/gone.keras\n")
    monkeypatch.setattr(preset, "PRESETS", tmp_path)
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(REPO / "params.yaml", "params.yaml")
    with pytest.raises(ParamsError, match=r"tune.yaml: train.init='models/init/gone.keras': no such model"):
        preset.load_preset("tune")
    (tmp_path / "bad.yaml").write_text("description: x\nset:\n  train.init: ../elsewhere.keras\n")
    with pytest.raises(ParamsError, match=r"bad.yaml: train.init='../elsewhere.keras' is not a .keras file"):
        preset.load_preset("bad")


def test_a_probe_s_run_ships_under_a_release_name_only_when_both_set_the_same_values(tmp_path, monkeypatch):
    (tmp_path / "photo.yaml").write_text("description: x\nset:\n  train.lr: 0.0002\n  train.epochs: 4\n")
    (tmp_path / "probe.yaml").write_text("description: y\nextends: photo\nset:\n  train.epochs: 8\n")
    (tmp_path / "twin.yaml").write_text("description: z\nset:\n  train.epochs: 4\n  train.lr: 0.0002\n")
    monkeypatch.setattr(preset, "PRESETS", tmp_path)
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(REPO / "params.yaml", "params.yaml")
    assert ship.same_values("photo", "twin") is None
    assert ship.same_values("photo", "probe") == ("presets/probe.yaml and presets/photo.yaml differ on "
                                                  "train.epochs (8 against 4)")
    (tmp_path / "photo.yaml").write_text("description: x\nset:\n  train.lr: 0.0002\n")
    assert "train.epochs (4 against 'unset')" in ship.same_values("photo", "twin")
    card = {"name": "photo", "run": {"preset": "twin"}}
    assert ship.ran_as(card) == "; it ran as `presets/twin.yaml`, which then set the same values"
    assert ship.ran_as({"name": "photo", "run": {"preset": "photo"}}) == ""
