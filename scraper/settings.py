"""Crawler defaults. `pipeline.scrape` layers the params-derived values on top of these."""

BOT_NAME = "supersizer"
SPIDER_MODULES = ["scraper.spiders"]

# Identify ourselves and be polite: https://docs.scrapy.org/en/latest/topics/practices.html#avoiding-getting-banned
USER_AGENT = "supersizer/0.1 (image super-resolution research crawler; +https://github.com/supersizer/supersizer)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
# DOWNLOAD_DELAY, DOWNLOAD_TIMEOUT and DOWNLOAD_MAXSIZE come from params.yaml's `scrape`
# section (pipeline/scrape.py sets them for each run), as does AUTOTHROTTLE_START_DELAY.

# https://docs.scrapy.org/en/latest/topics/autothrottle.html
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# https://docs.scrapy.org/en/latest/topics/downloader-middleware.html
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
DOWNLOAD_WARNSIZE = 0
DOWNLOADER_MIDDLEWARES = {
    # Before everything else, so nothing the policy refuses reaches robots.txt or a download handler.
    "scraper.middlewares.FetchGuardMiddleware": 50,
}

# https://docs.scrapy.org/en/latest/topics/media-pipeline.html (FILES_STORE is set per run)
ITEM_PIPELINES = {"scraper.pipelines.PhotoFilesPipeline": 100}
MEDIA_ALLOW_REDIRECTS = True

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 10.0
