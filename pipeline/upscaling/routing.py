"""The photo model as a router: per photo, the network that helps it most, or none.

No one network is best on every input (docs/results.md, the worn-inputs table): the clean
model is the sharpest on carefully resized photos and does harm on JPEG blocks, noise and
aliasing; the worn model cleans those up but gives up 0.7 dB on clean inputs; and on a
nearest-neighbour downscale, whose pixels sit half a pixel off where every other kernel
puts them, neither beats plain bicubic. A router file (models/release/<name>.route.json,
written by `python -m pipeline.route`) holds a small regression tree that predicts, from
how worn the input looks (pipeline/imaging/wear.py), each network's gain over bicubic in
dB. The photo runs through the network with the highest prediction, or is upscaled with
bicubic when no prediction clears the file's margin: where the tree predicts that every
network would do harm, the router does nothing instead. How well a router chooses is
measured, never assumed (docs/results.md: the first one was not good enough to ship).

`RoutedEngine` has TileEngine's interface (scale, tiles, bands, super_resolve), so every
tool that runs a model runs a router the same way.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.imaging.resize import pillow_resize
from pipeline.imaging.wear import FEATURES, vector

log = logging.getLogger(__name__)
BICUBIC = "bicubic"
FORMAT = 1
CONTEXT = 4  # LR rows around a bicubic band: the cubic reaches 2


@dataclass(frozen=True)
class Tree:
    """A fitted regression tree as plain arrays (scikit-learn's tree_ layout): node i splits
    on features[feature[i]] <= threshold[i] into left[i] / right[i], a leaf (left -1) holds
    value[i], one predicted gain per expert."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[tuple[float, ...], ...]

    def leaf(self, x: np.ndarray) -> int:
        node = 0
        while self.left[node] != -1:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
        return node

    def predict(self, x: np.ndarray) -> tuple[float, ...]:
        return self.value[self.leaf(x)]


@dataclass(frozen=True)
class Route:
    """A router file: which shipped networks it chooses among, the tree, the margin (dB) a
    predicted gain must clear, and how it was fitted (free-form, a record for people)."""

    experts: tuple[str, ...]
    tree: Tree
    margin_db: float
    fitted: dict

    def choose(self, rgb: np.ndarray) -> tuple[str, dict[str, float]]:
        """(expert name or "bicubic", predicted gain per expert) for an (H, W, 3) uint8 LR."""
        return self.decide(vector(rgb))

    def decide(self, x: np.ndarray) -> tuple[str, dict[str, float]]:
        """choose() for an image's feature vector (wear.vector)."""
        gains = dict(zip(self.experts, self.tree.predict(x), strict=True))
        best = max(self.experts, key=lambda e: gains[e])
        return (best if gains[best] > self.margin_db else BICUBIC), gains

    def to_json(self) -> dict:
        t = self.tree
        return {"format": FORMAT, "features": list(FEATURES), "experts": list(self.experts),
                "margin_db": self.margin_db,
                "tree": {"feature": list(t.feature), "threshold": list(t.threshold), "left": list(t.left),
                         "right": list(t.right), "value": [list(v) for v in t.value]},
                "fitted": self.fitted}


def load_route(path: Path) -> Route:
    """A router file, checked: a file for other features, a broken tree or a wrong field stops
    here naming the file and what is wrong."""
    try:
        raw = json.loads(path.read_text())
        if raw.get("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')!r}, this code reads {FORMAT}")
        if tuple(raw["features"]) != FEATURES:
            raise ValueError(f"fitted on features {raw['features']}, this code computes {list(FEATURES)}: refit it "
                             "(python -m pipeline.route)")
        t = raw["tree"]
        tree = Tree(tuple(map(int, t["feature"])), tuple(map(float, t["threshold"])), tuple(map(int, t["left"])),
                    tuple(map(int, t["right"])), tuple(tuple(map(float, v)) for v in t["value"]))
        experts = tuple(map(str, raw["experts"]))
        n = len(tree.left)
        if not experts or len(set(experts)) != len(experts) or BICUBIC in experts:
            raise ValueError(f"experts {list(experts)}: names of networks, each once, not {BICUBIC!r}")
        if not (n and len(tree.right) == len(tree.feature) == len(tree.threshold) == len(tree.value) == n):
            raise ValueError("tree arrays of different lengths")
        for i in range(n):
            if tree.left[i] == -1:
                if len(tree.value[i]) != len(experts):
                    raise ValueError(f"leaf {i} holds {len(tree.value[i])} gains for {len(experts)} experts")
            elif not (i < tree.left[i] < n and i < tree.right[i] < n and 0 <= tree.feature[i] < len(FEATURES)):
                raise ValueError(f"node {i} points outside the tree")  # children come after parents: no loops
        return Route(experts, tree, float(raw["margin_db"]), dict(raw.get("fitted", {})))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a router file: {e}") from None


class BicubicEngine:
    """Bicubic upscaling with TileEngine's interface: what a router runs when no network helps."""

    def __init__(self, scale: int, tiles: Callable[[int, int], int], band_rows: int = 256) -> None:
        self.scale, self.tiles, self.band_rows = scale, tiles, band_rows

    def bands(self, rgb: np.ndarray, progress: Callable[[int], None] | None = None) -> Iterator[np.ndarray]:
        h, w = rgb.shape[:2]
        s, rows = self.scale, self.band_rows
        # Each band is resized with CONTEXT rows of the image above and below it, more than
        # the cubic's reach, and cut back: the bands join into the whole-image result
        # exactly, memory bounded by the band (test_routing.py).
        for top in range(0, h, rows):
            lo, hi = max(top - CONTEXT, 0), min(top + rows + CONTEXT, h)
            out = pillow_resize(rgb[lo:hi], ((hi - lo) * s, w * s))
            yield out[(top - lo) * s:(min(top + rows, h) - lo) * s]
        if progress:
            progress(self.tiles(h, w))

    def super_resolve(self, rgb: np.ndarray, progress: Callable[[int], None] | None = None) -> np.ndarray:
        return np.concatenate(list(self.bands(rgb, progress)))


class RoutedEngine:
    """A Route over loaded engines (name -> TileEngine): each image goes to its choice, said
    through `say` (default: this module's log, at INFO)."""

    def __init__(self, route: Route, engines: dict, say: Callable[[str], None] | None = None) -> None:
        missing = [e for e in route.experts if e not in engines]
        if missing:
            raise ValueError(f"the router needs the networks {missing}, which are not loaded")
        scales = {engines[e].scale for e in route.experts}
        if len(scales) != 1:
            raise ValueError(f"the router's networks upscale by different factors: {sorted(scales)}")
        self.route, self.say = route, say or log.info
        self.scale = scales.pop()
        first = engines[route.experts[0]]
        self.engines = {**{e: engines[e] for e in route.experts}, BICUBIC: BicubicEngine(self.scale, first.tiles)}
        self.tiles = first.tiles

    def choose(self, rgb: np.ndarray) -> str:
        choice, gains = self.route.choose(rgb)
        said = ", ".join(f"{e} {g:+.2f} dB" for e, g in gains.items())
        self.say(f"routed to {choice} (predicted gain over bicubic: {said}; margin {self.route.margin_db} dB)")
        return choice

    def bands(self, rgb: np.ndarray, progress: Callable[[int], None] | None = None) -> Iterator[np.ndarray]:
        return self.engines[self.choose(rgb)].bands(rgb, progress)

    def super_resolve(self, rgb: np.ndarray, progress: Callable[[int], None] | None = None) -> np.ndarray:
        return np.concatenate(list(self.bands(rgb, progress)))
