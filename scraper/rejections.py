"""Every URL the crawl could not use, with a short reason that groups well in a report."""

from __future__ import annotations

from collections import Counter

from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer, error
from twisted.python.failure import Failure


class Rejections:
    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def add(self, url: str, reason: str) -> None:
        # The first reason a URL earned is kept: a retry of a failed URL is the same failure.
        self._seen.setdefault(url, reason)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self._seen.values()).items()))

    def rows(self) -> list[dict[str, str]]:
        return [{"url": url, "reason": reason} for url, reason in sorted(self._seen.items())]


def original_url(request) -> str:
    """The URL that was asked for, before any redirects (what the report should name)."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def failure_reason(failure: Failure) -> str:
    """Map a download failure to a stable, human-readable reason."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http {exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text:
            return "robots.txt disallows"
        if "max redirections" in text:
            return "redirect loop"
        return text or "ignored"
    if isinstance(exc, (DownloadTimeoutError, defer.TimeoutError, error.TimeoutError)):
        return "timeout"
    if isinstance(exc, defer.CancelledError):
        return "larger than max_file_bytes"
    if isinstance(exc, (error.ConnectError, error.ConnectionLost, error.DNSLookupError)):
        return "connection failed"
    if isinstance(exc, OSError):
        return "cannot read file"
    return type(exc).__name__
