"""Which model a tool runs: every tool takes --model and, for a file that is not a model,
says which and exits 2 before any other work."""

from __future__ import annotations

import pytest

from pipeline.tools import showcase, testsets, upscale
from pipeline.web import serve
from tests.support.sandbox import call


@pytest.mark.parametrize(("tool", "main", "args"), [
    ("upscale", upscale.main, ["{tmp}", "--out", "{tmp}/o"]),
    ("testsets", testsets.main, ["{tmp}"]),
    ("showcase", showcase.main, ["--hr", "{tmp}", "--lr", "{tmp}", "--out", "{tmp}/x.png"]),
    ("serve", serve.main, []),
])
@pytest.mark.parametrize(("model", "says"), [("nope.keras", "no such model"), ("notes.keras", "not a model")])
def test_a_missing_or_broken_model_is_named_and_nothing_runs(tmp_path, capsys, tool, main, args, model, says):
    (tmp_path / "notes.keras").write_text("not a model")
    args = [a.format(tmp=tmp_path) for a in args]
    status, _, err = call(main, capsys, *args, "--model", tmp_path / model)
    assert status == 2
    assert err.startswith(f"{tool}: ")
    assert f"{tmp_path / model}: {says}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()
    assert not (tmp_path / "x.png").exists()
