"""The command lines every stage and tool shares: the docstring as help, --params, --processes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline.params import PARAMS_FILE, Params, ParamsError, load_params


def default_processes() -> int:
    """The cores this process may use (a container or taskset may allow fewer than exist)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def command_name() -> str | None:
    """`python -m pipeline.serve` for a command started that way: argparse would say `serve.py`
    in every usage and error line, a file the user never typed (None: argparse's default)."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(spec, "name", "") or ""
    return f"python -m {name}" if name.split(".")[0] in ("pipeline", "benchmarks", "scripts") else None


def tool_parser(doc: str | None) -> argparse.ArgumentParser:
    """A parser that shows the module's docstring, usage lines included, as its help."""
    return argparse.ArgumentParser(prog=command_name(), description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def stage_parser(doc: str | None, processes: bool = False) -> argparse.ArgumentParser:
    parser = tool_parser(doc)
    parser.add_argument("--params", type=Path, default=PARAMS_FILE, help="params file (default: params.yaml)")
    if processes:
        parser.add_argument("--processes", type=int, default=default_processes(),
                            help="worker processes (default: all cores)")
    return parser


def stage_params(args: argparse.Namespace) -> Params:
    """The params file named by --params, or exit with the one-line error naming the key."""
    try:
        return load_params(args.params)
    except ParamsError as e:
        raise SystemExit(str(e)) from None


def folder_stage_args(doc: str | None, src_help: str) -> tuple[argparse.Namespace, Params]:
    """`SRC OUT [--params] [--processes]`, the command line of a stage that maps one folder of
    split images onto another (crop, downscale), parsed; and its params."""
    parser = stage_parser(doc, processes=True)
    parser.add_argument("src", type=Path, help=src_help)
    parser.add_argument("out", type=Path, help="output folder (emptied first: see pipeline/outputs.py)")
    args = parser.parse_args()
    return args, stage_params(args)
