"""The train stage as a process: two logical CPUs, and a run stopped midway that resumes to the same file."""

from __future__ import annotations

import pytest

from tests.support.models import tiny_params, write_params
from tests.support.sandbox import python


def test_two_logical_cpus_train_with_mirrored_strategy(tmp_path, crop_folders, isolated_env):
    params = write_params(tmp_path / "params.yaml", tiny_params())
    env = {**isolated_env, "SUPERSIZER_CPU_DEVICES": "2"}
    proc = python("-m", "pipeline.stages.train", str(tmp_path / "lr"), str(tmp_path / "hr"), str(tmp_path / "models"),
                  str(tmp_path / "live"), str(tmp_path / "charts"), "--checkpoint", str(tmp_path / "ckpt"),
                  "--params", str(params), cwd=tmp_path, env=env)
    assert "MirroredStrategy with 2 replicas" in proc.stderr
    assert (tmp_path / "models" / "model.keras").is_file()
    assert (tmp_path / "models" / "savedmodel" / "saved_model.pb").is_file()


@pytest.mark.slow  # three train processes: 78 s beside a training run
def test_the_stage_stopped_midway_resumes_to_the_same_model_file(tmp_path, crop_folders, isolated_env):
    params = write_params(tmp_path / "params.yaml", tiny_params(train={"epochs": 3}))

    def stage(models: str, *extra: str, check: bool = True):
        return python("-m", "pipeline.stages.train", str(tmp_path / "lr"), str(tmp_path / "hr"), str(tmp_path / models),
                      str(tmp_path / f"{models}-live"), str(tmp_path / f"{models}-charts"), "--checkpoint",
                      str(tmp_path / f"{models}-ckpt"), "--params", str(params), *extra, cwd=tmp_path,
                      env=isolated_env, check=check)

    stage("whole")
    stopped = stage("resumed", "--stop-after", "1", check=False)
    assert stopped.returncode != 0
    assert "stopped after epoch 1 of 3; run again to resume" in stopped.stderr
    assert not (tmp_path / "resumed" / "model.keras").exists()
    assert "resuming after epoch 1 of 3" in stage("resumed").stderr
    assert (tmp_path / "resumed" / "model.keras").read_bytes() == (tmp_path / "whole" / "model.keras").read_bytes()
    live = "metrics.json"
    assert (tmp_path / "resumed-live" / live).read_text() == (tmp_path / "whole-live" / live).read_text()
    for chart in ("loss.png", "val_psnr_y.png", "lr.png"):  # the curves as images, the same bytes
        assert (tmp_path / "resumed-charts" / chart).read_bytes() == (tmp_path / "whole-charts" / chart).read_bytes()
