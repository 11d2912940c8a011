"""Deepening a trained model: the same output from more blocks, the new blocks trainable,
and a refusal, naming the cause, for a target that exists or a model it cannot deepen."""

from __future__ import annotations

import numpy as np

from pipeline.tools.deepen import block_count, main
from pipeline.upscaling.inference import load_model
from tests.support.images import photo_like
from tests.support.models import tiny_model


def test_the_deeper_model_computes_what_the_source_did(tmp_path, capsys):
    source_path = tiny_model(tmp_path / "two.keras", seed=3, blocks=2)
    source = load_model(source_path)
    # A trained model's last convs are not zero: move every weight but the frozen bicubic skip.
    rng = np.random.default_rng(0)
    source.set_weights([w + rng.normal(0, 0.05, w.shape).astype(w.dtype) if "skip" not in v.path else w
                        for v, w in zip(source.weights, source.get_weights(), strict=True)])
    source.save(source_path)
    assert main([str(source_path), str(tmp_path / "five.keras"), "--blocks", "5"]) == 0
    assert "5 blocks" in capsys.readouterr().out
    deeper = load_model(tmp_path / "five.keras")
    assert (block_count(source), block_count(deeper)) == (2, 5)
    lr = photo_like(19, 23)[None].astype(np.float32) / 255
    assert np.allclose(deeper(lr), source(lr), atol=1e-6)
    assert not np.allclose(source(lr), tiny_model(seed=3, blocks=2)(lr), atol=1e-3)  # not the untrained one
    assert any(np.abs(w).sum() > 0 for w in deeper.get_layer("block5_conv1").get_weights())
    assert main([str(source_path), str(tmp_path / "again.keras"), "--blocks", "5"]) == 0
    assert (tmp_path / "again.keras").read_bytes() == (tmp_path / "five.keras").read_bytes()


def test_it_refuses_an_existing_target_and_a_shallower_count(tmp_path, capsys):
    source = tiny_model(tmp_path / "two.keras", blocks=2)
    (tmp_path / "taken.keras").write_bytes(b"mine")
    assert main([str(source), str(tmp_path / "taken.keras"), "--blocks", "4"]) == 2
    assert "exists; not replaced" in capsys.readouterr().err
    assert (tmp_path / "taken.keras").read_bytes() == b"mine"
    assert main([str(source), str(tmp_path / "one.keras"), "--blocks", "2"]) == 2
    assert "has 2 blocks already" in capsys.readouterr().err
    assert not (tmp_path / "one.keras").exists()
    assert main([str(tmp_path / "gone.keras"), str(tmp_path / "x.keras"), "--blocks", "4"]) == 2
    assert "gone.keras" in capsys.readouterr().err
    assert main([str(source), str(tmp_path / "no" / "dir.keras"), "--blocks", "4"]) == 2
    assert "dir.keras: cannot write" in capsys.readouterr().err
