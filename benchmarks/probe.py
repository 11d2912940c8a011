"""Every benchmark a photo-model probe is judged by, in one command (docs/results.md, "v7").

    python -m benchmarks.probe MODEL.keras NAME --val VAL_HR --test TEST_HR [--dry-run]

In bfloat16 (scores within 0.012 dB of float32, and the same to 0.001 dB on the Xeon and
the Zen 5 EPYC), one child process each, so oneDNN's per-shape memory never piles up:
  worn_inputs_NAME       the 20 kinds of wear on the test photos
  worn_val_NAME          ten of them on the val photos (the columns docs/results.md keeps)
  unseen_wear_test_NAME  and unseen_wear_val_NAME: the ten kinds no preset trains on
  nearest_phase_NAME     both nearest phases as given, named and `unknown`, on val and test
Every result lands in benchmarks/results/<name>.json, and a name already there is refused
(the committed results are earlier probes'). The photos are the release run's: its
data/hr/test, and for val its data/hr/val plus moon (benchmarks/probe_photos.py), the 36
the committed val tables were measured on. Not timed whole: on the 2-core Zen 5 EPYC the first took 11 minutes
with the test suite sharing the cores, the second 6 minutes after it, alone.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

from benchmarks.common import REPO, RESULTS

VAL_CONDITIONS = ["clean (MATLAB bicubic)", "bilinear", "box (area)", "cubic, no antialiasing (OpenCV)", "nearest",
                  "nearest, OpenCV's phase", "JPEG 50", "JPEG 15 (below training)", "noise 15",
                  "blur 0.8 + noise 8 + JPEG 70"]


def commands(model: str, name: str, val: Path, test: Path) -> dict[str, list[str]]:
    """{results name: module and arguments}, in the order they run."""
    common = ["--models", model, "--precision", "bfloat16"]
    return {
        f"worn_inputs_{name}": ["benchmarks.worn_inputs", str(test), *common],
        f"worn_val_{name}": ["benchmarks.worn_inputs", str(val), *common, "--only", *VAL_CONDITIONS],
        f"unseen_wear_test_{name}": ["benchmarks.unseen_wear", str(test), *common],
        f"unseen_wear_val_{name}": ["benchmarks.unseen_wear", str(val), *common],
        f"nearest_phase_{name}": ["benchmarks.nearest_phase", str(val), str(test), "--limit", "100", *common],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a .keras path (copy it out of the workspace first: the next run overwrites it)")
    parser.add_argument("name", help="suffix of the results' names, e.g. lw3")
    parser.add_argument("--val", type=Path, required=True, help="val HR photos (36: the run's val plus moon)")
    parser.add_argument("--test", type=Path, required=True, help="test HR photos (the run's 24)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    args = parser.parse_args()
    problems = [f"{f}: no such folder" for f in (args.val, args.test) if not f.is_dir()]
    if not Path(args.model).is_file():
        problems.append(f"{args.model}: no such model")
    todo = commands(str(Path(args.model).resolve()), args.name, args.val.resolve(), args.test.resolve())
    problems += [f"{RESULTS / n}.json exists (an earlier probe's: choose another name)"
                 for n in todo if (RESULTS / f"{n}.json").exists()]
    if problems:
        print("probe: " + "; ".join(problems), file=sys.stderr)
        return 2
    for result, argv in todo.items():
        command = [sys.executable, "-m", *argv, "--name", result]
        print(shlex.join(command), flush=True)
        if not args.dry_run and subprocess.run(command, cwd=REPO).returncode:
            print(f"probe: {result} failed; the results before it are kept", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
