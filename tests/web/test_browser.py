"""The page in a real browser: Debian's Chromium, driven by Playwright, against the real server.

`.ci/run` installs Chromium (`apt-get install chromium`); where it is missing these tests
are skipped with that reason. Playwright's own browser download is never used (no internet).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
from PIL import Image

from pipeline.tools.upscale import main as upscale_main
from tests.support.images import encoded, photo_like
from tests.support.sandbox import REPO, call
from tests.support.services import free_port

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is not installed "
                                "(Debian's chromium package; .ci/run installs it as root)")]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


class Server:
    """`python -m pipeline.serve` on a free loopback port with its state in a temp folder;
    `stop()` kills it as a crash would, `start()` brings it back on the same port and state."""

    def __init__(self, root, model_path) -> None:
        self.root, self.model_path, self.port = root, model_path, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self) -> None:
        with (self.root / "serve.log").open("a") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "pipeline.serve", "--model", str(self.model_path),
                                          "--port", str(self.port), "--state", str(self.root / "state")], cwd=REPO,
                                         env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    pytest.fail(f"the server did not start:\n{(self.root / 'serve.log').read_text()[-3000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory, model_path):
    s = Server(tmp_path_factory.mktemp("serve"), model_path)
    s.start()
    yield s
    s.stop()


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
    page.goto(server.base + "/")
    page.wait_for_selector("#limits:has-text('megapixels')")
    # One model offered: the estimate is its own, and does not name it.
    assert re.search(r"A 12-megapixel photo takes .+ on this server\.$", page.inner_text("#limits"))

    page.set_input_files("#files", [str(photo), str(notes)])
    bad = page.locator(".card", has_text="notes.txt")
    bad.locator(".error").wait_for(state="visible", timeout=30_000)
    assert "notes.txt: not an image in an allowed format" in bad.locator(".error").inner_text()

    good = page.locator(".card", has_text="garden.png")
    good.locator(".compare").wait_for(state="visible", timeout=120_000)
    assert good.locator(".size").inner_text().startswith("160 × 120 → 320 × 240 · PNG")
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

    # At 100 %: the result's own pixels in a window that pans by keyboard and by dragging.
    page.set_viewport_size({"width": 360, "height": 800})  # a phone: fitted, the 2x would look like the input
    zoom = good.locator(".zoom")
    zoom.click()
    frame = good.locator(".frame")
    assert zoom.get_attribute("aria-pressed") == "true"
    assert good.locator(".after").evaluate("i => i.getBoundingClientRect().width") == 320
    start = frame.evaluate("f => f.scrollLeft")
    frame.focus()
    page.keyboard.press("ArrowRight")
    moved = frame.evaluate("f => f.scrollLeft")
    assert moved > start
    box = frame.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    page.mouse.move(box["x"] + 100, box["y"] + 60, steps=5)  # drag the picture right: see its left side
    page.mouse.up()
    assert frame.evaluate("f => f.scrollLeft") < moved
    page.keyboard.press("Escape")
    assert zoom.get_attribute("aria-pressed") == "false"
    page.set_viewport_size({"width": 1000, "height": 1100})

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


def test_options_reach_the_server_and_the_download_keeps_the_format_s_suffix(tmp_path, server, browser, capsys,
                                                                               model_path):
    photo = tmp_path / "street.png"
    photo.write_bytes(encoded(photo_like(80, 100, 5), "PNG"))
    page = browser.new_page(viewport={"width": 1000, "height": 1000}, accept_downloads=True)
    page.goto(server.base + "/")
    page.wait_for_selector("#limits:has-text('megapixels')")
    assert page.locator("#model option").count() >= 1
    assert page.locator("#model-use").inner_text()  # one line on when to use it
    page.select_option("#format", "jpeg")
    page.locator("#quality-label").wait_for(state="visible")
    page.fill("#quality", "80")
    page.check("#strip")
    page.select_option("#nearest", "opencv")
    page.set_input_files("#files", [str(photo)])
    card = page.locator(".card", has_text="street.png")
    card.locator(".compare").wait_for(state="visible", timeout=120_000)
    assert "JPEG" in card.locator(".size").inner_text()
    with page.expect_download() as info:
        card.locator(".download").click()
    assert info.value.suggested_filename == "street_2x.jpg"
    saved = tmp_path / "got.jpg"
    info.value.save_as(saved)
    img = Image.open(saved)
    assert (img.format, img.size, bool(img.info.get("exif"))) == ("JPEG", (200, 160), False)
    args = ("--format", "jpeg", "--quality", "80", "--strip-metadata", "--nearest-input", "opencv")
    assert call(upscale_main, capsys, photo, "--out", tmp_path / "cli.jpg", "--model", model_path, *args)[0] == 0
    assert saved.read_bytes() == (tmp_path / "cli.jpg").read_bytes()  # every choice reached the server
    page.close()


def test_a_lost_server_shows_on_the_card_and_the_job_finishes_after_a_restart(tmp_path, server, browser):
    photo = tmp_path / "large.png"
    photo.write_bytes(encoded(photo_like(1400, 1600, 6), "PNG"))  # seconds of work even for the tiny model
    page = browser.new_page(viewport={"width": 1000, "height": 1000})
    page.goto(server.base + "/")
    page.wait_for_selector("#limits:has-text('megapixels')")
    page.set_input_files("#files", [str(photo)])
    card = page.locator(".card", has_text="large.png")
    card.locator(".status:has-text('%')").wait_for(timeout=120_000)  # running
    server.stop()  # killed mid-job
    card.locator(".error:has-text('Lost contact with the server')").wait_for(timeout=30_000)
    assert card.locator(".status").inner_text() == "Waiting for the server"
    server.start()  # the job was in its store: it runs again
    card.locator(".compare").wait_for(state="visible", timeout=180_000)
    assert card.locator(".error").is_hidden()
    assert card.locator(".status").inner_text() == "Done"
    page.close()
