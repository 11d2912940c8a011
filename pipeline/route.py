"""`python -m pipeline.route`: fit the photo model's router (pipeline/tools/route.py)."""

import sys

from pipeline.tools.route import main

if __name__ == "__main__":
    sys.exit(main())
