"""`python -m pipeline.worker`: run jobs of a scaled-out web server (pipeline/web/worker.py)."""

import sys

from pipeline.web.worker import main

if __name__ == "__main__":
    sys.exit(main())
