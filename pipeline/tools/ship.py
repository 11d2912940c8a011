"""Ship the model a preset run made: models/release/<name>.keras and its model card.

    python -m pipeline.ship clean [--title "..."]
    python -m pipeline.ship clean --rewrite-card     # the card anew from clean.json
    python -m pipeline.ship photo --run photo-on     # a probe's run, once photo.yaml is its recipe

Run it in the workspace right after `python -m pipeline.preset <name>` (or `dvc exp apply`
of that experiment). It copies models/model.keras to models/release/<name>.keras (refusing a
file over 5 MB: it goes into git) and writes <name>.md, the card a person reads, and
<name>.json, the same facts for programs: the data (sources, licences, DVC hashes), the
params the preset changed, the code commit, steps, training time and CPU (from
<name>.run.json), validation and test scores per image and per source, and the model's
speed here. Nothing in the card is typed by hand.

`--run PROBE` ships the workspace's run of another preset under `name` when the two set the
same values (checked): a probe that wins need not be trained again under the release name,
and presets/<name>.yaml stays the recipe that makes the shipped model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from pipeline.cli import default_processes, tool_parser
from pipeline.machine import cpu_model
from pipeline.outputs import atomic_path, write_json, write_text
from pipeline.tables import read_table
from pipeline.tools.preset import load_preset
from pipeline.upscaling.models import RELEASE
from pipeline.upscaling.tiles import TileEngine

MAX_BYTES = 5_000_000
OUTPUTS = ("models/model.keras", "metrics/eval.json", "metrics/eval_images.csv", "metrics/train/metrics.json",
           "data/raw/manifest.csv", "dvc.lock", "params.yaml")


def ran_as(card: dict) -> str:
    """The card's note on a run made under another preset's name (`--run`), else nothing."""
    ran = card["run"].get("preset", card["name"])
    return "" if ran == card["name"] else f"; it ran as `presets/{ran}.yaml`, which then set the same values"


def same_values(name: str, ran: str) -> str | None:
    """Why the run of preset `ran` cannot ship as `name`, or None when both set the same values
    (a probe that won, shipped as it ran once the release preset is made its recipe)."""
    wanted, made = (load_preset(n, need_folders=False)[2] for n in (name, ran))
    differ = sorted(k for k in wanted.keys() | made.keys() if wanted.get(k, "unset") != made.get(k, "unset"))
    if not differ:
        return None
    return (f"presets/{ran}.yaml and presets/{name}.yaml differ on " + "; ".join(
        f"{k} ({made.get(k, 'unset')!r} against {wanted.get(k, 'unset')!r})" for k in differ))


def source_of(url: str) -> str:
    """The folder or library a manifest URL comes from: folder:photos/debian/x/a.png -> x."""
    folder = url.rsplit("/", 1)[0]
    return folder.rsplit("/", 1)[-1] if folder.startswith("folder:") else folder


def per_image(table, manifest) -> list[dict]:
    """Val and test rows: photo, source, bicubic and model Y-PSNR, gain."""
    urls = {row.sha1: row.url for row in manifest.itertuples()}
    rows = []
    for (split, image), group in table[table.split.isin(["val", "test"])].groupby(["split", "image"], sort=True):
        psnr = dict(zip(group.method, group.psnr_y, strict=True))
        url = urls.get(Path(image).stem, image)
        rows.append({"split": split, "photo": url.rsplit("/", 1)[-1], "source": source_of(url),
                     "bicubic": round(psnr["bicubic"], 2), "model": round(psnr["model"], 2),
                     "gain": round(psnr["model"] - psnr["bicubic"], 2)})
    return rows


def by_source(rows: list[dict]) -> list[dict]:
    out = []
    for split in ("val", "test"):
        for source in sorted({r["source"] for r in rows if r["split"] == split}):
            mine = [r for r in rows if r["split"] == split and r["source"] == source]
            out.append({"split": split, "source": source, "images": len(mine),
                        "bicubic": round(statistics.mean(r["bicubic"] for r in mine), 2),
                        "model": round(statistics.mean(r["model"] for r in mine), 2),
                        "gain": round(statistics.mean(r["gain"] for r in mine), 2)})
    return out


def speed(model, repeats: int = 3) -> float:
    """Output megapixels per second of the model in tiles on a 1024 x 768 photo-like input."""
    rng = np.random.default_rng(0)
    lr = np.clip(rng.normal(128, 40, (768, 1024, 3)), 0, 255).astype(np.uint8)
    engine = TileEngine(model)
    engine.super_resolve(lr)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        engine.super_resolve(lr)
        times.append(time.perf_counter() - start)
    return round(lr.shape[0] * lr.shape[1] * engine.scale**2 / 1e6 / statistics.median(times), 2)


def table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def started_from(init: dict | None) -> str:
    if not init:
        return ""
    return (f"\n  Fine-tuned: the run started from the weights of `{init['path']}` (sha256 `{init['sha256']}`;"
            f"\n  models/init/README.md says which model that is), not from random ones.")


def card_text(card: dict) -> str:
    t, d = card["training"], card["data"]
    summary = "\n".join(f"| {s} | {v['images']} | {v['bicubic']:.2f} | {v['model']:.2f} | {v['gain']:+.2f} |"
                        for s, v in card["scores"].items())
    return f"""# {card['title']}

