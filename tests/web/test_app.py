"""The embedded web server through FastAPI's TestClient, with a small (or slowed) model: the
API contract, admission before work, options, failure that shows, bounded disk, restarts."""

from __future__ import annotations

import contextlib
import io
import re
import socket
import threading
import time
from urllib.parse import unquote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from pipeline.imaging.metadata import exif_summary
from pipeline.tools.upscale import main as upscale_main
from pipeline.upscaling import recentring
from pipeline.upscaling.inference import load_model
from pipeline.upscaling.tiles import SERVER_BFLOAT16_TILE
from pipeline.upscaling.upscaler import Upscaler
from pipeline.web.app import Limits, ModelOffer
from pipeline.web.serve import embedded
from pipeline.web.serve import main as serve_main
from pipeline.web.service import Retention
from pipeline.web.storage import DiskFull
from tests.support.images import bomb_png, camera_jpeg, encoded, photo_like
from tests.support.models import tiny_model
from tests.support.sandbox import call
from tests.support.services import free_port

NAME = "tiny"


class SlowUpscaler(Upscaler):
    """The real upscaler, slowed down between tile batches, so a test can watch a job run."""

    delay_s = 0.15

    def result_bands(self, d, progress=None, to_srgb=False, nearest_input=None):
        def slow(tiles: int) -> None:
            time.sleep(self.delay_s * tiles)
            if progress:
                progress(tiles)

        return super().result_bands(d, slow, to_srgb, nearest_input)


@pytest.fixture(scope="module")
def model(model_path):
    return load_model(model_path)


def server_for(tmp_path, model, upscaler: Upscaler | None = None, retention: Retention | None = None, **limits):
    """The embedded server (store, files, worker thread) on `tmp_path`, as `python -m pipeline.serve`."""
    server = embedded(tmp_path / "state", str(tmp_path / "state" / "files"), Limits(**limits), retention or Retention(),
                      [ModelOffer(NAME, "the test model")], NAME, {NAME: model})
    if upscaler is not None:
        server.workshop.upscalers[(NAME, False)] = upscaler
    return server


def client_for(tmp_path, model, upscaler=None, **limits) -> TestClient:
    return TestClient(server_for(tmp_path, model, upscaler, **limits).app)


def png(h: int, w: int, seed: int = 0) -> bytes:
    return encoded(photo_like(h, w, seed), "PNG")


def upload(client: TestClient, data: bytes, name: str = "photo.png", **form):
    return client.post("/api/jobs", files={"file": (name, data, "application/octet-stream")}, data=form)


def wait(client: TestClient, job_id: str, until=("done", "failed", "cancelled"), timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = client.get(f"/api/jobs/{job_id}").json()
        if state.get("status") in until:
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {state.get('status')}")


def test_a_photo_comes_back_twice_as_large_with_the_cli_s_bytes(tmp_path, model, model_path, capsys):
    with client_for(tmp_path, model) as client:
        r = upload(client, png(30, 41), "holiday photo.png")
        assert r.status_code == 202
        job = r.json()
        assert r.headers["location"] == f"/api/jobs/{job['id']}"
        assert set(job) == {"id", "status", "position"}
        state = wait(client, job["id"])
        assert state["status"] == "done"
        assert state["input"] == {"width": 41, "height": 30}
        assert (state["output"]["width"], state["output"]["format"], state["model"]) == (82, "png", NAME)
        result = client.get(f"/api/jobs/{job['id']}/result")
        assert result.status_code == 200
        assert result.headers["content-type"] == "image/png"
        assert int(result.headers["content-length"]) == len(result.content) == state["output"]["bytes"]
        assert unquote(result.headers["content-disposition"]).endswith("holiday photo_2x.png\"")
        assert Image.open(io.BytesIO(result.content)).size == (82, 60)
        before = client.get(f"/api/jobs/{job['id']}/input")
        assert Image.open(io.BytesIO(before.content)).size == (41, 30)

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "holiday photo.png").write_bytes(png(30, 41))
    assert call(upscale_main, capsys, tmp_path / "in", "--out", tmp_path / "out", "--model", model_path)[0] == 0
    assert (tmp_path / "out" / "holiday photo.png").read_bytes() == result.content


