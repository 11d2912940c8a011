"""Run the whole pipeline with a params preset, as one DVC experiment in the workspace.

    python -m pipeline.preset clean [--dry-run]

A preset is presets/<name>.yaml: a description and `set:`, dotted params keys with their
values (on top of another preset's with `extends: <name>`). They are checked against
params.yaml first (a bad key or value stops here, naming the preset file), the folders it
crawls must exist, then the experiment runs as
`dvc exp run -n <name> -S key=value ...` (printed first: paste it to run it by hand). It
runs in the workspace, not a temp copy, because the photo folders a preset crawls are
git-ignored. When it ends, models/release/<name>.run.json records what ran, how long, on
which CPU and from which commit: `python -m pipeline.ship <name>` turns the run into the
shipped model and its card.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

from pipeline.cli import tool_parser
from pipeline.machine import machine
from pipeline.outputs import write_json
from pipeline.params import PARAMS_FILE, ParamsError, load_params, parse_yaml, with_overrides
from pipeline.tools.experiments import exp_run_command
from pipeline.upscaling.models import RELEASE
from scraper.folders import check_folders

PRESETS = Path(__file__).resolve().parents[2] / "presets"


def load_preset(name: str, need_folders: bool = True) -> tuple[Path, dict, dict[str, object]]:
    """(file, whole preset, its `set:` overrides) of presets/<name>.yaml, checked against
    params.yaml, and (`need_folders`) the photo folders it crawls there."""
    path = PRESETS / f"{name}.yaml"
    if not path.is_file():
        found = ", ".join(sorted(p.stem for p in PRESETS.glob("*.yaml"))) or "none"
        raise ParamsError(f"{path}: no such preset (presets: {found})")
    preset = parse_yaml(path.read_text(), str(path))
    if not isinstance(preset, dict) or not isinstance(preset.get("set"), dict):
        raise ParamsError(f"{path}: a preset is a mapping with `set:`, the dotted keys it changes")
    values = dict(preset["set"])
    if base := preset.get("extends"):  # another preset's values first, this one's on top
        if base == name:
            raise ParamsError(f"{path}: a preset cannot extend itself")
        values = {**load_preset(base, need_folders=False)[2], **values}
    try:
        params = with_overrides(load_params(PARAMS_FILE), values)
    except ParamsError as e:
        raise ParamsError(f"{path}: {str(e).removeprefix('override: ')}") from None
    if need_folders:
        problems = check_folders(params.scrape.folders)
        if params.train.init and not Path(params.train.init).is_file():
            problems.append(f"train.init={params.train.init!r}: no such model (models/init/README.md)")
        if problems:
            raise ParamsError(f"{path}: {'; '.join(problems)} (see the preset's `needs:`)")
    return path, preset, values


def commit() -> str:
    """HEAD's hash, with `+changes` when the working tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    return head + ("+changes" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("name", help="a preset in presets/ (without .yaml)")
    parser.add_argument("--dry-run", action="store_true", help="check the preset and print the command only")
    args = parser.parse_args(argv)
    try:
        path, preset, values = load_preset(args.name)
    except ParamsError as e:
        print(f"preset: {e}", file=sys.stderr)
        return 2
    command = exp_run_command(args.name, values)
    print(f"preset: {path.name}: {preset.get('description', '').strip()}\n{shlex.join(command)}", flush=True)
    if args.dry_run:
        return 0
    code_commit = commit()  # before the run, which writes params.yaml and dvc.lock
    started, status = time.monotonic(), subprocess.run(command).returncode
    seconds = round(time.monotonic() - started)
    if status == 0:
        write_json({"preset": args.name, "command": shlex.join(command), "seconds": seconds, "commit": code_commit,
                    "machine": machine()}, RELEASE / f"{args.name}.run.json")
    print(f"preset: {args.name} {'finished' if status == 0 else f'failed ({status})'} after {seconds} s",
          file=sys.stderr)
    return status
