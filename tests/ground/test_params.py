"""params.yaml is read and checked in one place; each kind of mistake names the key."""

from __future__ import annotations

import pytest
import yaml

from pipeline.params import ParamsError, Train, load_params, parse_params, with_overrides
from tests.support.models import tiny_params, write_params
from tests.support.sandbox import REPO, python


def test_repo_params_load_typed():
    p = load_params(REPO / "params.yaml")
    assert isinstance(p.train, Train)
    assert isinstance(p.scrape.start_urls, tuple)
    assert isinstance(p.train.lr, float)
    assert p.crop.side % p.base.scale == 0


@pytest.mark.parametrize(("section", "key", "value", "message"), [
    ("train", "loss", "foo", "train.loss='foo' is not one of mae, mse, charbonnier"),
    ("train", "epochs", "ten", "train.epochs='ten' must be an integer"),
    ("train", "epochs", 0, "train.epochs=0 is outside 1..inf"),
    ("train", "lr", True, "train.lr=True must be a number"),
    ("base", "scale", 5, "base.scale=5 is not one of 2, 3, 4"),
    ("crop", "side", 33, "crop.side=33 is not a multiple of base.scale=2"),
    ("crop", "mode", "random", "crop.mode='random' is not one of whole, tiles, center, seed"),
    ("scrape", "start_urls", "https://example.org", "scrape.start_urls='https://example.org' must be a list of str"),
    ("scrape", "start_urls", ["ftp://example.org"], "scrape.start_urls='ftp://example.org' must start with"),
    ("filter", "test_fraction", 0.9, "plus filter.val_fraction=0.15 leaves no training images"),
    ("downscale", "jpeg_quality", [90, 10], "downscale.jpeg_quality=[90, 10] must be [] (off) or [low, high]"),
    ("model", "kernel_size", 4, "model.kernel_size=4 must be odd"),
    ("train", "patch_size", 20, "train.patch_size=20 times base.scale=2 exceeds filter.min_side=32"),
])
def test_bad_values_name_the_key(section, key, value, message):
    raw = tiny_params(**{section: {key: value}})
    with pytest.raises(ParamsError) as e:
        parse_params(raw, "params.yaml")
    assert message in str(e.value)
    assert str(e.value).startswith("params.yaml: ")


@pytest.mark.parametrize(("section", "key", "value", "message"), [
    ("filter", "val_fraction", float("nan"), "filter.val_fraction=nan must be a finite number"),
    ("filter", "min_detail", float("nan"), "filter.min_detail=nan must be a finite number"),
    ("scrape", "timeout_s", float("inf"), "scrape.timeout_s=inf must be a finite number"),
    ("base", "seed", -1, "base.seed=-1 is outside 0..4294967295"),
    ("base", "seed", 2**80, f"base.seed={2**80} is outside 0..4294967295"),
    ("model", "filters", 10**9, "model.filters=1000000000 is outside 1..1024"),
    ("train", "batch_size", 10**9, "train.batch_size=1000000000 is outside 1..4096"),
    ("model", "kernel_size", 1000001, "model.kernel_size=1000001 is outside 1..15"),
    ("scrape", "queries", [5], "scrape.queries[0]=5 must be a non-empty string"),
    ("scrape", "sample", "yes", "scrape.sample='yes' must be true or false"),
    ("scrape", "sample", False, "scrape has no source: set scrape.sample: true, scrape.folders, scrape.start_urls "
                                     "or scrape.queries"),
])
def test_holes_that_were_open_are_closed(section, key, value, message):
    raw = tiny_params(**{section: {key: value}})
    with pytest.raises(ParamsError) as e:
        parse_params(raw, "params.yaml")
    assert str(e.value) == f"params.yaml: {message}"


def test_yaml_exponent_floats_are_numbers(tmp_path):
    """YAML 1.1 (PyYAML) reads `1e-3` as a string; DVC's parser (YAML 1.2) as a float, and so do we."""
    path = write_params(tmp_path / "params.yaml", tiny_params())
    path.write_text(path.read_text().replace("lr: 0.002", "lr: 1e-3").replace("jpeg_twice: 0.0", "jpeg_twice: 5E-1"))
    p = load_params(path)
    assert p.train.lr == 0.001
    assert p.downscale.jpeg_twice == 0.5
    assert p.scrape.search_api.startswith("https://")  # strings that merely contain an e stay strings


def test_no_param_is_named_like_dvc_hash_metadata():
    """DVC drops keys named `size`/`nfiles` from its run-cache key at any depth: a param so
    named would let `dvc repro` restore outputs made with another value of it."""
    def keys(node):
        for k, v in node.items():
            yield k
            if isinstance(v, dict):
                yield from keys(v)
    names = set(keys(yaml.safe_load((REPO / "params.yaml").read_text())))
    assert not names & {"size", "nfiles"}


