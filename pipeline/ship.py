"""`python -m pipeline.ship`: a preset run's model into models/release, with its card (pipeline/tools/ship.py)."""

import sys

from pipeline.tools.ship import main

if __name__ == "__main__":
    sys.exit(main())
