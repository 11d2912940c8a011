"""One crawl of every configured source into a folder (images/, manifest.csv, report.json):
the Scrapy process the `scrape` stage runs, with the params-derived settings on top of
scraper/settings.py."""

from __future__ import annotations

import tempfile
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from pipeline.outputs import reset_folder
from pipeline.params import Scrape
from scraper.folders import check_folders, write_folder_galleries
from scraper.sample import write_galleries
from scraper.spiders.photos import PhotoSpider

# What a crawl writes into its output folder; reset_folder will not delete anything else.
OUTPUTS = ("images/*", "manifest.csv", "report.json")


def crawl_settings(p: Scrape, out: Path, aliases: dict[str, str], on_web: bool) -> Settings:
    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.setdict({
        "FILES_STORE": str((out / "images").resolve()),
        "DOWNLOAD_MAXSIZE": p.max_file_bytes,
        "DOWNLOAD_TIMEOUT": p.timeout_s,
        "DOWNLOAD_DELAY": p.delay_s,
        "AUTOTHROTTLE_START_DELAY": max(p.delay_s, 0.1),
        "SUPERSIZER_MAX_PIXELS": p.max_pixels,
        "SUPERSIZER_MIN_WIDTH": p.min_width,
        "SUPERSIZER_MIN_HEIGHT": p.min_height,
        "SUPERSIZER_MAX_TOTAL_BYTES": p.max_total_bytes,
        "SUPERSIZER_MANIFEST": str(out / "manifest.csv"),
        "SUPERSIZER_REPORT": str(out / "report.json"),
        "SUPERSIZER_URL_ALIASES": aliases,
    }, priority="cmdline")
    if not on_web or p.delay_s == 0:
        # Local sources (file://) or scrape.delay_s: 0 for your own server: no one to be polite to.
        settings.setdict({"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                          "CONCURRENT_REQUESTS_PER_DOMAIN": 8}, priority="cmdline")
    return settings


def crawl(p: Scrape, out: Path) -> tuple[str, int]:
    """Run one crawl of every source in `p`, replacing whatever `out` held; returns
    Scrapy's finish reason and the number of exceptions raised in the spider.

    Delays and AutoThrottle apply when a source is on the web and scrape.delay_s > 0."""
    if problems := check_folders(p.folders):
        raise ValueError("; ".join(problems))
    (reset_folder(out, owns=OUTPUTS) / "images").mkdir()
    with (tempfile.TemporaryDirectory(prefix="supersizer-gallery-") as tmp,
          tempfile.TemporaryDirectory(prefix="supersizer-folders-") as folder_pages):
        local, aliases = write_galleries(Path(tmp)) if p.sample else ([], {})
        galleries = write_folder_galleries(p.folders, Path(folder_pages))
        local, aliases = local + galleries.pages, {**aliases, **galleries.aliases}
        start_urls, roots = [url for url, _ in local] + list(p.start_urls), dict(local)
        on_web = bool(p.queries) or any(u.startswith("http") for u in p.start_urls)
        settings = crawl_settings(p, out, aliases, on_web)
        process = CrawlerProcess(settings)  # installs the root log handler (LOG_INSTALL_ROOT_HANDLER)
        crawler = process.create_crawler(PhotoSpider)
        process.crawl(crawler, start_urls=start_urls, queries=list(p.queries),
                      search_api=p.search_api, licenses=list(p.licenses),
                      allowed_domains=list(p.allowed_domains), max_depth=p.max_depth,
                      max_images=p.max_images, max_pages=p.max_pages, max_file_bytes=p.max_file_bytes,
                      file_roots=roots, passed_over=galleries.passed_over)
        process.start()
    stats = crawler.stats.get_stats()
    return stats.get("finish_reason", "not started"), stats.get("spider_exceptions/count", 0)
