"""The scrape stage run for real on tiny params, its manifest and report read back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.support.models import tiny_params, write_params
from tests.support.sandbox import python


def run_scrape(tmp_path: Path, scrape: dict) -> tuple[list[dict], dict, Path]:
    """(manifest rows, report, output folder) of `python -m pipeline.stages.scrape` with the
    tiny params' `scrape` section updated by `scrape`."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    params = write_params(tmp_path / "params.yaml", tiny_params(scrape=scrape))
    out = tmp_path / "raw"
    python("-m", "pipeline.stages.scrape", str(out), "--params", str(params), timeout=300)
    rows = list(csv.DictReader((out / "manifest.csv").open()))
    return rows, json.loads((out / "report.json").read_text()), out
