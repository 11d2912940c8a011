"""The router: its file checked, its tree read, each photo run by the network it names or
by bicubic, and a shipped router loaded with the networks it needs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from pipeline.imaging.resize import pillow_resize
from pipeline.imaging.wear import FEATURES
from pipeline.upscaling.routing import BICUBIC, BicubicEngine, Route, RoutedEngine, Tree, load_route
from tests.support.images import photo_like

NOISE = FEATURES.index("noise")


def route_file(tmp_path, **change) -> object:
    """A router over networks a and b: a below noise 3 (predicted +1.0 / +0.2 dB), b above
    (-1.0 / +0.8); a leaf of gains under the margin past noise 40."""
    raw = {"format": 1, "features": list(FEATURES), "experts": ["a", "b"], "margin_db": 0.05,
           "tree": {"feature": [NOISE, 0, NOISE, 0, 0], "threshold": [3.0, -2.0, 40.0, -2.0, -2.0],
                    "left": [1, -1, 3, -1, -1], "right": [2, -1, 4, -1, -1],
                    "value": [[0, 0], [1.0, 0.2], [0, 0], [-1.0, 0.8], [0.01, -0.5]]},
           "fitted": {"crops": 3}}
    for key, value in change.items():
        (raw["tree"] if key in raw["tree"] else raw)[key] = value
    path = tmp_path / "r.route.json"
    path.write_text(json.dumps(raw))
    return path


def test_the_tree_picks_the_best_network_or_bicubic_under_the_margin(tmp_path):
    route = load_route(route_file(tmp_path))
    x = np.zeros(len(FEATURES))
    assert route.decide(x) == ("a", {"a": 1.0, "b": 0.2})
    x[NOISE] = 10
    assert route.decide(x)[0] == "b"
    x[NOISE] = 50
    assert route.decide(x)[0] == BICUBIC  # +0.01 dB is no reason to run a network
    assert route.to_json()["tree"] == json.loads(route_file(tmp_path).read_text())["tree"]


@pytest.mark.parametrize(("change", "says"), [
    ({"format": 2}, "format 2"),
    ({"features": ["noise"]}, "refit it"),
    ({"left": [1, -1, 0, -1, -1]}, "node 2 points outside"),   # a loop back to the root
    ({"value": [[0, 0], [1.0], [0, 0], [0, 0], [0, 0]]}, "leaf 1 holds 1 gains"),
    ({"experts": ["a", "bicubic"]}, "not 'bicubic'"),
    ({"threshold": [3.0]}, "different lengths"),
])
def test_a_bad_router_file_is_refused_naming_the_file_and_the_fault(tmp_path, change, says):
    path = route_file(tmp_path, **change)
    with pytest.raises(ValueError, match=says) as e:
        load_route(path)
    assert str(path) in str(e.value)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a router file"):
        load_route(path)


def test_bicubic_bands_join_into_the_whole_image_result():
    img = photo_like(75, 41)
    calls = []
    out = BicubicEngine(2, lambda h, w: 3, band_rows=16).super_resolve(img, calls.append)
    assert np.array_equal(out, pillow_resize(img, (150, 82)))
    assert calls == [3]  # the tiles a network would have taken: progress ends where it would


def test_each_photo_runs_through_the_network_its_wear_names(tmp_path):
    from pipeline.training.model import build_model
    from pipeline.upscaling.tiles import TileEngine
    from tests.support.models import tiny_model_params, with_random_weights

    engines = {n: TileEngine(with_random_weights(build_model(tiny_model_params(), 2), seed), tile=32)
               for seed, n in enumerate("ab")}
    said = []
    routed = RoutedEngine(load_route(route_file(tmp_path)), engines, said.append)
    smooth = pillow_resize(photo_like(12, 12, seed=1), (48, 40))      # no noise: a
    noisy = np.clip(smooth + np.random.default_rng(0).normal(0, 15, smooth.shape), 0, 255).astype(np.uint8)
    assert np.array_equal(routed.super_resolve(smooth), engines["a"].super_resolve(smooth))
    assert np.array_equal(routed.super_resolve(noisy), engines["b"].super_resolve(noisy))
    assert said[0].startswith("routed to a")
    assert said[1].startswith("routed to b")
    assert routed.scale == 2
    assert routed.tiles(48, 40) == engines["a"].tiles(48, 40)
    with pytest.raises(ValueError, match=r"needs the networks \['b'\]"):
        RoutedEngine(load_route(route_file(tmp_path)), {"a": engines["a"]})


def test_a_route_names_its_choice_for_an_image_through_its_features():
    route = Route(("a",), Tree((0,), (0.0,), (-1,), (-1,), ((0.3,),)), 0.05, {})
    assert route.choose(photo_like(20, 20))[0] == "a"
    cautious = Route(("a",), route.tree, 0.5, {})  # +0.3 dB predicted does not clear 0.5
    assert cautious.choose(photo_like(20, 20))[0] == BICUBIC


def test_a_shipped_model_with_a_router_file_loads_as_that_router(tmp_path, monkeypatch, capsys):
    """A release folder holding networks a and b and b.route.json: `b` runs as the router over
    both (its own network loaded once), b.keras by path runs alone, a broken router file stops
    the tool naming it."""
    import pipeline.upscaling.models as models
    from pipeline.upscaling.routing import RoutedEngine as Routed
    from pipeline.upscaling.tiles import TileEngine
    from pipeline.upscaling.upscaler import Upscaler
    from tests.support.models import tiny_model

    release = tmp_path / "release"
    release.mkdir()
    for seed, name in enumerate("ab"):
        tiny_model(release / f"{name}.keras", seed=seed)
    (release / "b.route.json").write_text(route_file(tmp_path).read_text())
    monkeypatch.setattr(models, "RELEASE", release)
    loaded = models.load_or_exit("b", "upscale")
    assert "routing each photo to a or b or bicubic by b.route.json" in capsys.readouterr().err
    assert loaded.experts["b"] is loaded.model
    assert isinstance(loaded.engine(), Routed)
    assert isinstance(models.load(models.choose(str(release / "b.keras"))).engine(), TileEngine)
    out = Upscaler(loaded, tile=16).process(Image.fromarray(photo_like(20, 24)))
    assert out.size == (48, 40)
    (release / "b.route.json").write_text('{"format": 1}')
    with pytest.raises(SystemExit) as stop:
        models.load_or_exit("b", "upscale")
    assert stop.value.code == 2
    assert "b.route.json: not a router file" in capsys.readouterr().err
