"""Resuming an interrupted `train`: what a checkpoint holds and when it may be used.

The train stage's --checkpoint folder (checkpoints/train by default) holds last.keras
(weights and optimizer after the last epoch), best.weights.h5 (the best epoch by
validation) and state.json (epoch, history, best and a fingerprint). state.json is written
last, so it only ever points at complete files.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from pipeline.code_deps import ROOT, local_sources
from pipeline.outputs import atomic_path, write_json
from pipeline.params import Base, Model, Train

log = logging.getLogger(__name__)
# The module whose import graph is the training code (named, not imported: nothing imports a stage).
TRAIN_STAGE = "pipeline.stages.train"


def fingerprint(base: Base, m: Model, t: Train, arrays: list[np.ndarray] | list[list[np.ndarray]]) -> str:
    """What a checkpoint must match to be resumed: params, data, the training code (every
    project module the train stage imports) and the library versions. A checkpoint made
    by other code must not come back: DVC reruns train when that code changes."""
    h = hashlib.sha256(json.dumps([x.model_dump(mode="json") for x in (base, m, t)], sort_keys=True).encode())
    for a in arrays:
        for part in a if isinstance(a, list) else [a]:
            h.update(f"{part.shape}".encode() + part.tobytes())
    for path in local_sources(TRAIN_STAGE):
        h.update((ROOT / path).read_bytes())
    h.update(f"tensorflow {tf.__version__} keras {keras.__version__}".encode())
    return h.hexdigest()


class Checkpoint:
    def __init__(self, folder: Path, fp: str) -> None:
        self.folder, self.fp = folder, fp
        self.state_file = folder / "state.json"

    def resume_state(self) -> dict | None:
        """The saved state if it belongs to this run (same fingerprint), else None."""
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        if state.get("fingerprint") != self.fp or not (self.folder / "last.keras").exists():
            log.info("checkpoint in %s is for other params or data: starting afresh", self.folder)
            return None
        return state

    def load_last(self, custom_objects: dict) -> keras.Model:
        return keras.models.load_model(self.folder / "last.keras", custom_objects=custom_objects)

    def load_best_into(self, model: keras.Model) -> None:
        model.load_weights(self.folder / "best.weights.h5")

    def save(self, model: keras.Model, state: dict, best: keras.Model | None) -> None:
        """The training `model` (weights and optimizer) and, if given, the `best` weights so
        far; each file replaced atomically (a kill leaves the old one), state.json last."""
        with atomic_path(self.folder / "last.keras", suffix=".keras") as tmp:
            model.save(tmp)
        if best is not None:
            with atomic_path(self.folder / "best.weights.h5", suffix=".weights.h5") as tmp:
                best.save_weights(tmp)
        write_json({**state, "fingerprint": self.fp}, self.state_file)
