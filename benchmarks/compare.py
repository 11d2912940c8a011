"""Markdown table rows from benchmark results, one column per result and a difference.

    python -m benchmarks.compare RESULT[=LABEL] ... [--against N]

Each RESULT is benchmarks/results/<name>.json (or its name) from worn_inputs or unseen_wear,
holding one model (its first if more). A row per condition, in the benchmarks' own order:
the condition, bicubic's dB, then per result "gain; photos below bicubic; worst photo's
gain" (the cells of docs/results.md's tables), and the last result's gain minus that of
result N (0-based, default 0). A header row first, from the labels (default: the names).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.common import RESULTS
from benchmarks.unseen_conditions import CONDITIONS as UNSEEN
from benchmarks.worn_conditions import CONDITIONS as WORN


def model_scores(result: dict) -> dict[str, dict]:
    """{condition: the first model's summary} of one results file's contents."""
    return {condition: next(iter(models.values())) for condition, models in result["results"].items()}


def cell(s: dict | None) -> str:
    return "" if s is None else f"{s['gain']:+.2f}; {s['worse_than_bicubic']}; {s['worst_gain']:+.2f}"


def rows(columns: list[dict[str, dict]], labels: list[str], against: int = 0) -> list[str]:
    seen = {c for col in columns for c in col}
    order = [c for c in [*WORN, *UNSEEN] if c in seen] + sorted(seen - set(WORN) - set(UNSEEN))
    out = ["| input made by | bicubic (dB) | " + " | ".join(labels) + f" | {labels[-1]} - {labels[against]} |",
           "|---|" + "---:|" * (len(labels) + 2)]
    for c in order:
        here = [col.get(c) for col in columns]
        bicubic = next(s["bicubic"] for s in here if s)
        last, ref = here[-1], here[against]
        diff = f"{last['gain'] - ref['gain']:+.2f}" if last and ref else ""
        out.append(f"| {c} | {bicubic:.2f} | " + " | ".join(cell(s) for s in here) + f" | {diff} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", nargs="+", help="NAME or path, optionally =LABEL")
    parser.add_argument("--against", type=int, default=0, help="the result the last is compared with (0-based)")
    args = parser.parse_args()
    columns, labels = [], []
    for spec in args.results:
        name, _, label = spec.partition("=")
        path = Path(name) if name.endswith(".json") else RESULTS / f"{name}.json"
        if not path.is_file():
            parser.error(f"{spec}: no such result {path}")
        columns.append(model_scores(json.loads(path.read_text())))
        labels.append(label or path.stem)
    print("\n".join(rows(columns, labels, args.against)))


if __name__ == "__main__":
    main()
