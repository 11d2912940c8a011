"""Which model a tool runs: the shipped models by name, any .keras file by path, the --model
option every tool shares, and loading it (or exiting 2 with the reason, before any work).

The shipped models live in git beside their model cards (models/release/<name>.keras and
<name>.md), so a fresh clone upscales with no `dvc repro`. A tool given no --model takes the
first shipped one of DEFAULT_ORDER; a checkout without any falls back to the default
pipeline's output, models/model.keras. A shipped model with a router file beside it
(<name>.route.json, routing.py) runs as that router over the networks it names; the same
.keras given by path runs alone.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from pipeline.upscaling.inference import load_model
from pipeline.upscaling.routing import Route, RoutedEngine, load_route

RELEASE = Path(__file__).resolve().parents[2] / "models" / "release"
PIPELINE_MODEL = Path("models/model.keras")
# "photo" (trained on worn inputs: JPEG, noise, other downscalers) suits photos from a
# camera or the web; "clean" is sharper on clean, bicubic-made inputs; "fast" (6x32, clean's
# data) is never the default: a smaller net is a choice to make knowingly.
DEFAULT_ORDER = ("photo", "clean")
# What the page says of each, one line on when to use which.
USE = {"photo": "for photos from a camera or the web: cleans JPEG blocks and noise instead of sharpening them",
       "clean": "the sharpest on clean photos (never JPEG-compressed, made small by careful resizing)",
       "fast": "two to three times the speed of clean, a little less sharp: for large folders and slow machines"}


@dataclass(frozen=True)
class ModelChoice:
    path: Path
    name: str | None = None  # a shipped model's name

    @property
    def label(self) -> str:
        """How tools and the page name it: `clean` for a shipped one, else the path."""
        return self.name or str(self.path)

    @property
    def card(self) -> Path | None:
        card = self.path.with_suffix(".md")
        return card if self.name and card.is_file() else None

    @property
    def route(self) -> Path | None:
        """A shipped model's router file, if it has one."""
        route = self.path.with_suffix(".route.json")
        return route if self.name and route.is_file() else None


@dataclass(frozen=True)
class Loaded:
    """A chosen model, loaded: its network, and for a router the networks it chooses among."""

    choice: ModelChoice
    model: object                   # the choice's own Keras network
    route: Route | None = None
    experts: dict[str, object] | None = None

    def engine(self, tile: int | None = None, overlap: int | None = None, batch: int | None = None,
               self_ensemble: bool = False):
        """A TileEngine, or for a router a RoutedEngine over one TileEngine per network."""
        from pipeline.upscaling.tiles import DEFAULT_BATCH, DEFAULT_TILE, TileEngine  # late: it imports TensorFlow

        tile, batch = DEFAULT_TILE if tile is None else tile, DEFAULT_BATCH if batch is None else batch
        if self.route is None:
            return TileEngine(self.model, tile, overlap, batch, self_ensemble)
        engines = {name: TileEngine(m, tile, overlap, batch, self_ensemble) for name, m in self.experts.items()}
        return RoutedEngine(self.route, engines)


def load(choice: ModelChoice) -> Loaded:
    """Load `choice`'s network and, for a router, the shipped networks it names (its own
    among them once). Raises FileNotFoundError / ValueError / OSError naming the file."""
    model = load_model(choice.path)
    if choice.route is None:
        return Loaded(choice, model)
    route = load_route(choice.route)
    experts = {name: model if name == choice.name else load_model(choose(name).path) for name in route.experts}
    return Loaded(choice, model, route, experts)


def shipped() -> list[str]:
    """The names of the shipped models in this checkout, sorted."""
    return sorted(p.stem for p in RELEASE.glob("*.keras")) if RELEASE.is_dir() else []


def choose(spec: str | None) -> ModelChoice:
    """A shipped model by name, a .keras file by path, or (None) the default: the first of
    DEFAULT_ORDER that is shipped, else the pipeline's own models/model.keras."""
    names = shipped()
    if spec is None:
        name = next((n for n in DEFAULT_ORDER if n in names), None)
        return ModelChoice(RELEASE / f"{name}.keras", name) if name else ModelChoice(PIPELINE_MODEL)
    if spec in names:
        return ModelChoice(RELEASE / f"{spec}.keras", spec)
    if "/" not in spec and not spec.endswith(".keras"):
        raise FileNotFoundError(f"{spec}: no shipped model of that name (shipped: {', '.join(names) or 'none'}); "
                                "give a .keras file's path for any other")
    return ModelChoice(Path(spec))


def add_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="NAME|PATH",
                        help=f"a shipped model ({', '.join(shipped()) or 'none in this checkout'}) or a .keras file "
                             f"(default: {choose(None).label})")


def load_or_exit(spec: str | Path | None, prog: str, quiet: bool = False) -> Loaded:
    """The Loaded model for `spec`; says on stderr which model it runs. A missing or
    unreadable model prints `prog: reason` and exits 2."""
    try:
        loaded = load(choose(None if spec is None else str(spec)))
    except (FileNotFoundError, ValueError, OSError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    if not quiet:
        choice = loaded.choice
        where = f" ({choice.path}, shipped)" if choice.name else ""
        if loaded.route:
            where += f", routing each photo to {' or '.join(loaded.route.experts)} or bicubic by {choice.route.name}"
        print(f"{prog}: model {choice.label}{where}", file=sys.stderr)
    return loaded
