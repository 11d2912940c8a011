"""What the crawler may fetch, decided per source (see docs/security.md).

A crawl mixes sources: the offline sample gallery (file://), site crawls and keyword
search (http/https). Every request carries the name of the source it came from, and
everything found in a response inherits that source, so:
- file:// is fetched only for a source that started on file://, only below that source's
  own folders, and only for regular files no larger than the per-file cap (never a FIFO,
  a device or a symlink that leads out);
- anything discovered from an http(s) response is http(s), whatever other sources run;
- hosts that resolve to loopback, private, link-local, multicast or reserved addresses are
  refused, unless that exact address and port is where a start URL points (how a crawl of
  your own intranet server, or the tests' 127.0.0.1 servers, works).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

WEB_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Source:
    """A start of the crawl: its name goes into every request's meta as "source"."""

    name: str
    schemes: frozenset[str]
    file_roots: tuple[Path, ...] = ()


def file_source(name: str, roots: list[Path]) -> Source:
    return Source(name, frozenset({"file"}), tuple(Path(os.path.realpath(r)) for r in roots))


def web_source(name: str) -> Source:
    return Source(name, WEB_SCHEMES)


def host_port(url: str) -> tuple[str, int]:
    parts = urlparse(url)
    return (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(parts.scheme, 0)


def is_internal(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified: not the public web."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class FetchPolicy:
    def __init__(self, sources: list[Source], start_urls: list[str], max_file_bytes: int) -> None:
        self.sources = {s.name: s for s in sources}
        self.max_file_bytes = max_file_bytes
        # (address, port) pairs a start URL names literally: the only internal places allowed.
        self.internal_ok = frozenset(host_port(u) for u in start_urls if urlparse(u).scheme in WEB_SCHEMES)

    def refuse(self, url: str, source: str | None) -> str | None:
        """Why `url` may not be fetched for `source` (None: it may, pending the host check).

        Requests without a source are Scrapy's own (robots.txt): web schemes only."""
        scheme = urlparse(url).scheme
        allowed = self.sources[source].schemes if source in self.sources else WEB_SCHEMES
        if scheme not in allowed:
            return f"blocked scheme {scheme or 'none'}"
        if scheme == "file":
            return self._refuse_file(url, self.sources[source])
        return None

    def _refuse_file(self, url: str, source: Source) -> str | None:
        parts = urlparse(url)
        if parts.netloc not in ("", "localhost"):
            return "blocked file on another host"
        path = Path(os.path.realpath(url2pathname(parts.path)))  # symlinks resolved first
        if not any(path.is_relative_to(root) for root in source.file_roots):
            return "blocked file outside the source's folder"
        if not path.is_file():
            return "not a regular file" if path.exists() else "cannot read file"
        if path.stat().st_size > self.max_file_bytes:
            return "larger than max_file_bytes"
        return None

    def refuse_redirect(self, response, source: str | None) -> str | None:
        """Why a 3xx `response` was not followed: Scrapy follows redirects to http(s) only,
        so one to file:// (or other schemes) arrives as a plain 3xx; name the reason."""
        location = response.headers.get("Location", b"").decode("latin-1")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return None
        return self.refuse(response.urljoin(location), source)

    def refuse_addresses(self, url: str, addresses: list[str]) -> str | None:
        """Why a web URL whose host resolved to `addresses` may not be fetched."""
        host, port = host_port(url)
        for address in addresses:
            if is_internal(address) and (host, port) not in self.internal_ok \
                    and (address, port) not in self.internal_ok:
                return f"blocked internal address {address}"
        return None
