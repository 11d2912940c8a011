"""Crawl a generated loopback site (500 pages, 2,000 images) with the real scrape stage.

    python -m benchmarks.scrape_bench [--pages 500] [--images-per-page 4]

Reports pages/s, images/s and the crawler's peak memory. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from benchmarks.common import REPO, run_child, save


def make_site(pages: int, per_page: int) -> dict[str, tuple[str, bytes]]:
    rng = np.random.default_rng(0)
    site = {"/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n")}
    links = "".join(f'<a href="/p/{i}.html">{i}</a>' for i in range(pages))
    site["/"] = ("text/html", f"<html><body>{links}</body></html>".encode())
    for i in range(pages):
        imgs = "".join(f'<img src="/img/{i}_{k}.png">' for k in range(per_page))
        site[f"/p/{i}.html"] = ("text/html", f"<html><body><h1>{i}</h1>{imgs}</body></html>".encode())
        for k in range(per_page):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)).save(buf, format="PNG")
            site[f"/img/{i}_{k}.png"] = ("image/png", buf.getvalue())
    return site


def serve(site: dict) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            kind, body = site.get(self.path, ("text/plain", b"missing"))
            self.send_response(200 if self.path in site else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--images-per-page", type=int, default=4)
    args = parser.parse_args()
    site = make_site(args.pages, args.images_per_page)
    server = serve(site)
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["scrape"].update(sample=False, start_urls=[f"http://127.0.0.1:{server.server_port}/"], max_depth=1,
                            max_pages=args.pages + 10, max_images=args.pages * args.images_per_page + 10,
                            delay_s=0.0)
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "params.yaml"
        p.write_text(yaml.safe_dump(params))
        r = run_child(["pipeline.scrape", str(Path(tmp) / "raw"), "--params", str(p)])
        stored = len(list((Path(tmp) / "raw" / "images").iterdir()))
    server.shutdown()
    images = args.pages * args.images_per_page
    save("scrape", {"pages": args.pages + 1, "images": images, "stored": stored, "seconds": round(r["run_s"], 2),
                    "pages_per_s": round((args.pages + 1) / r["run_s"], 1),
                    "images_per_s": round(stored / r["run_s"], 1), "peak_mib": round(r["peak_mib"])})


if __name__ == "__main__":
    main()
