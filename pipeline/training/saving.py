"""A trained model written to disk: `model.keras`, the same bytes for the same weights, and a
TF SavedModel for serving."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

import keras

from pipeline.outputs import atomic_path


def _renumber_shared_ids(node: object, ids: dict[int, int]) -> object:
    """Keras writes Python id()s as `shared_object_id`: stable links, unstable numbers."""
    if isinstance(node, dict):
        return {k: (ids.setdefault(v, len(ids)) if k == "shared_object_id" else _renumber_shared_ids(v, ids))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_renumber_shared_ids(v, ids) for v in node]
    return node


def save_model(model: keras.Model, path: Path) -> None:
    """`model.save`, made byte-reproducible. Keras stamps the archive with the save time
    (metadata.json's date_saved, zip entry times) and with Python object ids
    (config.json's shared_object_id), which would give the same weights a new DVC hash on
    every run. The archive is rewritten without the times and with the ids renumbered."""
    path = Path(path)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch, atomic_path(path) as tmp:
        raw = Path(scratch) / "raw.keras"
        model.save(raw)
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for name in sorted(src.namelist()):
                data = src.read(name)
                if name == "metadata.json":
                    meta = json.loads(data)
                    meta.pop("date_saved", None)
                    data = json.dumps(meta, sort_keys=True).encode()
                elif name == "config.json":
                    data = json.dumps(_renumber_shared_ids(json.loads(data), {})).encode()
                dst.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)




def export(model: keras.Model, out: Path) -> None:
    """out/model.keras (uncompiled: loads anywhere) and out/savedmodel (TF Serving)."""
    out.mkdir(parents=True, exist_ok=True)
    save_model(model, out / "model.keras")
    shutil.rmtree(out / "savedmodel", ignore_errors=True)
    model.export(str(out / "savedmodel"), verbose=False)
