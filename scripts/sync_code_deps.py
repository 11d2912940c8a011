"""Rewrite the code deps of every dvc.yaml stage from what its command imports.

    python scripts/sync_code_deps.py [--check]

Each stage's deps keep their data paths (data/..., models/...) first, as written, then the
project files its module imports (pipeline/code_deps.py), a whole package folder where the
stage uses every file of it, exact files elsewhere. `--check` changes nothing and exits 1 if
dvc.yaml differs (tests/stages/test_code_deps.py checks the same, both ways).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.code_deps import local_sources  # noqa: E402

CODE = ("pipeline", "scraper")
WHOLE_ALWAYS = {"scraper"}  # Scrapy loads its pipelines and middlewares by name from settings


def code_deps(module: str) -> list[str]:
    used = {p.as_posix() for p in local_sources(module)}
    if any(p.startswith("scraper/") for p in used):  # and all Scrapy loads by name runs too
        for path in (REPO / "scraper").rglob("*.py"):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            used |= {p.as_posix() for p in local_sources(name)}
    folders = {str(Path(p).parent) for p in used}
    out = set(used)
    for folder in sorted(folders, key=len):
        files = {p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob("*.py")}
        top = folder.split("/")[0]
        if folder in WHOLE_ALWAYS or (folder != top and files <= used):
            out = {p for p in out if not p.startswith(folder + "/")} | {folder}
    if any(p.startswith("scraper") for p in out):
        out = {p for p in out if not p.startswith("scraper")} | {"scraper"}
    return sorted(out)


def main() -> int:
    text = (REPO / "dvc.yaml").read_text()
    stages = yaml.safe_load(text)["stages"]
    new = text
    for name, stage in stages.items():
        module = re.match(r"python -m ([\w.]+)", stage["cmd"]).group(1)
        block = re.search(rf"(\n  {name}:\n(?:    .*\n|      .*\n)*?    deps:\n)((?:      - .*\n)+)", new)
        # Data deps keep their lines as written, comments included; code deps are rewritten.
        data = [line for line in block.group(2).splitlines(keepends=True)
                if line.split("- ", 1)[1].split("#")[0].strip().split("/")[0] not in CODE]
        code = "".join(f"      - {d}\n" for d in code_deps(module))
        new = new[:block.start(2)] + "".join(data) + code + new[block.end(2):]
    if "--check" in sys.argv:
        return int(new != text)
    (REPO / "dvc.yaml").write_text(new)
    print("dvc.yaml: deps " + ("rewritten" if new != text else "already current"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
