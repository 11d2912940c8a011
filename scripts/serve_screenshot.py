"""The README's picture of the web page: the real server, a real test photo, headless Chromium.

    python scripts/serve_screenshot.py [--model photo|clean|fast|PATH] [--photo P.png] [--out docs/serve.png]

Needs Debian's chromium (/usr/bin/chromium) and Playwright (requirements.txt). The photo
defaults to the first test image of the last `dvc repro`, shrunk to 480 pixels wide so
the job is quick; the screenshot is saved as an optimised palette PNG (small for git). The
server keeps its jobs in a temp folder, not in ~/.local/state.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="default: the server's own (the first shipped model)")
    parser.add_argument("--photo", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "serve.png")
    args = parser.parse_args()
    photo = args.photo or sorted((REPO / "data" / "hr" / "test").glob("*.png"))[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = tempfile.TemporaryDirectory(prefix="supersizer-shot-")
    command = [sys.executable, "-m", "pipeline.serve", "--port", str(port), "--state", state.name]
    server = subprocess.Popen(command + (["--model", args.model] if args.model else []), cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        from playwright.sync_api import sync_playwright

        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
            small = Path(tmp) / "photo.png"
            img = Image.open(photo)
            img.resize((480, round(img.height * 480 / img.width)), Image.Resampling.LANCZOS).save(small)
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 820, "height": 900})
            page.goto(base + "/")
            page.wait_for_selector("#limits:has-text('megapixels')")
            page.set_input_files("#files", str(small))
            page.locator(".compare").wait_for(state="visible", timeout=300_000)
            page.locator(".after").evaluate("i => i.complete || new Promise(r => i.onload = r)")
            page.locator(".slider").fill("45")
            shot = Path(tmp) / "shot.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
            Image.open(shot).convert("RGB").quantize(256).save(args.out, optimize=True)
        print(f"{args.out}: {args.out.stat().st_size // 1024} KB")
    finally:
        server.terminate()
        server.wait(timeout=30)
        state.cleanup()


if __name__ == "__main__":
    main()
