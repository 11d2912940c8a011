"""Which of the project's own source files a module runs, read from its imports.

Used where code decides results: the checkpoint fingerprint hashes the training code,
and a test checks that every dvc.yaml stage lists what its command really imports (a
shared module missing from `deps` would not rerun the stage when it changes).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "scraper")


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] not in PACKAGES:
        return None
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(path: Path) -> set[str]:
    """Every module named by an import in `path`, at any depth (late imports included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)  # `from pkg import module`
    return names


def local_sources(module: str) -> list[Path]:
    """The project files `module` imports, directly or through each other, itself included;
    sorted and relative to the repository root."""
    start = _module_file(module)
    if start is None:
        raise ValueError(f"{module}: not a module of {', '.join(PACKAGES)}")
    seen, todo = set(), [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imported_names(path):
            found = _module_file(name)
            if found is not None and found not in seen:
                todo.append(found)
            # Importing pkg.mod runs pkg/__init__.py too.
            parent = _module_file(name.rsplit(".", 1)[0]) if "." in name else None
            if parent is not None and parent not in seen:
                todo.append(parent)
    return sorted(p.relative_to(ROOT) for p in seen)
