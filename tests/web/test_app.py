"""The web server's HTTP API, through FastAPI's TestClient with a small (or slowed) model."""

from __future__ import annotations

import io
import time
from urllib.parse import unquote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from pipeline.tools.upscale import main as upscale_main
from pipeline.upscaling.inference import load_model
from pipeline.upscaling.upscaler import Upscaler
from pipeline.web.app import Limits, create_app
from tests.support.images import encoded, photo_like
from tests.support.sandbox import call


class SlowUpscaler(Upscaler):
    """The real upscaler, slowed down between tile batches, so a test can watch a job run."""

    delay_s = 0.15

    def result_bands(self, d, progress=None, to_srgb=False):
        def slow(tiles: int) -> None:
            time.sleep(self.delay_s * tiles)
            if progress:
                progress(tiles)

        return super().result_bands(d, slow, to_srgb)


@pytest.fixture(scope="module")
def model(model_path):
    return load_model(model_path)


def client_for(upscaler: Upscaler, **limits) -> TestClient:
    return TestClient(create_app(upscaler, Limits(**limits)))


def png(h: int, w: int, seed: int = 0) -> bytes:
    return encoded(photo_like(h, w, seed), "PNG")


def upload(client: TestClient, data: bytes, name: str = "photo.png", **form):
    return client.post("/api/jobs", files={"file": (name, data, "application/octet-stream")}, data=form)


def wait(client: TestClient, job_id: str, until=("done", "failed", "cancelled"), timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = client.get(f"/api/jobs/{job_id}").json()
        if state["status"] in until:
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {state['status']}")


def test_a_photo_comes_back_twice_as_large_with_the_cli_s_bytes(tmp_path, model, model_path, capsys):
    with client_for(Upscaler(model)) as client:
        r = upload(client, png(30, 41), "holiday photo.png")
        assert r.status_code == 202
        job = r.json()
        assert r.headers["location"] == f"/api/jobs/{job['id']}"
        assert set(job) == {"id", "status", "position"}
        state = wait(client, job["id"])
        assert state["status"] == "done"
        assert state["input"] == {"width": 41, "height": 30}
        assert state["output"]["width"] == 82
        result = client.get(f"/api/jobs/{job['id']}/result")
        assert result.status_code == 200
        assert result.headers["content-type"] == "image/png"
        assert unquote(result.headers["content-disposition"]).endswith("holiday photo_2x.png")
        assert Image.open(io.BytesIO(result.content)).size == (82, 60)
        before = client.get(f"/api/jobs/{job['id']}/input")
        assert Image.open(io.BytesIO(before.content)).size == (41, 30)

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "holiday photo.png").write_bytes(png(30, 41))
    assert call(upscale_main, capsys, tmp_path / "in", "--out", tmp_path / "out", "--model", model_path)[0] == 0
    assert (tmp_path / "out" / "holiday photo.png").read_bytes() == result.content


def test_progress_advances_and_the_time_left_shrinks(model):
    with client_for(SlowUpscaler(model, tile=8, batch=1)) as client:
        job = upload(client, png(40, 40)).json()
        seen = []
        deadline = time.monotonic() + 60
        while (state := client.get(f"/api/jobs/{job['id']}").json())["status"] != "done":
            assert state["status"] in ("queued", "running") and time.monotonic() < deadline, state
            if state["status"] == "running":
                seen.append((state["tiles_done"], state["eta_s"]))
            time.sleep(0.1)
        assert state["tiles_total"] == 25
        done = [t for t, _ in seen]
        assert done == sorted(done)
        assert len(set(done)) > 3  # it was watched moving
        etas = [e for t, e in seen if t > 0]  # from the job's own pace, once it has one
        assert etas[-1] < etas[0]


def test_a_running_job_is_cancelled_and_its_files_deleted(model):
    with client_for(SlowUpscaler(model, tile=8, batch=1)) as client:
        queue = client.app.state.queue
        job = upload(client, png(40, 40)).json()
        wait(client, job["id"], until=("running",))
        folder = queue.jobs[job["id"]].folder
        assert client.get(f"/api/jobs/{job['id']}/result").status_code == 409
        assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
        assert client.get(f"/api/jobs/{job['id']}").status_code == 404
        deadline = time.monotonic() + 5
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not folder.exists()
        # The worker stopped within a tile or two and moved on to the next job.
        after = upload(client, png(12, 12)).json()
        assert wait(client, after["id"])["status"] == "done"


