"""`python -m pipeline.serve`: the web page and its API (pipeline/web/serve.py)."""

import sys

from pipeline.web.serve import main

if __name__ == "__main__":
    sys.exit(main())
