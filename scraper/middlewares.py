from __future__ import annotations

from urllib.parse import urlparse

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest


class SchemeGuardMiddleware:
    """Drop any request whose scheme the start URLs did not use.

    Scrapy's download handlers include file://, so without this an http page (or a
    redirect) pointing at file:///etc/passwd would be read. It also covers the media
    pipeline's downloads and redirects, which bypass the spider's own link checks.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchemeGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        scheme = urlparse(request.url).scheme
        if scheme not in self.crawler.spider.allowed_schemes:
            raise IgnoreRequest(f"blocked scheme {scheme}")