def test_a_full_queue_is_refused_with_retry_after(model):
    with client_for(SlowUpscaler(model, tile=8, batch=1), queue=1) as client:
        first = upload(client, png(40, 40)).json()
        wait(client, first["id"], until=("running",))
        second = upload(client, png(40, 40, 1))
        assert second.status_code == 202
        assert second.json()["position"] == 1
        third = upload(client, png(40, 40, 2))
        assert third.status_code == 503
        assert int(third.headers["retry-after"]) >= 1
        assert "queue is full" in third.json()["detail"]
        client.delete(f"/api/jobs/{first['id']}")
        client.delete(f"/api/jobs/{second.json()['id']}")


def test_bad_requests_get_clear_answers_and_the_server_keeps_serving(model):
    with client_for(Upscaler(model), max_upload_mb=0.05, max_input_mp=0.01) as client:
        assert client.post("/api/jobs", data={"self_ensemble": "false"}).status_code == 400
        empty = upload(client, b"", "empty.png")
        assert (empty.status_code, empty.json()["detail"]) == (400, "empty.png: the file is empty")
        text = upload(client, b"just some notes", "notes.txt")
        assert text.status_code == 415
        assert text.json()["detail"].startswith("notes.txt: not an image in an allowed format")
        whole = encoded(photo_like(60, 60), "JPEG")
        cut = upload(client, whole[: len(whole) // 2], "cut.jpg")
        assert cut.status_code == 415
        assert cut.json()["detail"].startswith("cut.jpg: cannot decode")
        big = upload(client, png(100, 150), "big.png")
        assert (big.status_code, big.json()["detail"]) == (413, "big.png: 150x100 = 0.015 MP; limit 0.01 MP")
        heavy = upload(client, np.random.default_rng(0).bytes(120_000), "heavy.png")
        assert heavy.status_code == 413
        assert heavy.json()["detail"] == "the upload is 0.1 MB; the limit is 0.05 MB"
        assert upload(client, png(20, 20), self_ensemble="maybe").status_code == 422
        for method, path in [("get", "/api/jobs/nope"), ("get", "/api/jobs/nope/result"),
                             ("get", "/api/jobs/nope/input"), ("delete", "/api/jobs/nope")]:
            assert getattr(client, method)(path).status_code == 404
        frames = [Image.fromarray(photo_like(20, 20, k)) for k in range(3)]
        buf = io.BytesIO()
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
        animated = upload(client, buf.getvalue(), "moving.gif")
        assert animated.status_code == 202
        state = wait(client, animated.json()["id"])
        assert state["warning"] == "animated: only the first of 3 frames was upscaled"
        assert client.get("/healthz").json()["status"] == "ok"


def test_self_ensemble_jobs_use_the_ensemble(model):
    with client_for(Upscaler(model)) as client:
        plain = upload(client, png(20, 20)).json()
        ens = upload(client, png(20, 20), self_ensemble="true").json()
        assert wait(client, ens["id"])["self_ensemble"] is True
        wait(client, plain["id"])
        a = client.get(f"/api/jobs/{plain['id']}/result").content
        b = client.get(f"/api/jobs/{ens['id']}/result").content
        assert Image.open(io.BytesIO(a)).size == Image.open(io.BytesIO(b)).size == (40, 40)


def test_the_page_limits_and_api_description(model):
    with client_for(Upscaler(model)) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert '<input id="files" type="file" multiple' in page.text
        assert "http" not in page.text.replace("http-equiv", "")  # no third-party assets
        limits = client.get("/api/limits").json()
        assert limits["max_upload_mb"] == 50
        assert limits["scale"] == 2
        assert "JPEG" in limits["formats"]
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/result", "/api/jobs/{job_id}/input",
                "/api/limits", "/healthz"} <= set(paths)
        assert "delete" in paths["/api/jobs/{job_id}"]
