"""One spider for every source: the built-in sample gallery, site crawls and keyword search.

The spider only finds image URLs; downloading and checking them is the files pipeline's
job. Every URL it refuses (wrong scheme, failed page, bad search answer) is recorded
with a reason in `self.rejections`, which the pipeline writes to the crawl report.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import PurePosixPath
from urllib.parse import urlencode, urlparse

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from pipeline.images import IMAGE_SUFFIXES
from scraper.items import PhotoItem
from scraper.rejections import Rejections, failure_reason, original_url

SEARCH_PAGE_SIZE = 50


def largest_srcset_candidate(srcset: str) -> str | None:
    """The URL with the largest width (`800w`) or density (`2x`) descriptor in a srcset."""
    best, best_size = None, -1.0
    for candidate in srcset.split(","):
        parts = candidate.strip().split()
        if not parts:
            continue
        size = 1.0
        if len(parts) > 1 and parts[1][-1:] in ("w", "x"):
            try:
                size = float(parts[1][:-1])
            except ValueError:
                continue
        if size > best_size:
            best, best_size = parts[0], size
    return best


def looks_like_image(url: str) -> bool:
    return PurePosixPath(urlparse(url).path).suffix.lower() in IMAGE_SUFFIXES


def host_allowed(url: str, domains: frozenset[str]) -> bool:
    host = (urlparse(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


class PhotoSpider(scrapy.Spider):
    name = "photos"

    def __init__(self, start_urls: list[str], queries: list[str], search_api: str,
                 licenses: list[str], allowed_domains: list[str], max_depth: int,
                 max_images: int, max_pages: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page_urls = list(start_urls)
        self.queries = list(queries)
        self.search_api = search_api
        self.licenses = list(licenses)
        self.max_depth = max_depth
        self.max_images = max_images
        self.max_pages = max_pages
        used = self.page_urls + ([search_api] if queries else [])
        self.allowed_schemes = frozenset(urlparse(u).scheme for u in used)
        self.link_domains = frozenset(d.lower() for d in allowed_domains) or frozenset(
            (urlparse(u).hostname or "").lower() for u in self.page_urls)
        self.rejections = Rejections()
        self.pages_requested = 0
        self.pages_seen: set[str] = set()
        self.images_seen: set[str] = set()

    # Requests ---------------------------------------------------------------------------

    def _page_request(self, url: str, callback, **cb_kwargs) -> scrapy.Request | None:
        if url in self.pages_seen:
            return None
        self.pages_seen.add(url)
        if self.pages_requested >= self.max_pages:
            self.rejections.add(url, "max_pages reached")
            return None
        self.pages_requested += 1
        # dont_filter: pages are deduplicated above; Scrapy's duplicate filter would also
        # drop the second hop of a redirect loop silently, hiding it from the report.
        return scrapy.Request(url, callback=callback, errback=self.page_failed, cb_kwargs=cb_kwargs,
                              dont_filter=True)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.page_urls:
            if request := self._page_request(url, self.parse_page, depth=0):
                yield request
        for query in self.queries:
            if request := self._page_request(self.search_url(query, 1), self.parse_search,
                                             query=query, page=1):
                yield request

    def search_url(self, query: str, page: int) -> str:
        # Openverse: https://api.openverse.org/v1/#tag/images/operation/images_search
        args = {"q": query, "page": page, "page_size": SEARCH_PAGE_SIZE}
        if self.licenses:
            args["license"] = ",".join(self.licenses)
        return f"{self.search_api}?{urlencode(args)}"

    def page_failed(self, failure: Failure) -> None:
        self.rejections.add(original_url(failure.request), failure_reason(failure))

    # Candidate URLs ---------------------------------------------------------------------

    def _usable(self, url: str) -> bool:
        scheme = urlparse(url).scheme
        if scheme not in self.allowed_schemes:
            self.rejections.add(url, f"blocked scheme {scheme or 'none'}")
            return False
        return True

    def _take_images(self, urls: Iterator[str]) -> list[str]:
        """Deduplicated, scheme-checked image URLs, up to the run's image cap."""
        taken = []
        for url in urls:
            if url in self.images_seen or not self._usable(url):
                continue
            if len(self.images_seen) >= self.max_images:
                self.rejections.add(url, "max_images reached")
                continue
            self.images_seen.add(url)
            taken.append(url)
        return taken

    # Parsers ----------------------------------------------------------------------------

    def parse_page(self, response: Response, depth: int):
        if not isinstance(response, TextResponse):
            self.rejections.add(response.url, "page is not html")
            return
        images, links = [], []
        for img in response.css("img"):
            if src := img.attrib.get("src"):
                images.append(src)
            if (srcset := img.attrib.get("srcset")) and (best := largest_srcset_candidate(srcset)):
                images.append(best)
        images += response.css('meta[property="og:image"]::attr(content)').getall()
        for href in response.css("a::attr(href)").getall():
            (images if looks_like_image(href) else links).append(href)

        found = self._take_images(response.urljoin(u.strip()) for u in images if u.strip())
        if found:
            # A page-wide licence, if the page declares one the standard way (rel="license").
            license_ = response.css('link[rel~="license"]::attr(href), a[rel~="license"]::attr(href)').get("")
            yield PhotoItem(page_url=response.url, file_urls=found, license=license_.strip())
        if depth >= self.max_depth:
            return
        for href in links:
            url = response.urljoin(href.strip()).split("#", 1)[0]
            if not url or not self._usable(url):
                continue
            if not host_allowed(url, self.link_domains):
                continue  # offsite links are expected on any page: not a rejection
            if request := self._page_request(url, self.parse_page, depth=depth + 1):
                yield request

    def parse_search(self, response: Response, query: str, page: int):
        try:
            data = json.loads(response.text)
            results = data["results"]
        except (ValueError, KeyError, TypeError, AttributeError):
            self.rejections.add(response.url, "search answer is not the expected JSON")
            return
        for hit in results:
            if not isinstance(hit, dict) or not isinstance(hit.get("url"), str):
                self.rejections.add(response.url, "search hit without an image url")
                continue
            found = self._take_images(iter([hit["url"]]))
            if not found:
                continue
            license_ = " ".join(str(hit.get(k) or "") for k in ("license", "license_version")).strip()
            yield PhotoItem(
                page_url=str(hit.get("foreign_landing_url") or response.url),
                file_urls=found,
                license=license_,
                creator=str(hit.get("creator") or ""),
                title=str(hit.get("title") or ""),
            )
        page_count = data.get("page_count") if isinstance(data, dict) else None
        more = isinstance(page_count, int) and page < page_count and len(self.images_seen) < self.max_images
        if more and (request := self._page_request(self.search_url(query, page + 1), self.parse_search,
                                                   query=query, page=page + 1)):
            yield request
