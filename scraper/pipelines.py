"""Download images with Scrapy's FilesPipeline, keeping the original bytes.

FilesPipeline, not ImagesPipeline: the latter re-encodes PNG, WebP and grayscale files
as JPEG, and those artefacts would become the model's ground truth. On top of the stock
pipeline this one:
- checks every download is a whole, sane image before it is stored;
- names files by the SHA-1 of their content, so one image found at two URLs is stored once;
- writes `manifest.csv` (one row per stored image) and `report.json` (every rejection).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline
from scrapy.pipelines.media import FileException
from twisted.python.failure import Failure

from pipeline.imaging.images import FORMAT_SUFFIX, BadImage, open_image
from pipeline.outputs import write_json
from pipeline.tables import write_table
from scraper.rejections import failure_reason, original_url

MANIFEST_FIELDS = ["path", "sha1", "url", "also_at", "page_url", "bytes", "width", "height",
                   "format", "license", "creator", "title"]


log = logging.getLogger(__name__)


class Rejected(Exception):
    pass


@dataclass(frozen=True)
class ImageFacts:
    sha1: str
    width: int
    height: int
    format: str
    bytes: int


# BadImage reason codes as the crawl report words them.
REJECTION = {"not_image": "not an image", "bomb": "decompression bomb", "undecodable": "truncated or corrupt image"}


def inspect_image(body: bytes, max_pixels: int, min_width: int, min_height: int) -> ImageFacts:
    """Decode `body` fully; raise Rejected with the reason it cannot be used."""
    try:
        with open_image(body, max_pixels, name="download") as img:
            width, height, fmt = img.width, img.height, img.format
            img.load()
    except BadImage as e:
        raise Rejected(REJECTION.get(e.reason, e.reason)) from None
    if width < min_width or height < min_height:
        raise Rejected("smaller than min_width x min_height")
    return ImageFacts(hashlib.sha1(body).hexdigest(), width, height, fmt, len(body))


class PhotoFilesPipeline(FilesPipeline):
    FACTS = "supersizer_image"
    # Each failure is logged once, with its reason, by media_failed below.
    LOG_FAILED_RESULTS = False

    def __init__(self, store_uri, *, crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        s = crawler.settings
        self.max_pixels = s.getint("SUPERSIZER_MAX_PIXELS")
        self.min_width = s.getint("SUPERSIZER_MIN_WIDTH")
        self.min_height = s.getint("SUPERSIZER_MIN_HEIGHT")
        self.max_total_bytes = s.getint("SUPERSIZER_MAX_TOTAL_BYTES")
        self.manifest_path = Path(s["SUPERSIZER_MANIFEST"])
        self.report_path = Path(s["SUPERSIZER_REPORT"])
        self.store_dir = Path(s["FILES_STORE"])
        # Absolute local paths (the sample gallery) are written under a stable alias.
        self.url_aliases: dict[str, str] = dict(s.getdict("SUPERSIZER_URL_ALIASES"))
        self.stored_bytes = 0
        self.rows: dict[str, dict] = {}

    def _rejections(self):
        return self.crawler.spider.rejections

    def file_path(self, request, response=None, info=None, *, item=None) -> str:
        facts: ImageFacts | None = request.meta.get(self.FACTS)
        if response is None or facts is None:
            # Asked before download, to see whether it is stored already: content-addressed
            # names are unknown until the bytes arrive, so this path never exists.
            return f"pending/{hashlib.sha1(request.url.encode()).hexdigest()}"
        return f"{facts.sha1}{FORMAT_SUFFIX[facts.format]}"

    def get_media_requests(self, item, info):
        # The item's source goes with each download: the fetch policy is per source.
        adapter = ItemAdapter(item)
        return [Request(u, callback=NO_CALLBACK, meta={"source": adapter["source"]}) for u in adapter["file_urls"]]

    async def media_downloaded(self, response, request, info, *, item=None):
        try:
            if why := self.crawler.spider.policy.refuse_redirect(response, request.meta.get("source")):
                raise Rejected(why)
            if response.status != 200:
                raise Rejected(f"http {response.status}")
            facts = inspect_image(response.body, self.max_pixels, self.min_width, self.min_height)
            if self.stored_bytes + facts.bytes > self.max_total_bytes:
                raise Rejected("max_total_bytes reached")
        except Rejected as e:
            self._rejections().add(original_url(request), str(e))
            raise FileException(str(e)) from None
        self.stored_bytes += facts.bytes
        request.meta[self.FACTS] = facts
        result = await super().media_downloaded(response, request, info, item=item)
        return {**result, "facts": facts}

    def media_failed(self, failure: Failure, request, info):
        reason = str(failure.value) if isinstance(failure.value, FileException) else failure_reason(failure)
        self._rejections().add(original_url(request), reason)
        log.warning("rejected %s: %s", original_url(request), reason)
        raise FileException(reason)

    def item_completed(self, results, item, info):
        item = super().item_completed(results, item, info)
        adapter = ItemAdapter(item)
        for stored in adapter["files"]:
            self._remember(stored, adapter)
        return item

    def _alias(self, url: str) -> str:
        for prefix, alias in self.url_aliases.items():
            if url.startswith(prefix):
                return alias + url[len(prefix):]
        return url

    def _remember(self, stored: dict, item: ItemAdapter) -> None:
        facts: ImageFacts = stored["facts"]
        url = self._alias(stored["url"])
        row = self.rows.get(facts.sha1)
        if row is None:
            self.rows[facts.sha1] = {
                "path": f"images/{stored['path']}", "sha1": facts.sha1, "urls": {url},
                "page_url": self._alias(item["page_url"]), "bytes": facts.bytes,
                "width": facts.width, "height": facts.height, "format": facts.format,
                "license": item.get("license", ""), "creator": item.get("creator", ""),
                "title": item.get("title", ""),
            }
        else:
            row["urls"].add(url)

    def close_spider(self, spider=None) -> None:
        rows = []
        for row in sorted(self.rows.values(), key=lambda r: r["path"]):
            urls = sorted(row.pop("urls"))
            rows.append({**row, "url": urls[0], "also_at": " ".join(urls[1:])})
        write_table(rows, MANIFEST_FIELDS, self.manifest_path)
        rejections = self._rejections()
        report = {
            "stored": len(rows),
            "duplicates_merged": sum(len(r["also_at"].split()) for r in rows),
            "rejected": rejections.counts(),
            "rejections": [{**r, "url": self._alias(r["url"])} for r in rejections.rows()],
        }
        write_json(report, self.report_path)
        spider = self.crawler.spider
        log.info("crawl done: %d pages requested, %d images stored (%d duplicate URLs merged), "
                 "%d rejected: %s", spider.pages_requested, len(rows), report["duplicates_merged"],
                 sum(report["rejected"].values()),
                 ", ".join(f"{n} {r}" for r, n in report["rejected"].items()) or "none")
        # The pre-download probe paths are never written; remove the folder if Scrapy made it.
        pending = self.store_dir / "pending"
        if pending.is_dir() and not any(pending.iterdir()):
            pending.rmdir()