def test_formats_quality_and_metadata_are_the_cli_s_and_the_download_keeps_the_suffix(tmp_path, model):
    camera = camera_jpeg(tmp_path / "cam.jpg", orientation=6).read_bytes()
    with client_for(tmp_path, model) as client:
        kept = wait(client, upload(client, camera, "cam.jpg").json()["id"])
        assert kept["output"]["format"] == "jpeg"
        answer = client.get(f"/api/jobs/{kept['id']}/result")
        assert answer.headers["content-type"] == "image/jpeg"
        assert unquote(answer.headers["content-disposition"]).endswith('cam_2x.jpg"')
        img = Image.open(io.BytesIO(answer.content))
        assert img.size == (80, 120)  # upright
        assert exif_summary(img.info["exif"])["GPSInfo"]["GPSLatitudeRef"] == "N"
        webp = wait(client, upload(client, camera, "cam.jpg", format="webp", quality="80",
                                   strip_metadata="true").json()["id"])
        answer = client.get(f"/api/jobs/{webp['id']}/result")
        assert (answer.headers["content-type"], webp["quality"], webp["strip_metadata"]) == ("image/webp", 80, True)
        assert unquote(answer.headers["content-disposition"]).endswith('cam_2x.webp"')
        img = Image.open(io.BytesIO(answer.content))
        assert (img.format, img.size) == ("WEBP", (80, 120))
        assert not img.info.get("exif")  # a photo's GPS is private: gone when asked
        assert webp["nearest_input"] is None
        phone = io.BytesIO()  # a phone's AVIF: read, and written as PNG by auto
        shot = Image.open(io.BytesIO(camera))
        shot.save(phone, "AVIF", exif=shot.info["exif"], quality=95)
        avif = wait(client, upload(client, phone.getvalue(), "cam.avif").json()["id"])
        answer = client.get(f"/api/jobs/{avif['id']}/result")
        assert (avif["status"], answer.headers["content-type"]) == ("done", "image/png")
        assert unquote(answer.headers["content-disposition"]).endswith('cam_2x.png"')
        assert Image.open(io.BytesIO(answer.content)).size == (80, 120)  # upright
        moved = wait(client, upload(client, camera, "cam.jpg", format="png", nearest_input="pillow").json()["id"])
        assert moved["nearest_input"] == "pillow"
        hedged = wait(client, upload(client, camera, "cam.jpg", format="png", nearest_input="unknown").json()["id"])
        plain = wait(client, upload(client, camera, "cam.jpg", format="png").json()["id"])
        got = {job["id"]: np.asarray(Image.open(io.BytesIO(client.get(f"/api/jobs/{job['id']}/result").content)))
               for job in (moved, hedged, plain)}
        assert np.array_equal(got[moved["id"]], recentring.moved(got[plain["id"]], 2, "pillow"))
        assert np.array_equal(got[hedged["id"]], recentring.moved(got[plain["id"]], 2, "unknown"))
        for bad in ({"format": "gif"}, {"quality": "0", "format": "jpeg"}, {"quality": "90", "format": "png"},
                    {"model": "nope"}, {"strip_metadata": "maybe"}, {"self_ensemble": "maybe"},
                    {"nearest_input": "gimp"}):
            refused = upload(client, camera, "cam.jpg", **bad)
            assert refused.status_code == 422, bad
            assert refused.json()["detail"], bad
        cut = upload(client, encoded(photo_like(20, 20).astype(np.uint8), "PNG"), "c.png", format="jpeg")
        assert cut.status_code == 202  # no transparency: JPEG holds it
        alpha = Image.fromarray(photo_like(20, 20)).convert("RGBA")
        buf = io.BytesIO()
        alpha.save(buf, format="PNG")
        refused = upload(client, buf.getvalue(), "cutout.png", format="jpeg")
        assert (refused.status_code, "transparency" in refused.json()["detail"]) == (422, True)


