"""One spider for every source: the built-in sample gallery, site crawls and keyword search.

The spider only finds image URLs; downloading and checking them is the files pipeline's
job. Every URL it refuses (what the fetch policy forbids, failed page, bad search answer)
is recorded with a reason in `self.rejections`, which the pipeline writes to the report.
Each request carries its source's name in meta["source"], and whatever a response links
inherits it: the fetch policy (scraper/policy.py) is per source.

Just over 200 lines: the three sources share the request/refusal bookkeeping, which is
what keeps every refused URL recorded the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlencode, urlparse
from urllib.request import url2pathname

import scrapy
from pydantic import ValidationError
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.imaging.images import IMAGE_SUFFIXES
from scraper.items import OpenverseAnswer, OpenverseHit, PhotoItem
from scraper.policy import FetchPolicy, Source, file_source, web_source
from scraper.rejections import Rejections, failure_reason, original_url

SEARCH_PAGE_SIZE = 50
SEARCH = "search"  # the source name of every keyword-search request


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
                 max_images: int, max_pages: int, max_file_bytes: int,
                 file_roots: dict[str, list[Path]] | None = None, passed_over: list[tuple[str, str]] = (),
                 **kwargs) -> None:
        """`file_roots` adds folders a file:// start URL may read beyond its own (a gallery page
        lives in a temp folder and links images in the libraries' or the user's folders);
        `passed_over` are (URL, reason) pairs the gallery writer did not link, for the report."""
        super().__init__(**kwargs)
        self.queries = list(queries)
        self.search_api = search_api
        self.licenses = list(licenses)
        self.max_depth = max_depth
        self.max_images = max_images
        self.max_pages = max_pages
        self.starts: list[tuple[str, Source]] = []
        for i, url in enumerate(start_urls):
            if urlparse(url).scheme == "file":
                own = Path(url2pathname(urlparse(url).path)).parent
                source = file_source(f"start{i}", [own, *(file_roots or {}).get(url, [])])
            else:
                source = web_source(f"start{i}")
            self.starts.append((url, source))
        sources = [s for _, s in self.starts] + [web_source(SEARCH)]
        self.policy = FetchPolicy(sources, list(start_urls) + ([search_api] if queries else []), max_file_bytes)
        self.link_domains = frozenset(d.lower() for d in allowed_domains) or frozenset(
            (urlparse(u).hostname or "").lower() for u in start_urls)
        self.rejections = Rejections()
        for url, why in passed_over:
            self.rejections.add(url, why)
        self.pages_requested = 0
        self.pages_seen: set[str] = set()
        self.images_seen: set[str] = set()

    # Requests ---------------------------------------------------------------------------

    def _page_request(self, url: str, source: str, callback, **cb_kwargs) -> scrapy.Request | None:
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
                              meta={"source": source}, dont_filter=True)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url, source in self.starts:
            if request := self._page_request(url, source.name, self.parse_page, depth=0):
                yield request
        for query in self.queries:
            if request := self._page_request(self.search_url(query, 1), SEARCH, self.parse_search,
                                             query=query, page=1):
                yield request

    def search_url(self, query: str, page: int) -> str:
        # Openverse: https://api.openverse.org/v1/#tag/images/operation/images_search
        args = {"q": query, "page": page, "page_size": SEARCH_PAGE_SIZE}
        if self.licenses:
            args["license"] = ",".join(self.licenses)
        return f"{self.search_api}?{urlencode(args)}"

    def page_failed(self, failure: Failure) -> None:
        why = None
        if isinstance(failure.value, HttpError):
            why = self.policy.refuse_redirect(failure.value.response, failure.request.meta.get("source"))
        self.rejections.add(original_url(failure.request), why or failure_reason(failure))

    # Candidate URLs ---------------------------------------------------------------------

    def _usable(self, url: str, source: str) -> bool:
        """Whether the policy lets `source` fetch `url` (the host check follows at download)."""
        if why := self.policy.refuse(url, source):
            self.rejections.add(url, why)
            return False
        return True

    def _take_images(self, urls: Iterator[str], source: str) -> list[str]:
        """Deduplicated, policy-checked image URLs, up to the run's image cap."""
        taken = []
        for url in urls:
            if url in self.images_seen or not self._usable(url, source):
                continue
            if len(self.images_seen) >= self.max_images:
                self.rejections.add(url, "max_images reached")
                continue
            self.images_seen.add(url)
            taken.append(url)
        return taken

    # Parsers ----------------------------------------------------------------------------

    def parse_page(self, response: Response, depth: int):
        source = response.meta["source"]
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

        found = self._take_images((response.urljoin(u.strip()) for u in images if u.strip()), source)
        if found:
            # A page-wide licence, if the page declares one the standard way (rel="license").
            license_ = response.css('link[rel~="license"]::attr(href), a[rel~="license"]::attr(href)').get("")
            yield PhotoItem(page_url=response.url, file_urls=found, source=source, license=license_.strip())
        if depth >= self.max_depth:
            return
        for href in links:
            url = response.urljoin(href.strip()).split("#", 1)[0]
            if not url or not self._usable(url, source):
                continue
            if not host_allowed(url, self.link_domains):
                continue  # offsite links are expected on any page: not a rejection
            if request := self._page_request(url, source, self.parse_page, depth=depth + 1):
                yield request

    def parse_search(self, response: Response, query: str, page: int):
        try:
            answer = OpenverseAnswer.model_validate_json(response.body)
        except ValidationError:
            self.rejections.add(response.url, "search answer is not the expected JSON")
            return
        for raw in answer.results:
            try:
                hit = OpenverseHit.model_validate(raw)
            except ValidationError:
                self.rejections.add(response.url, "search hit without an image url")
                continue
            found = self._take_images(iter([hit.url]), SEARCH)
            if not found:
                continue
            yield PhotoItem(
                page_url=hit.foreign_landing_url or response.url,
                file_urls=found,
                source=SEARCH,
                license=f"{hit.license} {hit.license_version}".strip(),
                creator=hit.creator,
                title=hit.title,
            )
        more = answer.page_count is not None and page < answer.page_count
        if more and len(self.images_seen) < self.max_images and (
                request := self._page_request(self.search_url(query, page + 1), SEARCH, self.parse_search,
                                              query=query, page=page + 1)):
            yield request
