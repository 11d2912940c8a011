"""Stage `filter`: keep the scraped files that make good ground truth, and say why for each.

    python -m pipeline.stages.filter data/raw data/filtered metrics/filter.json

Writes data/filtered/{train,val,test}/<stem>.png (8-bit RGB, EXIF-rotated) and
data/filtered/report.csv with one row per input: verdict, reason (the codes are
pipeline/dataset/filtering.py's REASONS) and the scores used.
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from pathlib import Path

from pipeline.cli import stage_params, stage_parser
from pipeline.dataset.filtering import REPORT_FIELDS, assess, drop_duplicates, summarize
from pipeline.dataset.splits import SPLIT_PNGS, SPLITS
from pipeline.imaging.images import list_images
from pipeline.outputs import reset_folder, unique_names, write_json
from pipeline.parallel import map_ordered
from pipeline.tables import write_table


def main() -> None:
    parser = stage_parser(__doc__, processes=True)
    parser.add_argument("raw", type=Path, help="scrape output (holds images/)")
    parser.add_argument("out", type=Path)
    parser.add_argument("summary", type=Path, help="JSON counts by verdict and reason")
    args = parser.parse_args()
    params = stage_params(args)

    sources = list_images(args.raw / "images")
    reset_folder(args.out, (*SPLIT_PNGS, "report.csv"), inputs=[args.raw])
    for split in SPLITS:
        (args.out / split).mkdir()  # present even when empty
    names = unique_names(sources, ".png")  # x.png and x.bmp must not both become x.png
    work = functools.partial(assess, p=params.filter, out=args.out)
    verdicts = list(map_ordered(work, [(src, names[src]) for src in sources], args.processes, "filter"))
    out_names = {src.name: names[src] for src in sources}
    for v in drop_duplicates(verdicts, params.filter.dedupe_distance):
        (args.out / v.split / out_names[v.file]).unlink()
        v.split = ""

    write_table([asdict(v) for v in verdicts], REPORT_FIELDS, args.out / "report.csv")
    summary = summarize(verdicts)
    write_json(summary, args.summary)
    print(f"filter: {summary['kept']} kept, {summary['rejected']} rejected of {summary['inputs']} "
          f"(see {args.out / 'report.csv'})")


if __name__ == "__main__":
    main()
