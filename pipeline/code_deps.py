"""Which of the project's own source files a module runs, read from its imports.

Used where code decides results: the checkpoint fingerprint hashes the training code, a
test checks that every dvc.yaml stage lists what its command really imports (a shared
module missing from `deps` would not rerun the stage when it changes), and the layering
test reads the whole import graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "scraper")


def module_file(name: str, root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> Path | None:
    """The file of module `name` (a package's __init__.py) under `root`, if it is ours."""
    parts = name.split(".")
    if parts[0] not in packages:
        return None
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(path: Path) -> set[str]:
    """Every module named by an absolute import in `path`, at any depth (late imports
    included); `from pkg import name` names both pkg and pkg.name (name may be a module)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def direct_imports(path: Path, root: Path = ROOT, packages: tuple[str, ...] = PACKAGES,
                   on_the_way: bool = True) -> set[Path]:
    """The project files that importing `path` runs directly: each module it names and, as
    Python does (`on_the_way`), the __init__.py of every package above it."""
    found = set()
    for name in imported_names(path):
        parts = name.split(".")
        for depth in range(1 if on_the_way else len(parts), len(parts) + 1):
            file = module_file(".".join(parts[:depth]), root, packages)
            if file is not None and file != path:
                found.add(file)
    return found


def local_sources(module: str) -> list[Path]:
    """The project files `module` imports, directly or through each other, itself included;
    sorted and relative to the repository root."""
    start = module_file(module)
    if start is None:
        raise ValueError(f"{module}: not a module of {', '.join(PACKAGES)}")
    seen, todo = set(), [start]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo += direct_imports(path) - seen
    return sorted(p.relative_to(ROOT) for p in seen)
