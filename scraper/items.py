from dataclasses import dataclass, field


@dataclass
class PhotoItem:
    """Image URLs found on one page (or one search hit), with what is known of their rights."""

    page_url: str
    file_urls: list[str]
    source: str  # the crawl source the URLs were found from (scraper/policy.py)
    license: str = ""
    creator: str = ""
    title: str = ""
    files: list[dict] = field(default_factory=list)
