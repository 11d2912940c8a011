"""Every request, the spider's and Scrapy's own (redirects, media, robots.txt), passes the
crawl's FetchPolicy before any download handler sees it (scraper/policy.py)."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from scraper.policy import WEB_SCHEMES, host_port


def _resolve(host: str, port: int) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


class FetchGuardMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.resolved: dict[tuple[str, int], list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FetchGuardMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        policy = self.crawler.spider.policy
        why = policy.refuse(request.url, request.meta.get("source"))
        if why is None and urlparse(request.url).scheme in WEB_SCHEMES:
            why = policy.refuse_addresses(request.url, await self._addresses(request.url))
        if why:
            raise IgnoreRequest(why)

    async def _addresses(self, url: str) -> list[str]:
        """The host's addresses, looked up once per crawl off the reactor thread. (The
        download resolves again; a DNS answer that changes in between is not caught.)"""
        key = host_port(url)
        if key not in self.resolved:
            try:
                self.resolved[key] = await maybe_deferred_to_future(deferToThread(_resolve, *key))
            except OSError:
                self.resolved[key] = []  # let the download fail with Scrapy's own DNS error
        return self.resolved[key]
