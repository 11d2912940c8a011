"""The CSV tables the project writes and reads (filter report, per-image scores, manifest).

One writer, so every table has the same dialect and bytes for the same rows, and text
cells that a spreadsheet would run as a formula (`=HYPERLINK(...)`, from a web page's
title) are neutralised with a leading apostrophe, the usual CSV-injection defence.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.outputs import write_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(cell: object) -> object:
    """Text as a spreadsheet should see it: no formula, and valid UTF-8 (a file name that
    was not, held by Python as surrogate escapes, is written with \\x escapes)."""
    if not isinstance(cell, str):
        return cell
    cell = cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def write_table(rows: list[dict], columns: list[str], path: Path | str, float_format: str | None = None) -> None:
    """Rows (dicts with at least `columns`) as CSV with a header, atomically."""
    frame = pd.DataFrame(rows, columns=columns)
    text_columns = frame.select_dtypes(include=["object", "string"]).columns
    frame[text_columns] = frame[text_columns].map(safe_cell)
    write_text(frame.to_csv(index=False, lineterminator="\n", float_format=float_format), path)


def read_table(path: Path | str) -> pd.DataFrame:
    """A table written by `write_table`; empty cells read as empty strings."""
    return pd.read_csv(path, keep_default_na=False)
