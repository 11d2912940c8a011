"""What the spider yields (PhotoItem) and what it reads from a search API (validated)."""

from dataclasses import dataclass, field

from pydantic import BaseModel, field_validator


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


class OpenverseHit(BaseModel):
    """One search hit; the answer is untrusted, so text fields that are not text are dropped
    (never stored as a Python repr) and a hit without a string `url` is refused."""

    url: str
    foreign_landing_url: str = ""
    license: str = ""
    license_version: str = ""
    creator: str = ""
    title: str = ""

    @field_validator("foreign_landing_url", "license", "license_version", "creator", "title", mode="before")
    @classmethod
    def _text_or_empty(cls, value: object) -> str:
        return value.strip() if isinstance(value, str) else ""


class OpenverseAnswer(BaseModel):
    results: list[object]
    page_count: int | None = None

    @field_validator("page_count", mode="before")
    @classmethod
    def _count_or_none(cls, value: object) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None
