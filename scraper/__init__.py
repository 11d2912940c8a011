"""The Scrapy project behind the `scrape` stage (run it with `python -m pipeline.scrape`)."""