def test_crops_must_hold_a_patch():
    raw = tiny_params(crop={"mode": "tiles"}, filter={"min_side": 128}, train={"patch_size": 40})
    with pytest.raises(ParamsError, match="train.patch_size=40 times base.scale=2 exceeds crop.side=32"):
        parse_params(raw)


def test_unknown_and_missing_keys():
    raw = tiny_params(train={"los": "mae"})
    with pytest.raises(ParamsError, match=r"train\.los='mae' is not a known key; train takes loss, finish_loss"):
        parse_params(raw)
    raw = tiny_params()
    del raw["train"]["loss"]
    with pytest.raises(ParamsError, match=r"train\.loss is missing"):
        parse_params(raw)
    raw = tiny_params()
    raw["extra"] = {}
    with pytest.raises(ParamsError, match="section 'extra' is not known"):
        parse_params(raw)


def test_unreadable_file(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("train: [unclosed")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(bad)
    with pytest.raises(ParamsError, match="cannot read"):
        load_params(tmp_path / "absent.yaml")


def test_a_duplicate_key_is_an_error_naming_it_and_both_lines(tmp_path):
    text = (REPO / "params.yaml").read_text()
    assert "\n  lr: 0.002" in text
    bad = tmp_path / "params.yaml"
    bad.write_text(text.replace("\n  lr: 0.002", "\n  lr: 0.004\n  lr: 0.002", 1))
    line = next(i for i, x in enumerate(bad.read_text().splitlines(), 1) if x.startswith("  lr: 0.002"))
    with pytest.raises(ParamsError, match=rf"params.yaml:{line}: duplicate key train.lr \(first at line {line - 1}\)"):
        load_params(bad)


@pytest.mark.parametrize("levels", [7, 9])
def test_an_alias_bomb_is_refused_at_once_with_a_short_message(tmp_path, levels):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, levels)]
    bad = tmp_path / "params.yaml"
    bad.write_text((REPO / "params.yaml").read_text() + "\n".join(lines) + "\n")
    with pytest.raises(ParamsError) as caught:  # refused before it is built: level 9 is 387 million values
        load_params(bad)
    assert "a5 expands to more than 100000 values" in str(caught.value)
    assert len(str(caught.value)) < 200


def test_a_recursive_alias_and_a_huge_bad_value_give_short_errors(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text((REPO / "params.yaml").read_text() + "loop: &loop [1, *loop]\n")
    with pytest.raises(ParamsError, match="contains itself"):
        load_params(bad)
    raw = tiny_params(scrape={"queries": [7] * 50_000})
    with pytest.raises(ParamsError) as caught:
        parse_params(raw)
    assert "scrape.queries" in str(caught.value)
    assert len(str(caught.value)) < 300


def test_a_stage_stops_with_the_error(tmp_path):
    params = write_params(tmp_path / "params.yaml", tiny_params(train={"loss": "foo"}))
    proc = python("-m", "pipeline.stages.crop", str(tmp_path / "in"), str(tmp_path / "out"),
                  "--params", str(params), check=False)
    assert proc.returncode != 0
    assert "train.loss='foo' is not one of mae, mse, charbonnier" in proc.stderr
    assert yaml.safe_load(params.read_text())["train"]["loss"] == "foo"


def test_overrides_are_validated_like_the_file():
    p = load_params(REPO / "params.yaml")
    q = with_overrides(p, {"train.lr": 0.004, "model.blocks": 3})
    assert (q.train.lr, q.model.blocks, q.train.loss) == (0.004, 3, p.train.loss)
    with pytest.raises(ParamsError, match="override: train.lr=2.0 is outside 0..1"):
        with_overrides(p, {"train.lr": 2.0})
    with pytest.raises(ParamsError, match="no such section.key"):
        with_overrides(p, {"nothing": 1})


def test_search_space_keys_and_dimensions_are_checked():
    raw = tiny_params(search={"space": {"train.nope": {"log": [0.1, 1.0]}}})
    with pytest.raises(ParamsError, match="search.space.train.nope is not a params key"):
        parse_params(raw)
    raw = tiny_params(search={"space": {"train.lr": {"log": [0.1, 1.0], "choice": [1]}}})
    with pytest.raises(ParamsError, match="give exactly one of log, uniform, int, choice"):
        parse_params(raw)
    raw = tiny_params(search={"objective": "test.gain_db"})
    with pytest.raises(ParamsError, match="search.objective='test.gain_db' is not one of val.gain_db"):
        parse_params(raw)
