"""`python -m pipeline.detector`: train the router's kernel detector (pipeline/tools/detector.py)."""

import sys

from pipeline.tools.detector import main

if __name__ == "__main__":
    sys.exit(main())
