"""Crawl a generated loopback site (500 pages, 2,000 images) with the real scrape stage.

    python -m benchmarks.scrape_bench [--pages 500] [--images-per-page 4]

Reports pages/s, images/s and the crawler's peak memory. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from benchmarks.common import REPO, run_child, save
from tests.support.loopback import Site, serve


def make_site(pages: int, per_page: int) -> Site:
    rng = np.random.default_rng(0)
    site = Site()
    site.add("/robots.txt", content_type="text/plain", body="User-agent: *\nAllow: /\n")
    links = "".join(f'<a href="/p/{i}.html">{i}</a>' for i in range(pages))
    site.add("/", body=f"<html><body>{links}</body></html>")
    for i in range(pages):
        imgs = "".join(f'<img src="/img/{i}_{k}.png">' for k in range(per_page))
        site.add(f"/p/{i}.html", body=f"<html><body><h1>{i}</h1>{imgs}</body></html>")
        for k in range(per_page):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)).save(buf, format="PNG")
            site.add(f"/img/{i}_{k}.png", content_type="image/png", body=buf.getvalue())
    return site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--images-per-page", type=int, default=4)
    args = parser.parse_args()
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    with serve(make_site(args.pages, args.images_per_page)) as site, tempfile.TemporaryDirectory() as tmp:
        params["scrape"].update(sample=False, start_urls=[f"{site.base}/"], max_depth=1, max_pages=args.pages + 10,
                                max_images=args.pages * args.images_per_page + 10, delay_s=0.0)
        p = Path(tmp) / "params.yaml"
        p.write_text(yaml.safe_dump(params))
        r = run_child(["pipeline.stages.scrape", str(Path(tmp) / "raw"), "--params", str(p)])
        stored = len(list((Path(tmp) / "raw" / "images").iterdir()))
    images = args.pages * args.images_per_page
    save("scrape", {"pages": args.pages + 1, "images": images, "stored": stored, "seconds": round(r["run_s"], 2),
                    "pages_per_s": round((args.pages + 1) / r["run_s"], 1),
                    "images_per_s": round(stored / r["run_s"], 1), "peak_mib": round(r["peak_mib"])})


if __name__ == "__main__":
    main()
