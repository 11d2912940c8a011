"""`python -m pipeline.search`: a hyper-parameter search over DVC experiments (pipeline/tools/search.py)."""

import sys

from pipeline.tools.search import main

if __name__ == "__main__":
    sys.exit(main())