def test_the_embedded_worker_computes_in_bfloat16_when_asked(tmp_path, model):
    server = embedded(tmp_path / "state", str(tmp_path / "state" / "files"), Limits(), Retention(),
                      [ModelOffer(NAME, "the test model")], NAME, {NAME: model}, "bfloat16")
    network = server.workshop.models[NAME]
    assert network.get_layer("head").dtype_policy.name == "mixed_bfloat16"
    assert network.get_layer("skip_add").dtype_policy.name == "float32"
    assert model.get_layer("head").dtype_policy.name == "float32"  # the caller's network untouched
    engine = server.workshop.upscaler(NAME, False).engine
    assert (engine.tile, engine.buckets) == (SERVER_BFLOAT16_TILE, True)  # bounded memory (tiles.py)
    with TestClient(server.app) as client:
        state = wait(client, upload(client, png(30, 41)).json()["id"])
        assert (state["status"], state["output"]["width"]) == ("done", 82)


def test_progress_advances_and_the_time_left_shrinks(tmp_path, model):
    with client_for(tmp_path, model, SlowUpscaler(model, tile=8, batch=1)) as client:
        job = upload(client, png(40, 40)).json()
        seen = []
        deadline = time.monotonic() + 60
        while (state := client.get(f"/api/jobs/{job['id']}").json())["status"] != "done":
            assert state["status"] in ("queued", "running"), state
            assert time.monotonic() < deadline
            if state["status"] == "running":
                seen.append((state["tiles_done"], state["eta_s"]))
            time.sleep(0.1)
        assert state["tiles_total"] == 25
        done = [t for t, _ in seen]
        assert done == sorted(done)
        assert len(set(done)) > 3  # it was watched moving
        etas = [e for t, e in seen if t > 0]  # from the job's own pace, once it has one
        assert etas[-1] < etas[0]


def test_a_running_job_is_cancelled_and_its_files_deleted(tmp_path, model):
    server = server_for(tmp_path, model, SlowUpscaler(model, tile=8, batch=1))
    with TestClient(server.app) as client:
        job = upload(client, png(40, 40)).json()
        wait(client, job["id"], until=("running",))
        assert client.get(f"/api/jobs/{job['id']}/result").status_code == 409
        assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
        assert client.get(f"/api/jobs/{job['id']}").status_code == 404
        # The worker stops within a tile or two, keeps nothing of it, and moves on to the next job.
        after = upload(client, png(12, 12)).json()
        assert wait(client, after["id"])["status"] == "done"
        stored = server.service.storage.stored()
        assert not [key for key in stored if job["id"] in key]


def test_a_job_deleted_just_before_its_preview_is_stored_leaves_no_file(tmp_path, model):
    # The race the test above can hit by chance, made certain: the user's delete lands after
    # the worker read the upload but before it stored the preview.
    server = server_for(tmp_path, model, SlowUpscaler(model, tile=8, batch=1))
    storage, first = server.service.storage, []
    put = storage.put

    def delete_then_put(key, path):
        if not first and key.startswith("previews/"):  # the first job's
            first.append(key.removeprefix("previews/").removesuffix(".png"))
            server.service.delete(first[0])
        return put(key, path)

    storage.put = delete_then_put
    with TestClient(server.app) as client:
        upload(client, png(40, 40))
        after = upload(client, png(12, 12)).json()  # one worker: once it is done, so is the first
        assert wait(client, after["id"])["status"] == "done"
        assert client.get(f"/api/jobs/{first[0]}").status_code == 404
        assert not [key for key in storage.stored() if first[0] in key]


