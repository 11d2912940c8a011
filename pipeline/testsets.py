"""`python -m pipeline.testsets`: score a model on folders of HR images (pipeline/tools/testsets.py)."""

import sys

from pipeline.tools.testsets import main

if __name__ == "__main__":
    sys.exit(main())
