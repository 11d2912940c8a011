"""A real HTTP server on 127.0.0.1 for tests and benchmarks: routes in, requests logged."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay_s: float = 0.0


NOT_FOUND = Route(404, {"Content-Type": "text/plain"}, b"missing")


class Site:
    """Path -> Route, plus `resolve` for paths that need logic (query strings)."""

    def __init__(self, routes: dict[str, Route] | None = None,
                 resolve: Callable[[str], str] | None = None) -> None:
        self.routes = dict(routes or {})
        self.resolve = resolve or (lambda path: path)
        self.requested: list[str] = []
        self.base = ""

    def add(self, path: str, status: int = 200, content_type: str = "text/html", body: bytes | str = b"",
            delay_s: float = 0.0, **headers: str) -> None:
        body = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(status, {"Content-Type": content_type, **headers}, body, delay_s)

    def respond(self, path: str) -> Route:
        self.requested.append(path)
        return self.routes.get(self.resolve(path), NOT_FOUND)


@contextlib.contextmanager
def serve(site: Site, host: str = "127.0.0.1") -> Iterator[Site]:
    """Serve `site` on a free port of `host`; `site.base` is its URL. `{base}` in a body is
    replaced by it, so pages can link absolute URLs on the same server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            route = site.respond(self.path)
            if route.delay_s:
                time.sleep(route.delay_s)
            body = route.body.replace(b"{base}", site.base.encode())
            try:
                self.send_response(route.status)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout under test): expected

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    site.base = f"http://{host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
