"""`python -m pipeline.upscale`: upscale your photos (pipeline/tools/upscale.py)."""

import sys

from pipeline.tools.upscale import main

if __name__ == "__main__":
    sys.exit(main())
