"""The command line every stage shares: its docstring as help, --params, and --jobs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pipeline.params import PARAMS_FILE, Params, ParamsError, load_params


def default_jobs() -> int:
    """The cores this process may use (a container or taskset may allow fewer than exist)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def stage_parser(doc: str | None, jobs: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=Path, default=PARAMS_FILE, help="params file (default: params.yaml)")
    if jobs:
        parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: all cores)")
    return parser


def stage_params(args: argparse.Namespace) -> Params:
    """The params file named by --params, or exit with the one-line error naming the key."""
    try:
        return load_params(args.params)
    except ParamsError as e:
        raise SystemExit(str(e)) from None
