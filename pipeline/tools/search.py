"""Automated hyper-parameter search where every trial is a DVC experiment.

    python -m pipeline.search --trials 20 [--set train.epochs=2 ...] [--study NAME]

Optuna proposes params from params.yaml's `search.space` (TPE by default; CMA-ES, NSGA-II
or random by `search.sampler`); each trial runs as `dvc exp run -n <study>-<k> -S ...`, so
`dvc exp show`, `dvc exp diff`, `dvc exp apply` and `dvc exp push` all work on it; its
objective is read from the validation split of its metrics. `--set` fixes keys for every
trial. The study lives in .search/<study>.db (SQLite, git-ignored): run the command again
and it goes on where it stopped (`--trials 20` after 12 finished runs 8 more). A trial whose
params are invalid, or whose run fails, is recorded as failed with the reason, and the
search goes on. At the end: a table printed and written to metrics/search/<study>.json, a
chart of the objective (metrics/search/<study>.png), the best trial's test score (test is
read for it alone) and the command that applies it.

A little over 200 lines: the loop and its report belong together (the report is what the
loop produced).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

from pipeline.cli import tool_parser
from pipeline.imaging import charts
from pipeline.outputs import write_json
from pipeline.params import PARAMS_FILE, ParamsError, Search, load_params, parse_sets, with_overrides
from pipeline.tools.experiments import exp_run_command

log = logging.getLogger(__name__)
STUDIES = Path(".search")
RESULTS = Path("metrics/search")


def sampler_for(s: Search, trials_so_far: int):
    """The sampler, seeded by search.seed and the trials already in the study: a resumed
    search is reproducible, and does not replay the proposals it started with."""
    import optuna

    seed = (s.seed + trials_so_far) % 2**32
    return {
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
        "nsga2": lambda: optuna.samplers.NSGAIISampler(seed=seed),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
    }[s.sampler]()


def propose(trial, s: Search) -> dict[str, object]:
    """One value for every key of the search space."""
    values = {}
    for key, d in s.space.items():
        if d.log:
            values[key] = trial.suggest_float(key, *d.log, log=True)
        elif d.uniform:
            values[key] = trial.suggest_float(key, *d.uniform)
        elif d.int:
            values[key] = trial.suggest_int(key, *d.int)
        else:
            values[key] = trial.suggest_categorical(key, list(d.choice))
    return values


def lookup(metrics: dict, dotted: str) -> float:
    node = metrics
    for part in dotted.split("."):
        node = node[part]
    return float(node)


def experiment_metrics(name: str, all_commits: bool = False) -> dict:
    """metrics/eval.json of the DVC experiment `name`, from `dvc exp show --json`: of
    HEAD's experiments (a trial just run), or of every commit's (a study outlives the
    commit its first trials were based on; slower as history grows)."""
    args = ["dvc", "exp", "show", "--json"] + (["--all-commits"] if all_commits else [])
    shown = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    for commit in shown:
        for exp in commit.get("experiments") or []:
            for revision in exp.get("revs", []):
                if revision.get("name") == name:
                    return revision["data"]["metrics"]["metrics/eval.json"]["data"]
    raise KeyError(f"experiment {name} not found by `dvc exp show`")


def run_trial(name: str, values: dict[str, object]) -> tuple[bool, str]:
    """`dvc exp run` the trial in a temp copy of the workspace (which it leaves untouched)."""
    args = exp_run_command(name, values, temp=True)
    log.info("%s: %s", name, " ".join(args[5:]))
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode:
        lines = [x for x in (proc.stderr or proc.stdout).strip().splitlines() if x.strip()]
        return False, f"dvc exp run exited {proc.returncode}: {lines[-1] if lines else 'no output'}"
    return True, ""


def summary_rows(study) -> list[dict]:
    import optuna

    rows = []
    for t in study.trials:
        if t.state == optuna.trial.TrialState.RUNNING:
            continue
        rows.append({"trial": t.number, "name": t.user_attrs.get("experiment", ""), "state": t.state.name.lower(),
                     "params": t.params, "objective": t.value, "seconds": t.user_attrs.get("seconds"),
                     "error": t.user_attrs.get("error", "")})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("--trials", type=int, required=True, help="trials the study should have in all")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="fixed for every trial")
    parser.add_argument("--study", default="search", help="study name: .search/<study>.db, experiments <study>-<k>")
    parser.add_argument("--params", type=Path, default=PARAMS_FILE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.trials < 1 or not args.study.replace("-", "").replace("_", "").isalnum():
        parser.error("--trials must be at least 1 and --study letters, digits, - and _")
    try:
        params = load_params(args.params)
        fixed = parse_sets(args.set)
        with_overrides(params, fixed)  # a bad fixed value stops the search before any trial
    except ParamsError as e:
        print(f"search: {e}", file=sys.stderr)
        return 2
    s = params.search

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    STUDIES.mkdir(exist_ok=True)
    url = f"sqlite:///{STUDIES / args.study}.db"
    study = optuna.create_study(study_name=args.study, storage=url, load_if_exists=True, direction=s.direction)
    if study.direction.name.lower() != s.direction:
        parser.error(f"study {args.study} was made to {study.direction.name.lower()}; params say {s.direction}")
    study.sampler = sampler_for(s, len(study.trials))
    # A trial still "running" in the store was killed with its search (one search runs per
    # study): it is not counted (it runs again), but marked failed so samplers skip it.
    storage = optuna.storages.get_storage(url)
    study_id = storage.get_study_id_from_name(args.study)
    for t in study.trials:
        if t.state == optuna.trial.TrialState.RUNNING:
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
            storage.set_trial_user_attr(trial_id, "error", "interrupted")
            storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
    counted = [t for t in study.trials if t.state.is_finished() and t.user_attrs.get("error") != "interrupted"]
    todo = args.trials - len(counted)
    log.info("study %s: %d trials finished, %d to run", args.study, len(counted), max(todo, 0))

    for _ in range(max(todo, 0)):
        trial = study.ask()
        name = f"{args.study}-{trial.number}"
        trial.set_user_attr("experiment", name)
        values = {**propose(trial, s), **fixed}
        started = time.monotonic()
        try:
            with_overrides(params, values)
            ok, error = run_trial(name, values)
        except ParamsError as e:
            ok, error = False, str(e).removeprefix("override: ")
        trial.set_user_attr("seconds", round(time.monotonic() - started, 1))
        if ok:
            try:
                value = lookup(experiment_metrics(name), s.objective)
            except (KeyError, subprocess.CalledProcessError) as e:
                ok, error = False, f"no {s.objective} in its metrics ({e})"
        if not ok:
            trial.set_user_attr("error", error)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            log.warning("%s failed: %s", name, error)
            continue
        study.tell(trial, value)
        log.info("%s: %s = %.4f", name, s.objective, value)

    return report(study, s, args.study)


def report(study, s: Search, name: str) -> int:
    """The table, its JSON and chart, and the best trial's test score and apply command."""
    import optuna

    rows = summary_rows(study)
    print(f"{'trial':>5}  {'state':8} {s.objective:>12} {'seconds':>8}  params")
    for r in rows:
        value = "" if r["objective"] is None else f"{r['objective']:.4f}"
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r["params"].items())
        print(f"{r['trial']:>5}  {r['state']:8} {value:>12} {r['seconds'] or '':>8}  {params}"
              + (f"  ({r['error']})" if r["error"] else ""))
    result = {"study": name, "objective": s.objective, "direction": s.direction, "sampler": s.sampler,
              "trials": rows}
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if complete:
        best = study.best_trial
        experiment = best.user_attrs["experiment"]
        try:
            test = experiment_metrics(experiment, all_commits=True).get("test", {}).get("gain_db")
        except KeyError as e:  # removed with `dvc exp remove`, or a clone without the experiment refs
            log.warning("%s: no test score", e)
            test = None
        result["best"] = {"trial": best.number, "experiment": experiment, "params": best.params,
                          "objective": best.value, "test_gain_db": test, "apply": f"dvc exp apply {experiment}"}
        print(f"best: {experiment} ({s.objective} {best.value:.4f}; test gain {test})"
              f"\napply it with: dvc exp apply {experiment}")
        points = [(r["trial"], r["objective"]) for r in rows if r["objective"] is not None]
        charts.line_chart([p[0] for p in points], [p[1] for p in points], f"Search {name}: {s.objective} per trial",
                          "trial", s.objective, RESULTS / f"{name}.png", whole_x=True)
    write_json(result, RESULTS / f"{name}.json")
    return 0 if complete else 1

