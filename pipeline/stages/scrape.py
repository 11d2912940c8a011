"""Stage `scrape`: crawl the configured sources into data/raw (images/, manifest.csv, report.json).

    python -m pipeline.stages.scrape data/raw

The crawl itself is the Scrapy project in scraper/ (scraper/crawl.py runs it).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.cli import stage_params, stage_parser
from scraper.crawl import crawl


def main() -> None:
    parser = stage_parser(__doc__)
    parser.add_argument("out", type=Path, help="output folder, e.g. data/raw")
    args = parser.parse_args()
    p = stage_params(args).scrape
    try:
        finish, errors = crawl(p, args.out)
    except ValueError as e:  # a scrape.folders entry that is not a folder
        raise SystemExit(f"scrape: {args.params}: {e}") from None
    report = (args.out / "report.json").read_text()
    print(f"scrape: wrote {args.out}/manifest.csv and report.json\n{report[:2000]}")
    # Caps (max_images, max_pages, ...) end a crawl normally, with "finished"; anything else
    # (a kill, Ctrl-C, an engine error) leaves a partial crawl that must not look complete.
    if finish != "finished":
        raise SystemExit(f"scrape: the crawl ended with {finish!r}, not 'finished': {args.out} is incomplete")
    if errors:
        raise SystemExit(f"scrape: {errors} exception(s) in the spider (see the log): {args.out} may be incomplete")


if __name__ == "__main__":
    main()
