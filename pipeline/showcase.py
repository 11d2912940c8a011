"""`python -m pipeline.showcase`: the README's before/after picture (pipeline/tools/showcase.py)."""

import sys

from pipeline.tools.showcase import main

if __name__ == "__main__":
    sys.exit(main())
