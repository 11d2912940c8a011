"""Which model a tool runs: the --model option every tool shares, and loading it (or exiting 2
with the reason, before any other work)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.upscaling.inference import load_model

DEFAULT_MODEL = Path("models/model.keras")


def add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                        help=f"a trained .keras model (default: {DEFAULT_MODEL}, made by `dvc repro`)")


def load_or_exit(path: Path, prog: str):
    """The model at `path`; a missing or unreadable file prints `prog: reason` and exits 2."""
    try:
        return load_model(path)
    except (FileNotFoundError, ValueError, OSError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        raise SystemExit(2) from None
