"""`python -m pipeline.preset`: the whole pipeline with a params preset (pipeline/tools/preset.py)."""

import sys

from pipeline.tools.preset import main

if __name__ == "__main__":
    sys.exit(main())
