"""The house in layers: every import in the project points down the floors of
docs/architecture.md, nothing imports an entry point, and pipeline/stages/ holds the six
DVC stages and nothing else. The checker is tested on a planted tree first, so a pass
means the rules were applied, not that the walk found nothing."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.code_deps import direct_imports
from tests.support.sandbox import REPO

ROOTS = ("pipeline", "scraper", "benchmarks", "tests")
# Each package (by its dotted name; a module belongs to the longest name that prefixes it)
# and its floor. A module may import its own package and strictly lower floors only.
FLOORS = {
    "pipeline": 0,                                                   # plumbing: params, cli, outputs, ...
    "pipeline.imaging": 1,
    "pipeline.dataset": 2, "pipeline.upscaling": 2, "scraper": 2,    # the data; the product core; Scrapy
    "pipeline.training": 3, "pipeline.evaluation": 3,
    "pipeline.stages": 4, "pipeline.tools": 4, "pipeline.web": 4,
    "tests.support": 5,
    "benchmarks": 6,
    "tests": 7,
}
DOORS_FLOOR = 5  # the entry points in pipeline/ itself (`python -m pipeline.upscale`, ...)


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    entry: bool      # run as a program: has `if __name__ == "__main__":` or is a __main__.py

    @property
    def package(self) -> str:
        return max((p for p in FLOORS if self.name == p or self.name.startswith(p + ".")), key=len)

    @property
    def floor(self) -> int:
        package = self.package
        return DOORS_FLOOR if self.entry and package == "pipeline" else FLOORS[package]


def is_entry_point(path: Path, tree: ast.Module) -> bool:
    if path.name == "__main__.py":
        return True
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare):
            left, right = node.test.left, node.test.comparators[0]
            if isinstance(left, ast.Name) and left.id == "__name__" and getattr(right, "value", None) == "__main__":
                return True
    return False


def modules(root: Path) -> dict[Path, Module]:
    found = {}
    for top in ROOTS:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[path] = Module(name, path, is_entry_point(path, ast.parse(path.read_text(), str(path))))
    return found


def relative_imports(path: Path) -> list[int]:
    return [n.lineno for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ImportFrom) and n.level]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the package graph, as a path that ends where it starts, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def violations(root: Path, stage_modules: set[str]) -> list[str]:
    """Every broken rule in the tree at `root`, one line each naming the file and the import."""
    found = modules(root)
    problems, edges = [], {}
    for path, mod in found.items():
        rel = path.relative_to(root)
        problems += [f"{rel}:{line}: a relative import (the checker and DVC's deps see absolute ones only)"
                     for line in relative_imports(path)]
        # The modules it names; the package __init__s Python runs on the way are not arrows.
        for target_path in sorted(direct_imports(path, root, ROOTS, on_the_way=False)):
            target = found[target_path]
            where = f"{rel} imports {target.name}"
            if target.entry:
                problems.append(f"{where}, an entry point: run it, or import the library it calls")
            elif target.package != mod.package:
                if not mod.entry:  # nothing imports an entry point: it can close no circle
                    edges.setdefault(mod.package, set()).add(target.package)
                if target.floor >= mod.floor:
                    problems.append(f"{where}: floor {target.floor} ({target.package}) is not below "
                                    f"floor {mod.floor} ({mod.package})")
    if cycle := find_cycle(edges):
        problems.append(f"packages import each other in a circle: {' -> '.join(cycle)}")
    stages = {m.name.rsplit(".", 1)[1] for m in found.values() if m.package == "pipeline.stages"
              and m.name != "pipeline.stages"}
    if stages != stage_modules:
        problems.append(f"pipeline/stages/ holds {sorted(stages)}; dvc.yaml's stages are {sorted(stage_modules)}")
    problems += [f"{m.path.relative_to(root)}: a stage module that is not an entry point" for m in found.values()
                 if m.package == "pipeline.stages" and m.name != "pipeline.stages" and not m.entry]
    return problems


def dvc_stage_modules(dvc_yaml: Path) -> set[str]:
    """The stage modules dvc.yaml's commands run; each must be pipeline.stages.<name>."""
    names = set()
    for name, stage in yaml.safe_load(dvc_yaml.read_text())["stages"].items():
        module = re.match(r"python -m ([\w.]+)", stage["cmd"]).group(1)
        assert module == f"pipeline.stages.{name}", f"stage {name} runs {module}, not pipeline.stages.{name}"
        names.add(name)
    return names


def plant(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for top in ROOTS:
        (root / top).mkdir(exist_ok=True)
    return root


MAIN = 'if __name__ == "__main__":\n    main()\n'


def test_the_checker_finds_each_kind_of_broken_rule(tmp_path):
    root = plant(tmp_path, {
        "pipeline/__init__.py": "",
        "pipeline/params.py": "",
        "pipeline/imaging/__init__.py": "",
        "pipeline/imaging/images.py": "from pipeline.training.model import build\n",      # up a floor
        "pipeline/training/__init__.py": "",
        "pipeline/training/model.py": "from pipeline.imaging import images\n",
        "pipeline/upscaling/__init__.py": "",
        "pipeline/upscaling/tiles.py": "import scraper.crawl\n",                           # same floor
        "scraper/__init__.py": "",
        "scraper/crawl.py": "from pipeline.upscaling import tiles\n",                       # and back: a cycle
        "pipeline/stages/__init__.py": "",
        "pipeline/stages/train.py": f"from pipeline.training import model\n{MAIN}",
        "pipeline/stages/helper.py": "X = 1\n",                                             # not a stage
        "benchmarks/bench.py": f"from pipeline.stages.train import main\n{MAIN}",           # an entry point
        "tests/test_x.py": "from .helpers import thing\n",                                  # relative
    })
    found = "\n".join(violations(root, {"train"}))
    assert "pipeline/imaging/images.py imports pipeline.training.model: floor 3" in found
    assert "pipeline/upscaling/tiles.py imports scraper.crawl: floor 2 (scraper) is not below floor 2" in found
    assert "packages import each other in a circle: pipeline.imaging -> pipeline.training -> pipeline.imaging" in found
    assert "benchmarks/bench.py imports pipeline.stages.train, an entry point" in found
    assert "tests/test_x.py:1: a relative import" in found
    assert "pipeline/stages/ holds ['helper', 'train']; dvc.yaml's stages are ['train']" in found
    assert "pipeline/stages/helper.py: a stage module that is not an entry point" in found


def test_a_clean_planted_tree_passes(tmp_path):
    root = plant(tmp_path, {
        "pipeline/__init__.py": "",
        "pipeline/params.py": "",
        "pipeline/imaging/__init__.py": "",
        "pipeline/imaging/images.py": "from pipeline import params\n",
        "pipeline/stages/__init__.py": "",
        "pipeline/stages/train.py": f"from pipeline.imaging.images import x\n{MAIN}",
        "pipeline/upscale.py": f"from pipeline.stages import train\n{MAIN}".replace("stages import train",
                                                                                   "imaging import images"),
    })
    assert violations(root, {"train"}) == []


def test_the_project_keeps_its_floors():
    problems = violations(REPO, dvc_stage_modules(REPO / "dvc.yaml"))
    assert problems == [], "\n".join(problems)


def test_every_package_has_a_floor_and_every_floor_a_folder():
    packages = {m.name for m in modules(REPO).values() if m.path.name == "__init__.py"}
    tops = {p for p in packages if p.count(".") <= 1 and not p.startswith("tests.")} | {"tests", "tests.support"}
    assert tops - {"scraper.spiders"} == set(FLOORS), "a package without a floor (add it to FLOORS and the map)"
