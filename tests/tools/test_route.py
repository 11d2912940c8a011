"""`python -m pipeline.route`: crops measured with real networks, a router file that loads,
its samples kept and refitted without measuring again."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from pipeline.imaging.wear import FEATURES
from pipeline.tables import read_table
from pipeline.tools.route import main
from pipeline.upscaling.routing import load_route
from tests.support.images import photo_like
from tests.support.models import tiny_model
from tests.support.sandbox import call


def test_a_router_is_fitted_from_measured_crops_and_refitted_from_its_samples(tmp_path, capsys):
    hr = tmp_path / "val"
    hr.mkdir()
    for k in range(4):
        Image.fromarray(photo_like(96, 128, seed=k)).save(hr / f"p{k}.png")
    (hr / "broken.png").write_bytes(b"not a png")
    a, b = tiny_model(tmp_path / "a.keras", seed=0), tiny_model(tmp_path / "b.keras", seed=1)
    out, samples = tmp_path / "r.route.json", tmp_path / "s.csv"
    args = [hr, "--experts", a, b, "--crops", 8, "--crop", 48, "--min-leaf", 4, "--depth", 2, "--out", out,
            "--samples", samples]
    status, printed, err = call(main, capsys, *args)
    assert status == 0, err
    assert "skipping" in err
    assert "broken.png" in err
    table = read_table(samples)
    assert len(table) == 32
    assert list(table.columns) == ["crop", *FEATURES, f"gain_{a}", f"gain_{b}"]
    assert np.isfinite(table[list(FEATURES)].to_numpy()).all()
    route = load_route(out)
    assert route.experts == (str(a), str(b))
    summary = route.fitted["on_val_crops"]
    assert summary["crops"] == 32
    assert summary["images"] == 4
    assert sum(summary["choices"].values()) == 32
    # Refit from the samples: no network runs, another depth, the same crops.
    status, _, err = call(main, capsys, *args[:-4], "--depth", 1, "--out", out, "--samples", samples)
    assert status == 0, err
    assert len(json.loads(out.read_text())["tree"]["left"]) <= 3
    status, _, err = call(main, capsys, hr, "--experts", a, "c", "--out", out, "--samples", samples)
    assert status == 2
    assert "no column gain_c" in err
