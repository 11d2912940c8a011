"""The page in a real browser: Debian's Chromium, driven by Playwright, against the real server.

`.ci/run` installs Chromium (`apt-get install chromium`); where it is missing these tests
are skipped with that reason. Playwright's own browser download is never used (no internet).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from PIL import Image

from pipeline.tools.upscale import main as upscale_main
from tests.support.images import encoded, photo_like
from tests.support.sandbox import REPO, call

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is not installed "
                                "(Debian's chromium package; .ci/run installs it as root)")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, model_path):
    """`python -m pipeline.serve` on a free loopback port, stopped by its PID afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.serve", "--model", str(model_path), "--port",
                                 str(port)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def test_upload_watch_compare_and_download(tmp_path, server, browser, model_path, capsys):
    photo = tmp_path / "garden.png"
    photo.write_bytes(encoded(photo_like(120, 160, 4), "PNG"))
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    page = browser.new_page(viewport={"width": 1000, "height": 1100}, accept_downloads=True)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server + "/")
    page.wait_for_selector("#limits:has-text('megapixels')")

    page.set_input_files("#files", [str(photo), str(notes)])
    bad = page.locator(".card", has_text="notes.txt")
    bad.locator(".error").wait_for(state="visible", timeout=30_000)
    assert "notes.txt: not an image in an allowed format" in bad.locator(".error").inner_text()

    good = page.locator(".card", has_text="garden.png")
    good.locator(".compare").wait_for(state="visible", timeout=120_000)
    assert good.locator(".size").inner_text() == "160 × 120 → 320 × 240"
    assert good.locator(".status").inner_text() == "Done"
    for img in (".before", ".after"):  # both pictures really loaded
        good.locator(img).evaluate("i => i.complete || new Promise(r => i.onload = r)")
        assert good.locator(img).evaluate("i => i.naturalWidth") == (160 if img == ".before" else 320)
    slider = good.locator(".slider")
    slider.focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")  # the slider works from the keyboard
    slider.fill("20")
    clip = good.locator(".after").evaluate("e => e.style.clipPath")
    assert clip == "inset(0px 0px 0px 20%)"

    with page.expect_download() as info:
        good.locator(".download").click()
    download = info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert download.suggested_filename == "garden_2x.png"
    assert Image.open(saved).size == (320, 240)
    assert call(upscale_main, capsys, photo, "--out", tmp_path / "cli.png", "--model", model_path)[0] == 0
    assert saved.read_bytes() == (tmp_path / "cli.png").read_bytes()

    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert (tmp_path / "page.png").stat().st_size > 10_000
    assert not [e for e in errors if "Content Security Policy" in e]
    page.close()