`models/release/{card['name']}.keras` ({card['bytes'] / 1e6:.1f} MB, {card['weights']:,} weights, x{card['scale']}).
{card['description']}

Use it: `python -m pipeline.upscale photo.jpg --model {card['name']}`, or in Python
`keras.models.load_model("models/release/{card['name']}.keras")` (built-in Keras layers only:
no code of this project needed). RGB in [0, 1] of any size in, twice the size out.

## Scores (x2 Y-PSNR, dB, whole images, the literature's protocol)

| split | images | bicubic | model | gain |
|---|---:|---:|---:|---:|
{summary}

Val chose the best epoch ({t['best_epoch']} of {t['epochs']}); test was never used to choose.

### Per source

{table(card['by_source'], ['split', 'source', 'images', 'bicubic', 'model', 'gain'])}

### Per image

{table(card['per_image'], ['split', 'photo', 'source', 'bicubic', 'model', 'gain'])}

## Speed

{card['speed_mp_s']} output megapixels per second on {card['speed_cpu']} \
({card.get('speed_cpus', card['run']['machine']['cpus'])} cores), the model alone in 1024-pixel tiles on a 1024 x 768
input. What `python -m pipeline.upscale` delivers of it, from files to files, is measured by
`python -m benchmarks.upscale_bench` (docs/results.md).

## How it was made

`{card['run']['command']}`

- Code: commit `{card['run']['commit']}`; preset `presets/{card['name']}.yaml`
  (what it changes from params.yaml: below){ran_as(card)}.
- Training: {t['steps']:,} steps of batch {t['batch_size']} ({t['patch_size']}-pixel LR patches),
  {card['run']['seconds'] / 3600:.2f} h for the whole pipeline on {card['run']['machine']['cpu_model']}
  ({card['run']['machine']['cpus']} cores), {card['run']['machine']['date']}.{started_from(t.get('init'))}
- Data: {d['photos']} photos stored by the crawl, {d['train']} training, {d['val']} validation,
  {d['test']} test images after the filter. DVC hashes: data/raw `{d['raw_md5']}`,
  data/hr `{d['hr_md5']}`, data/lr `{d['lr_md5']}`.

| source | photos stored | licence |
|---|---:|---|
{chr(10).join(f"| {s['source']} | {s['photos']} | {s['license']} |" for s in d['sources'])}

Preset values:

