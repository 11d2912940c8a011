"""Training past one process, on the real engine: two MultiWorkerMirroredStrategy workers on
127.0.0.1, and mixed precision (slow on a CPU, but the same code path as on a GPU)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from pipeline.imaging.images import load_rgb, save_png
from pipeline.imaging.resize import downscale
from scraper.sample import LIBRARIES, library_folder
from tests.support.models import tiny_params, write_params
from tests.support.sandbox import python

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Two photos to train on and one to validate on, laid out as the train stage reads them."""
    root = tmp_path_factory.mktemp("data")
    for split, names in {"train": ["astronaut.png", "coffee.png"], "val": ["chelsea.png"]}.items():
        for name in names:
            hr = load_rgb(library_folder(LIBRARIES[0]) / name)[:128, :160]
            save_png(hr, root / "hr" / split / name)
            save_png(downscale(hr, 2, "matlab"), root / "lr" / split / name)
    return root


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def train_args(data, out, params) -> list[str]:
    return ["-m", "pipeline.stages.train", str(data / "lr"), str(data / "hr"), str(out / "models"), str(out / "live"),
            str(out / "charts"), "--checkpoint", str(out / "ckpt"), "--params", str(params)]


def weights(path) -> list[np.ndarray]:
    import keras

    return keras.models.load_model(path).get_weights()


def test_two_workers_train_like_one_process_with_the_same_global_batch(tmp_path, folders, isolated_env):
    params = write_params(tmp_path / "params.yaml", tiny_params(train={"batch_size": 8, "epochs": 2,
                                                                       "steps_per_epoch": 4}))
    python(*train_args(folders, tmp_path / "single", params), cwd=tmp_path, env=isolated_env)

    # Run where dvclive finds a DVC root of the test's own (it writes signal files there),
    # not the checkout's: as two workers sharing one checkout would.
    repo = tmp_path / "repo"
    (repo / ".dvc").mkdir(parents=True)
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    workers = []
    for index in range(2):
        task = {"type": "worker", "index": index}
        env = {**isolated_env, "TF_CONFIG": json.dumps({"cluster": cluster, "task": task})}
        workers.append(subprocess.Popen([sys.executable, *train_args(folders, tmp_path / f"w{index}", params)],
                                        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    deadline = time.monotonic() + 180
    try:
        outputs = [w.communicate(timeout=max(1, deadline - time.monotonic()))[0] for w in workers]
    finally:
        for w in workers:  # bounded: never leave a worker waiting for its peer
            if w.poll() is None:
                w.kill()
    for w, out in zip(workers, outputs, strict=True):
        assert w.returncode == 0, out[-3000:]
    assert "MultiWorkerMirroredStrategy with cluster_spec" in outputs[0]
    assert "with 2 replicas" in outputs[0]
    assert "this worker writes no dvclive logs" in outputs[1]
    assert "writes no dvclive logs" not in outputs[0]

    # The chief wrote everything; the other worker wrote nothing where DVC would look.
    assert (tmp_path / "w0" / "models" / "model.keras").is_file()
    assert (tmp_path / "w0" / "live" / "metrics.json").is_file()
    assert not (tmp_path / "w1").exists()

    single, multi = weights(tmp_path / "single" / "models" / "model.keras"), weights(tmp_path / "w0" / "models" /
                                                                                      "model.keras")
    # The same patches and the same mean gradient, summed in another order: float rounding only.
    assert max(float(np.abs(a - b).max()) for a, b in zip(single, multi, strict=True)) < 1e-4
    val = [json.loads((tmp_path / d / "live" / "metrics.json").read_text())["best/val_psnr_y"]
           for d in ("single", "w0")]
    assert abs(val[0] - val[1]) < 0.05


def test_mixed_precision_trains_and_exports_a_float32_model(tmp_path, folders, isolated_env):
    scores = {}
    for mode in ("off", "on"):
        params = write_params(tmp_path / f"{mode}.yaml", tiny_params(train={"mixed_precision": mode, "epochs": 2,
                                                                            "steps_per_epoch": 6}))
        python(*train_args(folders, tmp_path / mode, params), cwd=tmp_path, env=isolated_env)
        scores[mode] = json.loads((tmp_path / mode / "live" / "metrics.json").read_text())["best/val_psnr_y"]
    code = ("import keras, numpy as np, sys; m = keras.models.load_model(sys.argv[1]); "
            "print(m.inputs[0].dtype, m.outputs[0].dtype, m(np.zeros((1, 8, 8, 3), 'float32')).dtype.name, "
            "{l.dtype_policy.name for l in m.layers})")
    # Plain Keras, no project code on the path: the exported model is float32 through and through.
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "on" / "models" / "model.keras")],
                          env={"PATH": os.environ["PATH"], "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True,
                          text=True, check=True)
    assert proc.stdout.split()[:3] == ["float32", "float32", "float32"]
    assert "mixed_float16" not in proc.stdout
    assert abs(scores["on"] - scores["off"]) < 0.3
