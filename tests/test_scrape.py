"""The real Scrapy crawler against a real HTTP server on 127.0.0.1 full of traps."""

from __future__ import annotations

import csv
import io
import json
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from scraper.spiders.photos import largest_srcset_candidate
from tests.conftest import photo_like, python, tiny_params, write_params


def png_bytes(h: int, w: int, seed: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(photo_like(h, w, seed)).save(buf, format="PNG")
    return buf.getvalue()


def encoded(h: int, w: int, seed: int, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(photo_like(h, w, seed)).save(buf, format=fmt)
    return buf.getvalue()


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG header declaring width x height pixels, with almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


GOOD1 = png_bytes(80, 96, 1)
INDEX = """<!doctype html><html><head>
<meta property="og:image" content="/img/og.jpg">
<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">
<title>traps</title></head><body>
<img src="/img/good1.png"><img src="/img/dup_of_good1.png">
<img srcset="/img/small.jpg 100w, /img/large.jpg 800w" alt="responsive">
<a href="/img/good3.webp">full size</a>
<a href="page2.html">next</a> <a href="/private/secret.html">secret</a>
<a href="/missing.html">gone</a> <a href="/error.html">broken</a> <a href="/loop">loop</a>
<a href="http://offsite.invalid/elsewhere.html">offsite</a>
<a href="file:///etc/passwd">passwd</a> <img src="file:///etc/hostname">
<img src="/img/not_image.jpg"><img src="/img/truncated.jpg"><img src="/img/bomb.png">
<img src="/img/missing.png"><img src="/img/tiny.png"><img src="/img/slow.jpg">
<img src="/img/redirect_to_file.jpg">
<div><p>broken <b>markup <i>never closed <table><tr><td>
"""


class TrapSite:
    """Pages and images, each one a trap or a good image; records every path requested."""

    def __init__(self) -> None:
        self.requested: list[str] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        html = {"Content-Type": "text/html"}
        self.add("/robots.txt", 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n")
        self.add("/", 200, html, INDEX.encode())
        self.add("/page2.html", 200, html, b'<img src="/img/good4.png"><a href="/page3.html">on</a>')
        self.add("/page3.html", 200, html, b'<img src="/img/good5.png"><a href="/page4.html">deeper</a>')
        self.add("/page4.html", 200, html, b'<img src="/img/deep.png">')
        self.add("/private/secret.html", 200, html, b'<img src="/img/private.png">')
        self.add("/error.html", 500, html, b"oops")
        self.add("/loop", 302, {"Location": "/loop2"}, b"")
        self.add("/loop2", 302, {"Location": "/loop"}, b"")
        self.add("/img/good1.png", 200, {"Content-Type": "image/png"}, GOOD1)
        self.add("/img/dup_of_good1.png", 200, {"Content-Type": "image/png"}, GOOD1)
        self.add("/img/small.jpg", 200, {"Content-Type": "image/jpeg"}, encoded(70, 70, 2, "JPEG"))
        self.add("/img/large.jpg", 200, {"Content-Type": "image/jpeg"}, encoded(90, 120, 3, "JPEG"))
        self.add("/img/good3.webp", 200, {"Content-Type": "image/webp"}, encoded(72, 80, 4, "WEBP"))
        self.add("/img/og.jpg", 200, {"Content-Type": "image/jpeg"}, encoded(100, 64, 5, "JPEG"))
        self.add("/img/good4.png", 200, {"Content-Type": "image/png"}, png_bytes(66, 66, 6))
        self.add("/img/good5.png", 200, {"Content-Type": "image/png"}, png_bytes(67, 67, 7))
        self.add("/img/deep.png", 200, {"Content-Type": "image/png"}, png_bytes(68, 68, 8))
        self.add("/img/private.png", 200, {"Content-Type": "image/png"}, png_bytes(69, 69, 9))
        self.add("/img/not_image.jpg", 200, {"Content-Type": "image/jpeg"}, b"<html>not a picture</html>")
        jpeg = encoded(120, 120, 10, "JPEG")
        self.add("/img/truncated.jpg", 200, {"Content-Type": "image/jpeg"}, jpeg[: len(jpeg) // 2])
        self.add("/img/bomb.png", 200, {"Content-Type": "image/png"}, bomb_png())
        self.add("/img/tiny.png", 200, {"Content-Type": "image/png"}, png_bytes(10, 10, 11))
        self.add("/img/slow.jpg", 200, {"Content-Type": "image/jpeg"}, jpeg)
        self.add("/img/redirect_to_file.jpg", 302, {"Location": "file:///etc/passwd"}, b"")
        # A fake Openverse API: two pages of one hit each.
        for page in (1, 2):
            hit = {"url": f"{{base}}/img/search{page}.png", "foreign_landing_url": f"{{base}}/work/{page}",
                   "license": "by", "license_version": "4.0", "creator": f"Creator {page}", "title": f"Fox {page}"}
            body = {"result_count": 2, "page_count": 2, "page": page, "results": [hit]}
            self.add(f"/v1/images/?page={page}", 200, {"Content-Type": "application/json"},
                     json.dumps(body).encode())
            self.add(f"/img/search{page}.png", 200, {"Content-Type": "image/png"}, png_bytes(70, 75, 20 + page))

    def add(self, path: str, status: int, headers: dict[str, str], body: bytes) -> None:
        self.routes[path] = (status, headers, body)

    def handler(self, base: str):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                site.requested.append(self.path)
                path = self.path
                if path.startswith("/v1/images/"):
                    page = 2 if "page=2" in path else 1
                    path = f"/v1/images/?page={page}"
                status, headers, body = site.routes.get(path, (404, {"Content-Type": "text/html"}, b"missing"))
                if self.path == "/img/slow.jpg":
                    time.sleep(2.5)
                body = body.replace(b"{base}", base.encode())
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler gave up (timeout): expected for /img/slow.jpg

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def trap_site():
    site = TrapSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    base = f"http://127.0.0.1:{server.server_port}"
    server.RequestHandlerClass = site.handler(base)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, base
    server.shutdown()
    server.server_close()


def crawl(tmp_path: Path, scrape: dict) -> tuple[list[dict], dict, Path]:
    params = write_params(tmp_path / "params.yaml", tiny_params(scrape=scrape))
    out = tmp_path / "raw"
    python("-m", "pipeline.scrape", str(out), "--params", str(params), timeout=300)
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    return rows, json.loads((out / "report.json").read_text()), out


def test_site_crawl_keeps_good_images_and_reports_every_trap(tmp_path, trap_site):
    site, base = trap_site
    rows, report, out = crawl(tmp_path, {
        "sample": False, "start_urls": [base + "/"], "max_depth": 2,
        "timeout_s": 1.0, "delay_s": 0.0})

    stored = {r["url"].removeprefix(base) for r in rows}
    # The same bytes at two URLs: stored once, under the first URL in sorted order, both kept.
    assert stored == {"/img/dup_of_good1.png", "/img/large.jpg", "/img/good3.webp", "/img/og.jpg",
                      "/img/good4.png", "/img/good5.png"}
    good1 = next(r for r in rows if r["url"].endswith("/img/dup_of_good1.png"))
    assert good1["also_at"] == base + "/img/good1.png"
    assert (out / good1["path"]).read_bytes() == GOOD1
    assert good1["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert Path(good1["path"]).stem == good1["sha1"]
    assert sorted(p.name for p in (out / "images").iterdir()) == sorted(Path(r["path"]).name for r in rows)

    reasons = {r["url"].removeprefix(base): r["reason"] for r in report["rejections"]}
    assert reasons == {
        "/missing.html": "http 404",
        "/error.html": "http 500",
        "/loop": "redirect loop",
        "/private/secret.html": "robots.txt disallows",
        "file:///etc/passwd": "blocked scheme file",
        "file:///etc/hostname": "blocked scheme file",
        "/img/not_image.jpg": "not an image",
        "/img/truncated.jpg": "truncated or corrupt image",
        "/img/bomb.png": "decompression bomb",
        "/img/missing.png": "http 404",
        "/img/tiny.png": "smaller than min_width x min_height",
        "/img/slow.jpg": "timeout",
        "/img/redirect_to_file.jpg": "blocked scheme file",
    }
    assert report["stored"] == 6 and sum(report["rejected"].values()) == len(reasons)
    # Never fetched: beyond max_depth, behind robots.txt, the smaller srcset candidate.
    for path in ("/page4.html", "/img/deep.png", "/private/secret.html", "/img/private.png", "/img/small.jpg"):
        assert path not in site.requested


def test_keyword_search_records_license_and_creator(tmp_path, trap_site):
    site, base = trap_site
    rows, report, _ = crawl(tmp_path, {
        "sample": False, "queries": ["red fox"], "search_api": base + "/v1/images/",
        "licenses": ["by"], "delay_s": 0.0})
    assert [(r["url"], r["license"], r["creator"], r["page_url"]) for r in sorted(rows, key=lambda r: r["url"])] == [
        (f"{base}/img/search1.png", "by 4.0", "Creator 1", f"{base}/work/1"),
        (f"{base}/img/search2.png", "by 4.0", "Creator 2", f"{base}/work/2"),
    ]
    searches = [p for p in site.requested if p.startswith("/v1/images/")]
    assert len(searches) == 2 and all("q=red+fox" in p and "license=by" in p for p in searches)
    assert report["rejected"] == {}


def test_max_images_caps_the_run(tmp_path, trap_site):
    _, base = trap_site
    rows, report, _ = crawl(tmp_path, {
        "sample": False, "start_urls": [base + "/"], "max_depth": 0, "max_images": 2,
        "timeout_s": 1.0, "delay_s": 0.0})
    assert len(rows) <= 2
    assert report["rejected"].get("max_images reached", 0) > 0


def test_sample_source_is_offline_and_deterministic(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    rows, report, out_a = crawl(a, {"sample": True})
    _, _, out_b = crawl(b, {"sample": True})
    assert len(rows) >= 20
    assert all(r["url"].startswith("sample:skimage/") and r["page_url"] == "sample:index.html" for r in rows)
    assert all(r["license"].endswith("skimage/data/README.txt") for r in rows)
    for name in ("manifest.csv", "report.json"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes()
        assert str(tmp_path) not in (out_a / name).read_text()
    assert sorted(p.name for p in (out_a / "images").iterdir()) == sorted(p.name for p in (out_b / "images").iterdir())
    # The sample set has files too small or unreadable for training: reported, not lost.
    assert report["stored"] == len(rows) and report["rejected"]


@pytest.mark.parametrize("srcset, best", [
    ("a.jpg 100w, b.jpg 800w, c.jpg 400w", "b.jpg"),
    ("a.jpg 1x, b.jpg 2x", "b.jpg"),
    ("only.jpg", "only.jpg"),
    (" , ", None),
])
def test_largest_srcset_candidate(srcset, best):
    assert largest_srcset_candidate(srcset) == best