def test_a_full_queue_is_refused_before_the_body_is_parsed(tmp_path, model):
    with client_for(tmp_path, model, SlowUpscaler(model, tile=8, batch=1), queue=1) as client:
        first = upload(client, png(40, 40)).json()
        wait(client, first["id"], until=("running",))
        second = upload(client, png(40, 40, 1))
        assert (second.status_code, second.json()["position"]) == (202, 1)
        third = upload(client, bomb_png(5000, 5000), "declares-25MP.png")
        assert third.status_code == 503
        assert int(third.headers["retry-after"]) >= 1
        assert "queue is full" in third.json()["detail"]
        # Not even parsed: a body that is not a form gets the same answer.
        garbage = client.post("/api/jobs", content=b"\0" * 10_000, headers={"content-type": "multipart/form-data"})
        assert garbage.status_code == 503
        client.delete(f"/api/jobs/{first['id']}")
        client.delete(f"/api/jobs/{second.json()['id']}")


@contextlib.contextmanager
def listening(app):
    """`app` served by uvicorn on a free loopback port, as `python -m pipeline.serve` serves it."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield server.config.port
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def post_slowly(port: int, body: bytes, content_type: str) -> bytes:
    """POST `body` as a browser on a slow link would: the headers and a first part, a pause
    (in which an early answer arrives), then the rest; the whole answer."""
    head = (f"POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head + body[:65536])
        time.sleep(0.5)
        s.sendall(body[65536:])
        answer = b""
        while chunk := s.recv(65536):  # to the close (Connection: close)
            answer += chunk
        return answer


def test_an_early_refusal_reaches_a_client_still_sending(tmp_path, model):
    """A 503 (queue full) or 413 (declared too large) is decided from the headers, but a
    server that answers and closes while the body still arrives makes the kernel reset the
    connection: the client gets a broken pipe instead of the answer (4 of 40 uploads in the
    load benchmark). The body is read to its end, and dropped, first."""
    form = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n\r\n"
    body = form + bytes(1_500_000) + b"\r\n--b--\r\n"  # within the 2 MB limit; then past it
    server = server_for(tmp_path, model, SlowUpscaler(model, tile=8, batch=1), queue=1, max_upload_mb=2)
    client = TestClient(server.app)  # no `with`: the one lifespan (the worker) is uvicorn's
    with listening(server.app) as port:
        first = upload(client, png(40, 40)).json()
        wait(client, first["id"], until=("running",))
        assert upload(client, png(40, 40, 1)).status_code == 202
        answer = post_slowly(port, body, "multipart/form-data; boundary=b")
        assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
        assert b"queue is full" in answer
        client.delete(f"/api/jobs/{first['id']}")
        body = form + bytes(4_000_000) + b"\r\n--b--\r\n"
        answer = post_slowly(port, body, "multipart/form-data; boundary=b")
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"the upload is 4.0 MB; the limit is 2 MB" in answer


def test_bad_requests_get_clear_answers_and_the_server_keeps_serving(tmp_path, model):
    with client_for(tmp_path, model, max_upload_mb=0.05, max_input_mp=0.01) as client:
        assert client.post("/api/jobs", data={"self_ensemble": "false"}).status_code == 400
        empty = upload(client, b"", "empty.png")
        assert (empty.status_code, empty.json()["detail"]) == (400, "empty.png: the file is empty")
        text = upload(client, b"just some notes", "notes.txt")
        assert text.status_code == 415
        assert text.json()["detail"].startswith("notes.txt: not an image in an allowed format")
        big = upload(client, png(100, 150), "big.png")
        assert (big.status_code, big.json()["detail"]) == (413, "big.png: 150x100 = 0.015 MP; limit 0.01 MP")
        huge = upload(client, bomb_png(100_000, 100_000), "huge.png")  # 10,000 MP declared in 200 bytes
        assert (huge.status_code, huge.json()["detail"]) == (413, "huge.png: 100000x100000 = 1e+04 MP; limit 0.01 MP")
        heavy = upload(client, np.random.default_rng(0).bytes(120_000), "heavy.png")
        assert heavy.status_code == 413
        assert heavy.json()["detail"] == "the upload is 0.1 MB; the limit is 0.05 MB"

        def chunked():  # no Content-Length: the limit is found while the body arrives
            yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n\r\n"
            for _ in range(40):
                yield b"\0" * 4096
        streamed = client.post("/api/jobs", content=chunked(),
                               headers={"content-type": "multipart/form-data; boundary=b"})
        assert streamed.status_code == 413
        assert streamed.json()["detail"] == "the upload is over 0.05 MB; the limit is 0.05 MB"
        for method, path in [("get", "/api/jobs/nope"), ("get", "/api/jobs/nope/result"),
                             ("get", "/api/jobs/nope/input"), ("delete", "/api/jobs/nope")]:
            assert getattr(client, method)(path).status_code == 404
        frames = [Image.fromarray(photo_like(20, 20, k)) for k in range(3)]
        buf = io.BytesIO()
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
        animated = upload(client, buf.getvalue(), "moving.gif")
        assert animated.status_code == 202
        state = wait(client, animated.json()["id"])
        assert state["warning"] == "animated: only the first of 3 frames is upscaled"
        assert client.get("/healthz").json()["status"] == "ok"


def test_an_upload_s_name_is_for_display_only(tmp_path, model):
    with client_for(tmp_path, model) as client:
        r = upload(client, png(20, 20), "..\\../../etc/pass\u202ewd.png")
        state = wait(client, r.json()["id"])
        assert (state["status"], state["name"]) == ("done", "passwd.png")
        disposition = unquote(client.get(f"/api/jobs/{state['id']}/result").headers["content-disposition"])
        assert disposition == 'attachment; filename="passwd_2x.png"'
    stored = {p.name for p in (tmp_path / "state" / "files").rglob("*") if p.is_file()}
    assert stored
    assert all(name.startswith(state["id"]) for name in stored)
    assert not list(tmp_path.rglob("passwd*"))


def test_a_many_page_tiff_costs_bounded_work(tmp_path, model):
    pages = [Image.new("L", (4, 4), k % 256) for k in range(1500)]
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:])
    with client_for(tmp_path, model) as client:
        r = upload(client, buf.getvalue(), "pages.tif")
        assert r.status_code == 202
        state = wait(client, r.json()["id"])
        assert (state["status"], state["warning"]) == ("done", "animated: only the first of more than 1000 frames "
                                                               "is upscaled")


def test_a_result_read_while_it_is_deleted_is_whole_or_404_never_500(tmp_path, model):
    with client_for(tmp_path, model) as client:
        answers = []
        for k in range(30):
            job = wait(client, upload(client, png(64, 64, k)).json()["id"])
            size = job["output"]["bytes"]
            reader = threading.Thread(target=lambda j=job, s=size: answers.append(
                (lambda r: (r.status_code, len(r.content), s))(client.get(f"/api/jobs/{j['id']}/result"))))
            reader.start()
            client.delete(f"/api/jobs/{job['id']}")
            reader.join()
        assert {status for status, _, _ in answers} <= {200, 404}
        assert all(got == want for status, got, want in answers if status == 200)  # never truncated


def test_a_cross_origin_post_is_refused(tmp_path, model):
    with client_for(tmp_path, model) as client:
        other = upload_with(client, {"origin": "https://evil.example"})
        assert (other.status_code, other.json()["detail"].startswith("cross-origin")) == (403, True)
        assert upload_with(client, {"sec-fetch-site": "cross-site"}).status_code == 403
        assert upload_with(client, {"origin": "http://testserver"}).status_code == 202  # the page's own
        assert upload_with(client, {}).status_code == 202  # curl and scripts send no Origin
        job = upload_with(client, {}).json()["id"]
        assert client.delete(f"/api/jobs/{job}", headers={"origin": "https://evil.example"}).status_code == 403


def upload_with(client, headers):
    return client.post("/api/jobs", files={"file": ("p.png", png(12, 12), "image/png")}, headers=headers)


# The worker thread's crash is the point of the test: pytest would report it as a warning.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_worker_shows_in_healthz_and_is_replaced_with_its_job_run(tmp_path, model, monkeypatch):
    server = server_for(tmp_path, model)
    with TestClient(server.app) as client:
        assert client.get("/healthz").json()["workers"] == 1
        thread = server.workers.worker.workers[0]

        def die(message):
            raise SystemExit("simulated crash of the worker thread")

        thread.process_message = die  # the next message kills the thread, the way a bug in it would
        job = upload(client, png(20, 20)).json()
        deadline = time.monotonic() + 30
        codes = set()
        while server.workers.replaced == 0 and time.monotonic() < deadline:
            codes.add(client.get("/healthz").status_code)
            time.sleep(0.02)
        assert server.workers.replaced == 1
        assert wait(client, job["id"])["status"] == "done"  # sent again to the new worker
        health = client.get("/healthz")
        assert (health.status_code, health.json()["workers"], health.json()["replaced"]) == (200, 1, 1)


def test_the_janitor_running_while_an_upload_is_stored_leaves_it(tmp_path, model):
    server = server_for(tmp_path, model)
    storage, tidied = server.service.storage, []
    put = storage.put

    def put_while_tidying(key, source):  # the janitor's round lands right after the write
        size = put(key, source)
        tidied.append(server.service.tidy())
        return size

    storage.put = put_while_tidying
    with TestClient(server.app) as client:
        job = upload(client, png(30, 30)).json()
        assert wait(client, job["id"])["status"] == "done"
    assert tidied[0] == 0


def test_finished_jobs_are_kept_within_count_and_bytes_oldest_first(tmp_path, model):
    server = server_for(tmp_path, model, retention=Retention(keep_minutes=60, keep_jobs=2, keep_mb=1))
    with TestClient(server.app) as client:
        ids = [wait(client, upload(client, png(40, 40, k)).json()["id"])["id"] for k in range(3)]
        assert server.service.tidy() == 1
        assert client.get(f"/api/jobs/{ids[0]}").status_code == 404
        assert [client.get(f"/api/jobs/{i}").status_code for i in ids[1:]] == [200, 200]
        noise = encoded(np.random.default_rng(1).integers(0, 256, (400, 400, 3), dtype=np.uint8), "PNG")
        big = wait(client, upload(client, noise, "noise.png").json()["id"])
        assert big["output"]["bytes"] > 600_000
        server.service.tidy()  # 1 MB at most: the two before it go
        assert [client.get(f"/api/jobs/{i}").status_code for i in ids[1:]] == [404, 404]
        assert {key.split("/")[1].split(".")[0] for key in server.service.storage.stored()} == {big["id"]}


def test_jobs_survive_a_restart_and_a_killed_server_s_leftovers_go(tmp_path, model):
    server = server_for(tmp_path, model, SlowUpscaler(model, tile=8, batch=1))
    with TestClient(server.app) as client:
        done = wait(client, upload(client, png(12, 12)).json()["id"])
        running = upload(client, png(40, 40, 1)).json()
        waiting = upload(client, png(40, 40, 2)).json()
        wait(client, running["id"], until=("running",))
    # The context's exit let the worker finish; leave the job as a killed process leaves it.
    storage = server.service.storage
    for key in storage.stored():
        if key.startswith("results/") and running["id"] in key:
            storage.delete(key)
    storage.put(f"uploads/{running['id']}", io.BytesIO(png(40, 40, 1)))  # kept until a job is done
    server.service.store.update(running["id"], status="running", heartbeat=time.time() - 3600, result=None)
    storage.put("results/leftover-of-a-dead-server.png.1234.partial", io.BytesIO(b"half"))
    storage.put("uploads/no-such-job", io.BytesIO(b"orphan"))
    again = server_for(tmp_path, model)
    with TestClient(again.app) as client:
        assert client.get(f"/api/jobs/{done['id']}").json()["status"] == "done"
        for job in (running, waiting):
            state = wait(client, job["id"])
            assert state["status"] == "done", state
        assert wait(client, running["id"])["attempts"] == 2
        stored = again.service.storage.stored()
        assert not [key for key in stored if "leftover" in key or "no-such-job" in key]


def test_a_full_disk_is_answered_507_with_the_reason(tmp_path, model, monkeypatch):
    server = server_for(tmp_path, model)

    def full(self, key, source):
        raise DiskFull(28, "the server's storage is full (No space left on device)")

    with TestClient(server.app) as client:
        monkeypatch.setattr(type(server.service.storage), "put", full)
        r = upload(client, png(20, 20))
        assert r.status_code == 507
        assert "storage is full" in r.json()["detail"]
        assert client.get("/healthz").status_code == 200


def test_each_offered_model_is_timed_at_start_for_its_own_estimate(tmp_path, model):
    # 24 blocks of 32 filters against 1 of 8: hundreds of times the work per pixel, so the
    # order of the two rates cannot come from timing noise.
    big = tiny_model(blocks=24, filters=32)
    offers = [ModelOffer(NAME, "the test model"), ModelOffer("big", "a larger one")]
    server = embedded(tmp_path / "state", str(tmp_path / "state" / "files"), Limits(), Retention(), offers, NAME,
                      {NAME: model, "big": big})
    with TestClient(server.app) as client:
        rates = {m["name"]: m["seconds_per_input_mp"] for m in client.get("/api/limits").json()["models"]}
    assert all(server.service.store.rate(f"{n}:plain", None) for n in (NAME, "big"))  # measured, not the guess
    assert rates["big"] > 3 * rates[NAME] > 0


def test_the_page_limits_models_and_api_description(tmp_path, model):
    with client_for(tmp_path, model) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        for element in ('<input id="files" type="file" multiple', 'id="model"', 'id="format"', 'id="strip"',
                        'class="zoom'):
            assert element in page.text
        assert "http" not in page.text.replace("http-equiv", "")  # no third-party assets
        nearest = page.text.split('<select id="nearest">')[1].split("</select>")[0]
        assert re.findall(r'<option value="([a-z]*)">', nearest) == ["", *recentring.PROGRAMS]  # the API's choices
        limits = client.get("/api/limits").json()
        assert (limits["max_upload_mb"], limits["scale"], limits["default_model"]) == (50, 2, NAME)
        assert [{k: m[k] for k in ("name", "description")} for m in limits["models"]] == \
            [{"name": NAME, "description": "the test model"}]
        assert limits["models"][0]["seconds_per_input_mp"] == limits["seconds_per_input_mp"] > 0
        assert limits["output_formats"] == ["auto", "png", "jpeg", "webp"]
        spec = client.get("/openapi.json").json()
        paths = spec["paths"]
        assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/result", "/api/jobs/{job_id}/input",
                "/api/limits", "/healthz"} <= set(paths)
        form = paths["/api/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
        assert {"file", "model", "format", "quality", "strip_metadata", "self_ensemble", "nearest_input"} <= set(form)
        assert "delete" in paths["/api/jobs/{job_id}"]


@pytest.mark.parametrize(("args", "message"), [
    (["--max-upload-mb", "nan"], "--max-upload-mb: nan must be above 0"),
    (["--max-upload-mb", "inf"], "--max-upload-mb: inf must be above 0"),
    (["--max-input-mp", "inf"], "--max-input-mp: inf must be above 0 and at most 1000"),
    (["--port", "99999"], "--port: 99999 is not a port (1-65535)"),
    (["--queue", "0"], "--queue: 0 must be above 0"),
    (["--precision", "float16"], "--precision: invalid choice: 'float16'"),
])
def test_bad_flags_are_one_line_errors(capsys, args, message):
    status, _, err = call(serve_main, capsys, *args)
    assert status == 2
    assert message in err
    assert "Traceback" not in err


def test_a_port_in_use_is_said_before_any_model_loads(capsys, tmp_path):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        status, _, err = call(serve_main, capsys, "--port", taken.getsockname()[1], "--model",
                              tmp_path / "absent.keras", "--state", tmp_path / "s")
    finally:
        taken.close()
    assert status == 2
    assert "is in use (another server?); choose another --port" in err
    assert "no such model" not in err
