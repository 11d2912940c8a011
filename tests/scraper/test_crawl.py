"""The real Scrapy crawler against a real HTTP server on 127.0.0.1 full of traps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.spiders.photos import largest_srcset_candidate
from tests.support.images import bomb_png, encoded, photo_like
from tests.support.loopback import Site, serve
from tests.support.scrape import run_scrape


def png_bytes(h: int, w: int, seed: int) -> bytes:
    return encoded(photo_like(h, w, seed), "PNG")


GOOD1 = png_bytes(80, 96, 1)
INDEX = """<!doctype html><html><head>
<meta property="og:image" content="/img/og.jpg">
<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">
<title>traps</title></head><body>
<img src="/img/good1.png"><img src="/img/dup_of_good1.png">
<img srcset="/img/small.jpg 100w, /img/large.jpg 800w" alt="responsive">
<a href="/img/good3.webp">full size</a> <a href="/img/good6.avif">from a phone</a>
<a href="page2.html">next</a> <a href="/private/secret.html">secret</a>
<a href="/missing.html">gone</a> <a href="/error.html">broken</a> <a href="/loop">loop</a>
<a href="http://offsite.invalid/elsewhere.html">offsite</a>
<a href="file:///etc/passwd">passwd</a> <img src="file:///etc/hostname">
<img src="/img/not_image.jpg"><img src="/img/truncated.jpg"><img src="/img/bomb.png">
<img src="/img/missing.png"><img src="/img/tiny.png"><img src="/img/slow.jpg">
<img src="/img/redirect_to_file.jpg">
<div><p>broken <b>markup <i>never closed <table><tr><td>
"""


def trap_routes() -> Site:
    """Pages and images, each one a trap or a good image."""
    site = Site(resolve=lambda path: f"/v1/images/?page={2 if 'page=2' in path else 1}"
                if path.startswith("/v1/images/") else path)
    png, jpeg, html = "image/png", "image/jpeg", "text/html"
    site.add("/robots.txt", content_type="text/plain", body="User-agent: *\nDisallow: /private/\n")
    site.add("/", body=INDEX)
    site.add("/page2.html", body='<img src="/img/good4.png"><a href="/page3.html">on</a>')
    site.add("/page3.html", body='<img src="/img/good5.png"><a href="/page4.html">deeper</a>')
    site.add("/page4.html", body='<img src="/img/deep.png">')
    site.add("/private/secret.html", body='<img src="/img/private.png">')
    site.add("/error.html", 500, html, "oops")
    site.add("/loop", 302, Location="/loop2")
    site.add("/loop2", 302, Location="/loop")
    site.add("/img/good1.png", content_type=png, body=GOOD1)
    site.add("/img/dup_of_good1.png", content_type=png, body=GOOD1)
    site.add("/img/small.jpg", content_type=jpeg, body=encoded(photo_like(70, 70, 2), "JPEG"))
    site.add("/img/large.jpg", content_type=jpeg, body=encoded(photo_like(90, 120, 3), "JPEG"))
    site.add("/img/good3.webp", content_type="image/webp", body=encoded(photo_like(72, 80, 4), "WEBP"))
    site.add("/img/good6.avif", content_type="image/avif", body=encoded(photo_like(74, 78, 12), "AVIF"))
    site.add("/img/og.jpg", content_type=jpeg, body=encoded(photo_like(100, 64, 5), "JPEG"))
    site.add("/img/good4.png", content_type=png, body=png_bytes(66, 66, 6))
    site.add("/img/good5.png", content_type=png, body=png_bytes(67, 67, 7))
    site.add("/img/deep.png", content_type=png, body=png_bytes(68, 68, 8))
    site.add("/img/private.png", content_type=png, body=png_bytes(69, 69, 9))
    site.add("/img/not_image.jpg", content_type=jpeg, body="<html>not a picture</html>")
    jpg = encoded(photo_like(120, 120, 10), "JPEG")
    site.add("/img/truncated.jpg", content_type=jpeg, body=jpg[: len(jpg) // 2])
    site.add("/img/bomb.png", content_type=png, body=bomb_png())
    site.add("/img/tiny.png", content_type=png, body=png_bytes(10, 10, 11))
    site.add("/img/slow.jpg", content_type=jpeg, body=jpg, delay_s=2.5)
    site.add("/img/redirect_to_file.jpg", 302, Location="file:///etc/passwd")
    # A fake Openverse API: two pages of one hit each.
    for page in (1, 2):
        hit = {"url": f"{{base}}/img/search{page}.png", "foreign_landing_url": f"{{base}}/work/{page}",
               "license": "by", "license_version": "4.0", "creator": f"Creator {page}", "title": f"Fox {page}"}
        body = {"result_count": 2, "page_count": 2, "page": page, "results": [hit]}
        site.add(f"/v1/images/?page={page}", content_type="application/json", body=json.dumps(body))
        site.add(f"/img/search{page}.png", content_type=png, body=png_bytes(70, 75, 20 + page))
    return site


@pytest.fixture
def trap_site():
    with serve(trap_routes()) as site:
        yield site, site.base


def test_site_crawl_keeps_good_images_and_reports_every_trap(tmp_path, trap_site):
    site, base = trap_site
    rows, report, out = run_scrape(tmp_path, {
        "sample": False, "start_urls": [base + "/"], "max_depth": 2,
        "timeout_s": 1.0, "delay_s": 0.0})

    stored = {r["url"].removeprefix(base) for r in rows}
    # The same bytes at two URLs: stored once, under the first URL in sorted order, both kept.
    assert stored == {"/img/dup_of_good1.png", "/img/large.jpg", "/img/good3.webp", "/img/good6.avif", "/img/og.jpg",
                      "/img/good4.png", "/img/good5.png"}
    avif = next(r for r in rows if r["url"].endswith("/img/good6.avif"))
    assert Path(avif["path"]).suffix == ".avif"  # stored under its format's suffix
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
    assert report["stored"] == 7
    assert sum(report["rejected"].values()) == len(reasons)
    # Never fetched: beyond max_depth, behind robots.txt, the smaller srcset candidate.
    for path in ("/page4.html", "/img/deep.png", "/private/secret.html", "/img/private.png", "/img/small.jpg"):
        assert path not in site.requested


def test_keyword_search_records_license_and_creator(tmp_path, trap_site):
    site, base = trap_site
    rows, report, _ = run_scrape(tmp_path, {
        "sample": False, "queries": ["red fox"], "search_api": base + "/v1/images/",
        "licenses": ["by"], "delay_s": 0.0})
    assert [(r["url"], r["license"], r["creator"], r["page_url"]) for r in sorted(rows, key=lambda r: r["url"])] == [
        (f"{base}/img/search1.png", "by 4.0", "Creator 1", f"{base}/work/1"),
        (f"{base}/img/search2.png", "by 4.0", "Creator 2", f"{base}/work/2"),
    ]
    searches = [p for p in site.requested if p.startswith("/v1/images/")]
    assert len(searches) == 2
    assert all("q=red+fox" in p and "license=by" in p for p in searches)
    assert report["rejected"] == {}


def test_max_images_caps_the_run(tmp_path, trap_site):
    _, base = trap_site
    rows, report, _ = run_scrape(tmp_path, {
        "sample": False, "start_urls": [base + "/"], "max_depth": 0, "max_images": 2,
        "timeout_s": 1.0, "delay_s": 0.0})
    assert len(rows) <= 2
    assert report["rejected"].get("max_images reached", 0) > 0


def test_sample_source_is_offline_and_deterministic(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    rows, report, out_a = run_scrape(a, {"sample": True})
    _, _, out_b = run_scrape(b, {"sample": True})
    assert len(rows) >= 20
    for r in rows:
        library = r["url"].split("/")[0].removeprefix("sample:")
        assert library in ("skimage", "sklearn", "matplotlib")
        assert r["page_url"] == f"sample:{library}.html"
        assert r["license"].startswith("https://")
    libraries = {r["url"].split("/")[0] for r in rows}
    assert libraries == {"sample:skimage", "sample:sklearn", "sample:matplotlib"}
    for name in ("manifest.csv", "report.json"):
        assert (out_a / name).read_bytes() == (out_b / name).read_bytes()
        assert str(tmp_path) not in (out_a / name).read_text()
    assert sorted(p.name for p in (out_a / "images").iterdir()) == sorted(p.name for p in (out_b / "images").iterdir())
    # The sample set has files too small or unreadable for training: reported, not lost.
    assert report["stored"] == len(rows)
    assert report["rejected"]


@pytest.mark.parametrize(("srcset", "best"), [
    ("a.jpg 100w, b.jpg 800w, c.jpg 400w", "b.jpg"),
    ("a.jpg 1x, b.jpg 2x", "b.jpg"),
    ("only.jpg", "only.jpg"),
    (" , ", None),
])
def test_largest_srcset_candidate(srcset, best):
    assert largest_srcset_candidate(srcset) == best
