"""The crawler under attack: hostile pages, redirects and search answers on loopback servers,
each crawled with the default `scrape.sample: true` beside the web source (docs/security.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scraper.policy import is_internal
from tests.support.images import encoded, photo_like
from tests.support.loopback import Site, serve
from tests.support.models import tiny_params, write_params
from tests.support.sandbox import REPO, python
from tests.support.scrape import run_scrape

SECRET = encoded(photo_like(90, 90, 99), "PNG")  # an image, so it would be stored if read


@pytest.fixture
def secret(tmp_path) -> Path:
    """A local folder a hostile page points at: an image and an HTML page linking it."""
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "secret.png").write_bytes(SECRET)
    (folder / "local.html").write_text('<img src="secret.png">')
    return folder


def hostile_site(secret: Path) -> Site:
    img = secret.joinpath("secret.png").as_uri()
    page = f"""<!doctype html><html><head><meta property="og:image" content="{img}"></head><body>
    <img src="{img}"><img srcset="{img} 2x"><img src="file:///dev/zero">
    <a href="{secret.joinpath('local.html').as_uri()}">local page</a>
    <a href="/to_file">redirect</a> <img src="/img/to_file.png"> <img src="/img/ok.png">
    </body></html>"""
    site = Site()
    site.add("/robots.txt", content_type="text/plain", body="User-agent: *\nAllow: /\n")
    site.add("/", body=page)
    site.add("/based.html", body=f'<base href="{secret.as_uri()}/"><img src="secret.png"><a href="local.html">x</a>')
    site.add("/to_file", 302, Location=secret.joinpath("local.html").as_uri())
    site.add("/img/to_file.png", 302, Location=img)
    site.add("/img/ok.png", content_type="image/png", body=encoded(photo_like(80, 80, 1), "PNG"))
    return site


def test_web_pages_never_read_local_files_even_beside_the_sample_gallery(tmp_path, secret):
    with serve(hostile_site(secret)) as site:
        rows, report, out = run_scrape(tmp_path, {
            "sample": True, "start_urls": [site.base + "/", site.base + "/based.html"],
            "max_depth": 1, "delay_s": 0.0, "timeout_s": 5.0})
    stored = {(out / r["path"]).read_bytes() for r in rows}
    assert SECRET not in stored
    assert any(r["url"] == f"{site.base}/img/ok.png" for r in rows)  # the web source still works
    assert sum(r["url"].startswith("sample:") for r in rows) >= 20  # and so does the gallery
    reasons = {r["url"]: r["reason"] for r in report["rejections"]}
    img = secret.joinpath("secret.png").as_uri()
    assert reasons[img] == "blocked scheme file"  # <img src>, srcset, og:image, <base href>
    assert reasons["file:///dev/zero"] == "blocked scheme file"
    assert reasons[secret.joinpath("local.html").as_uri()] == "blocked scheme file"
    assert reasons[f"{site.base}/to_file"] == "blocked scheme file"  # a page redirect
    assert reasons[f"{site.base}/img/to_file.png"] == "blocked scheme file"  # a media redirect


def test_search_hits_never_read_local_files_and_bad_answers_are_recorded(tmp_path, secret):
    pages = {
        "q=fox": {"page_count": 1, "results": [
            {"url": secret.joinpath("secret.png").as_uri(), "title": "local"},
            {"url": "{base}/img/ok.png", "title": "=HYPERLINK(\"http://evil.invalid\")", "creator": {"a": 1},
             "license": 5, "foreign_landing_url": "{base}/work"},
            {"title": "no url"}, 7]},
        "q=null": {"results": None},
        "q=five": {"results": 5},
        "q=text": "not json at all",
    }
    site = Site(resolve=lambda path: next((k for k in pages if k in path), path))
    for key, body in pages.items():
        site.add(key, content_type="application/json", body=body if isinstance(body, str) else json.dumps(body))
    site.add("/img/ok.png", content_type="image/png", body=encoded(photo_like(80, 80, 1), "PNG"))
    with serve(site):
        rows, report, out = run_scrape(tmp_path, {
            "sample": True, "queries": ["fox", "null", "five", "text"], "search_api": site.base + "/v1/images/",
            "delay_s": 0.0})
    web = [r for r in rows if not r["url"].startswith("sample:")]
    assert [r["url"] for r in web] == [f"{site.base}/img/ok.png"]
    assert web[0]["title"] == "'=HYPERLINK(\"http://evil.invalid\")"  # no formula in a spreadsheet
    assert web[0]["creator"] == ""  # not "{'a': 1}"
    assert web[0]["license"] == ""
    reasons = [r["reason"] for r in report["rejections"]]
    assert reasons.count("search answer is not the expected JSON") == 3
    assert reasons.count("search hit without an image url") == 1  # the hit without url; 7 too, same page
    assert {r["reason"] for r in report["rejections"] if r["url"].startswith("file:")} == {"blocked scheme file"}


def test_links_to_internal_hosts_are_refused(tmp_path):
    inner = Site()
    inner.add("/img/inner.png", content_type="image/png", body=encoded(photo_like(80, 80, 2), "PNG"))
    with serve(inner, host="127.0.0.2") as internal:
        page = (f'<img src="{internal.base}/img/inner.png"><img src="http://169.254.169.254/latest/meta.png">'
                '<img src="http://10.0.0.1/x.png"><img src="/img/ok.png">'
                f'<a href="{internal.base}/page.html">next</a>')
        outer = Site()
        outer.add("/robots.txt", content_type="text/plain", body="")
        outer.add("/", body=page)
        outer.add("/img/ok.png", content_type="image/png", body=encoded(photo_like(80, 80, 1), "PNG"))
        with serve(outer) as start:
            rows, report, _ = run_scrape(tmp_path, {"sample": True, "start_urls": [start.base + "/"],
                                               "allowed_domains": ["127.0.0.1", "127.0.0.2"],
                                               "max_depth": 1, "delay_s": 0.0, "timeout_s": 3.0})
    assert internal.requested == []  # not even robots.txt
    reasons = {r["url"]: r["reason"] for r in report["rejections"]}
    assert reasons[f"{internal.base}/img/inner.png"] == "blocked internal address 127.0.0.2"
    assert reasons[f"{internal.base}/page.html"] == "blocked internal address 127.0.0.2"
    assert reasons["http://169.254.169.254/latest/meta.png"] == "blocked internal address 169.254.169.254"
    assert reasons["http://10.0.0.1/x.png"] == "blocked internal address 10.0.0.1"
    assert any(r["url"] == f"{start.base}/img/ok.png" for r in rows)  # the start URL's own host is fine


@pytest.mark.parametrize(("address", "internal"), [
    ("127.0.0.1", True), ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True),
    ("169.254.169.254", True), ("100.64.0.1", True), ("0.0.0.0", True), ("224.0.0.1", True),
    ("::1", True), ("fe80::1", True), ("fc00::1", True), ("::ffff:127.0.0.1", True),
    ("93.184.216.34", False), ("2606:4700::1111", False),
])
def test_internal_addresses(address, internal):
    assert is_internal(address) is internal


def test_a_killed_crawl_exits_non_zero(tmp_path):
    site = Site()
    site.add("/robots.txt", content_type="text/plain", body="")
    site.add("/", body="".join(f'<a href="/p{i}.html">p</a>' for i in range(20)))
    for i in range(20):
        site.add(f"/p{i}.html", body="<p>slow</p>", delay_s=3.0)
    with serve(site):
        params = write_params(tmp_path / "params.yaml", tiny_params(scrape={
            "sample": True, "start_urls": [site.base + "/"], "max_depth": 1, "delay_s": 0.0, "timeout_s": 30.0}))
        proc = subprocess.Popen([sys.executable, "-m", "pipeline.stages.scrape", str(tmp_path / "raw"), "--params",
                                 str(params)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not any(p.startswith("/p") for p in site.requested) and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "ended with 'shutdown', not 'finished'" in err


def test_a_finished_crawl_with_caps_exits_zero(tmp_path):
    # max_images ends the crawl early but normally: that is a result, not a failure.
    proc = python("-m", "pipeline.stages.scrape", str(tmp_path / "raw"), "--params",
                  str(write_params(tmp_path / "params.yaml", tiny_params(scrape={"max_images": 3}))))
    assert proc.returncode == 0
    assert 1 <= len(list((tmp_path / "raw" / "images").iterdir())) <= 3
