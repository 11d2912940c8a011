"""DVC experiments as the tools start them: params overrides written in Hydra's grammar, the
`dvc exp run` command line that carries them."""

from __future__ import annotations

import json


def hydra_value(value: object) -> str:
    """A value as `dvc exp run -S key=value` (Hydra's override grammar) reads it back:
    strings double-quoted, lists and mappings written out ([a,b], {key:value})."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    return repr(value)


def exp_run_command(name: str, values: dict[str, object], temp: bool = False) -> list[str]:
    """`dvc exp run [--temp] -n NAME -S key=value ...` (--temp: in a copy of the workspace)."""
    args = ["dvc", "exp", "run", *(["--temp"] if temp else []), "-n", name]
    for key, value in values.items():
        args += ["-S", f"{key}={hydra_value(value)}"]
    return args
