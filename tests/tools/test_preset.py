"""Presets: every shipped one is valid params, and what a run needs is checked before it starts."""

from __future__ import annotations

import shutil

import pytest

from pipeline.params import ParamsError
from pipeline.tools import preset
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