```yaml
{yaml.safe_dump(card['preset'], sort_keys=False, width=100).strip()}
```
"""


def main(argv: list[str] | None = None) -> int:
    parser = tool_parser(__doc__)
    parser.add_argument("name", help="the preset that made the workspace's model")
    parser.add_argument("--title", default=None, help="the card's heading")
    parser.add_argument("--run", default=None, metavar="PRESET",
                        help="ship the workspace's run of PRESET under `name`; both presets must set the same "
                             "values (a probe that won, after presets/<name>.yaml was made its recipe)")
    parser.add_argument("--rewrite-card", action="store_true",
                        help="only write <name>.md anew from <name>.json (after a change to the card's layout)")
    args = parser.parse_args(argv)
    if args.rewrite_card:
        facts = RELEASE / f"{args.name}.json"
        if not facts.is_file():
            print(f"ship: {facts}: no such card (ship the model first)", file=sys.stderr)
            return 2
        write_text(card_text(json.loads(facts.read_text())), RELEASE / f"{args.name}.md")
        print(f"ship: {RELEASE / f'{args.name}.md'} written from {facts}")
        return 0
    missing = [p for p in OUTPUTS if not Path(p).exists()]
    ran = args.run or args.name
    run_file = RELEASE / f"{ran}.run.json"
    if missing or not run_file.is_file():
        print(f"ship: run `python -m pipeline.preset {ran}` here first; missing: "
              f"{', '.join(missing + ([] if run_file.is_file() else [str(run_file)]))}", file=sys.stderr)
        return 2
    import keras

    if args.run and (why := same_values(args.name, args.run)):
        print(f"ship: cannot ship the run of {args.run} as {args.name}: {why}", file=sys.stderr)
        return 2
    _, preset, values = load_preset(args.name)
    model = keras.models.load_model("models/model.keras")
    params = yaml.safe_load(Path("params.yaml").read_text())
    lock = yaml.safe_load(Path("dvc.lock").read_text())["stages"]
    outs = {o["path"]: o["md5"] for stage in lock.values() for o in stage.get("outs", [])}
    manifest = read_table("data/raw/manifest.csv")
    evaluated = json.loads(Path("metrics/eval.json").read_text())
    trained = json.loads(Path("metrics/train/metrics.json").read_text())
    rows = per_image(read_table("metrics/eval_images.csv"), manifest)
    manifest["source"] = manifest.url.map(source_of)
    sources = [{"source": s, "photos": len(g), "license": g.license.iloc[0]}
               for s, g in manifest.groupby("source", sort=True)]
    t = params["train"]
    card = {
        "name": args.name, "title": args.title or f"supersizer `{args.name}`", "scale": params["base"]["scale"],
        "description": preset.get("description", "").strip(), "weights": model.count_params(),
        "preset": values, "run": json.loads(run_file.read_text()),
        "training": {"steps": t["epochs"] * t["steps_per_epoch"], "epochs": t["epochs"], "batch_size": t["batch_size"],
                     "patch_size": t["patch_size"], "best_epoch": trained.get("best/epoch"),
                     "init": t.get("init") and {"path": t["init"],
                                                "sha256": hashlib.sha256(Path(t["init"]).read_bytes()).hexdigest()}},
        "data": {"photos": len(manifest), "sources": sources, "raw_md5": outs["data/raw"], "hr_md5": outs["data/hr"],
                 "lr_md5": outs["data/lr"], **{s: sum(r["split"] == s for r in rows) for s in ("val", "test")},
                 "train": evaluated.get("train", {}).get("images", 0)},
        "scores": {s: {"images": v["images"], "bicubic": v["bicubic"]["psnr_y"], "model": v["model"]["psnr_y"],
                       "gain": v["gain_db"]} for s, v in evaluated.items()},
        "by_source": by_source(rows), "per_image": rows,
        "speed_mp_s": speed(model), "speed_cpu": cpu_model(), "speed_cpus": default_processes(),
    }
    keras_file = Path("models/model.keras")
    if keras_file.stat().st_size > MAX_BYTES:
        print(f"ship: {keras_file} is {keras_file.stat().st_size / 1e6:.1f} MB; a shipped model lives in git and "
              f"must stay under {MAX_BYTES / 1e6:g} MB", file=sys.stderr)
        return 2
    target = RELEASE / f"{args.name}.keras"
    with atomic_path(target, suffix=".keras") as tmp:
        shutil.copyfile(keras_file, tmp)
    card["bytes"] = target.stat().st_size
    write_json(card, RELEASE / f"{args.name}.json")
    # From the file, as --rewrite-card reads it (its keys sorted): the two never differ.
    write_text(card_text(json.loads((RELEASE / f"{args.name}.json").read_text())), RELEASE / f"{args.name}.md")
    print(f"ship: {target} ({card['bytes'] / 1e6:.1f} MB) and its card {RELEASE / f'{args.name}.md'}")
    return 0
