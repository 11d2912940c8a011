"""`python -m pipeline.deepen`: a trained model with more blocks, computing the same (pipeline/tools/deepen.py)."""

import sys

from pipeline.tools.deepen import main

if __name__ == "__main__":
    sys.exit(main())
