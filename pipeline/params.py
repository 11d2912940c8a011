"""Read params.yaml once, check every value, and hand stages frozen, typed sections.

Each section is a pydantic model: strict types (no "3" for 3, no 1 for true), bounds in
`Field`, no unknown keys, finite floats only, and the rules that tie keys together as
validators on `Params`. Stages never open params.yaml themselves: they call
`load_params()` and take the section they need. Every error names the file, the dotted
key, the bad value and what is allowed, e.g.
``params.yaml: train.loss='foo' is not one of mae, mse, charbonnier``.

Longer than most modules on purpose: every key of params.yaml is declared here, once.
"""

from __future__ import annotations

import re
import reprlib
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PARAMS_FILE = Path("params.yaml")
INIT_FOLDER = "models/init"  # the models a run may start from: a dep of the train stage


class ParamsError(ValueError):
    """A value in params.yaml is missing, unknown, of the wrong type or out of range."""


class Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


def bounded(lo: float, hi: float) -> Any:
    """Inclusive bounds for `Annotated[int, bounded(1, 10)]`; errors say "is outside 1..10"."""
    return Field(ge=lo, le=hi)


# YAML lists arrive as lists; strict mode would only take tuples.
Strs = Annotated[tuple[Annotated[str, Field(min_length=1)], ...], Field(strict=False)]
Ints = Annotated[tuple[int, ...], Field(strict=False)]
Floats = Annotated[tuple[float, ...], Field(strict=False)]
Text = Annotated[str, Field(min_length=1)]
BIG = 2**62  # "no practical limit" that still refuses an absurd number


class Base(Section):
    # Keras seeds numpy, which takes 0..2**32-1; checked here, not four stages later.
    seed: Annotated[int, bounded(0, 2**32 - 1)]
    scale: Literal[2, 3, 4]


class Folder(Section):
    """A local folder of photos to crawl (its files, below it, at any depth) and their licence."""

    path: Text
    license: Text


Folders = Annotated[tuple[Folder, ...], Field(strict=False)]


class Scrape(Section):
    sample: bool
    folders: Folders
    start_urls: Strs
    allowed_domains: Strs
    max_depth: Annotated[int, bounded(0, 100)]
    queries: Strs
    search_api: Text
    licenses: Strs
    max_images: Annotated[int, bounded(1, 10_000_000)]
    max_pages: Annotated[int, bounded(1, 10_000_000)]
    max_file_bytes: Annotated[int, bounded(1, 2**31)]
    max_total_bytes: Annotated[int, bounded(1, BIG)]
    min_width: Annotated[int, bounded(1, 100_000)]
    min_height: Annotated[int, bounded(1, 100_000)]
    max_pixels: Annotated[int, bounded(1, 1_000_000_000)]
    timeout_s: Annotated[float, bounded(0.1, 3600)]
    delay_s: Annotated[float, bounded(0, 3600)]

    @model_validator(mode="after")
    def _has_a_source(self) -> Scrape:
        if not (self.sample or self.folders or self.start_urls or self.queries):
            raise ValueError("scrape has no source: set scrape.sample: true, scrape.folders, scrape.start_urls "
                             "or scrape.queries")
        paths = [f.path.rstrip("/") for f in self.folders]
        if twice := sorted({path for path in paths if paths.count(path) > 1}):
            raise ValueError(f"scrape.folders names {twice[0]} twice")
        for url in self.start_urls + (self.search_api,):
            if not url.startswith(("http://", "https://", "file://")):
                key = "scrape.start_urls" if url in self.start_urls else "scrape.search_api"
                raise ValueError(f"{key}={url!r} must start with http://, https:// or file://")
        return self


class Filter(Section):
    max_pixels: Annotated[int, bounded(1, 1_000_000_000)]
    min_side: Annotated[int, bounded(1, 100_000)]
    grayscale: Literal["keep", "reject"]
    alpha: Literal["composite", "reject"]
    dedupe_distance: Annotated[int, bounded(-1, 64)]
    min_detail: Annotated[float, bounded(0, 255)]
    min_colors: Annotated[int, bounded(0, 128 * 128)]
    val_fraction: Annotated[float, bounded(0, 1)]
    test_fraction: Annotated[float, bounded(0, 1)]


class Crop(Section):
    mode: Literal["whole", "tiles", "center", "seed"]
    side: Annotated[int, bounded(2, 8192)]
    stride: Annotated[int, bounded(1, 8192)]
    max_per_image: Annotated[int, bounded(1, 100_000)]


# The downscalers pipeline/imaging/resize.py implements, named once here for both.
Method = Literal["matlab", "pillow"]
Kernel = Literal["matlab", "pillow", "bilinear", "box", "lanczos", "nearest", "nearest_opencv", "cubic_sharp"]
Share = Annotated[float, bounded(0, 1)]


class Downscale(Section):
    method: Method
    # Worn photos (Real-ESRGAN's first-order model): per image, a kernel drawn from `kernels`
    # (empty: `method`), then each degradation with its probability, its strength drawn from
    # its [low, high] range: blur before, then noise, JPEG and a second JPEG after. A share
    # `noise_grey` of the noise draws is the same in R, G and B (a camera's luminance noise).
    kernels: Annotated[tuple[Kernel, ...], Field(strict=False)]
    blur_sigma: Floats
    blur_prob: Share
    noise_sigma: Floats
    noise_prob: Share
    noise_grey: Share
    jpeg_quality: Ints
    jpeg_prob: Share
    jpeg_twice: Share

    @model_validator(mode="after")
    def _pairs(self) -> Downscale:
        for key, lo, hi in (("jpeg_quality", 1, 100), ("blur_sigma", 0, 50), ("noise_sigma", 0, 255)):
            value = getattr(self, key)
            if value and (len(value) != 2 or not lo <= value[0] <= value[1] <= hi):
                raise ValueError(f"downscale.{key}={list(value)!r} must be [] (off) or [low, high] "
                                 f"with {lo} <= low <= high <= {hi}")
        return self


class Model(Section):
    arch: Literal["edsr", "original"]
    blocks: Annotated[int, bounded(0, 256)]
    filters: Annotated[int, bounded(1, 1024)]
    convs_per_block: Annotated[int, bounded(1, 8)]
    kernel_size: Annotated[int, bounded(1, 15)]
    upsampler: Literal["pixel_shuffle", "nearest"]
    residual_scale: Annotated[float, bounded(0, 10)]
    zero_init: bool
    skip: Literal["bicubic", "bilinear", "none"]

    @model_validator(mode="after")
    def _odd_kernel(self) -> Model:
        if self.kernel_size % 2 == 0:
            raise ValueError(f"model.kernel_size={self.kernel_size!r} must be odd so outputs stay aligned")
        return self


Loss = Literal["mae", "mse", "charbonnier"]


class Train(Section):
    loss: Loss
    finish_loss: Loss
    finish_epochs: Annotated[int, bounded(0, BIG)]
    # Extra loss per dB a patch falls below bicubic (the worn-photo model's no-harm term); 0: off.
    no_harm: Annotated[float, bounded(0, 100)]
    lr: Annotated[float, bounded(0, 1)]
    lr_schedule: Literal["cosine", "constant"]
    warmup_steps: Annotated[int, bounded(0, BIG)]
    ema_decay: Annotated[float, bounded(0, 0.99999)]
    batch_size: Annotated[int, bounded(1, 4096)]
    patch_size: Annotated[int, bounded(4, 1024)]
    # Share of patch positions trained on, those with the most detail; 1.0: all, by area.
    detail_keep: Annotated[float, Field(gt=0, le=1)]
    epochs: Annotated[int, bounded(1, BIG)]
    steps_per_epoch: Annotated[int, bounded(1, 10_000_000)]
    mixed_precision: Literal["auto", "on", "off"]
    # A model in models/init/ whose weights the run starts from (fine-tuning) instead of
    # random ones; null: from scratch. The train stage depends on that folder (dvc.yaml).
    init: str | None
    # The training run's own draws (initial weights, patch order and positions); null:
    # base.seed. Another value keeps the split, the crops and the LR inputs, so two runs that
    # differ only here say how much of a difference between probes is one run's luck.
    seed: Annotated[int, bounded(0, 2**32 - 1)] | None = None

    def draws_seed(self, base: Base) -> int:
        return base.seed if self.seed is None else self.seed

    @model_validator(mode="after")
    def _init_in_folder(self) -> Train:
        if self.init is not None and not re.fullmatch(rf"{INIT_FOLDER}/[\w.-]+\.keras", self.init):
            raise ValueError(f"train.init={self.init!r} is not a .keras file directly in {INIT_FOLDER}/ "
                             f"(or null, to train from scratch)")
        return self

    @model_validator(mode="after")
    def _phases_fit(self) -> Train:
        if self.finish_epochs >= self.epochs:
            raise ValueError(f"train.finish_epochs={self.finish_epochs!r} leaves no epoch for train.loss "
                             f"(train.epochs={self.epochs})")
        if self.warmup_steps >= self.epochs * self.steps_per_epoch:
            raise ValueError(f"train.warmup_steps={self.warmup_steps!r} is not shorter than the whole run "
                             f"({self.epochs} x {self.steps_per_epoch} steps)")
        return self


class Evaluate(Section):
    tolerance: Annotated[int, bounded(0, 255)]
    self_ensemble: bool
    pictures: Annotated[int, bounded(0, 1000)]


Choice = Annotated[tuple[bool | int | float | str, ...], Field(strict=False, min_length=1)]
Bounds = Annotated[tuple[float, float], Field(strict=False)]
IntBounds = Annotated[tuple[int, int], Field(strict=False)]


class Dimension(Section):
    """One searched key: `log: [lo, hi]` (float, log-uniform), `uniform: [lo, hi]`,
    `int: [lo, hi]` (inclusive) or `choice: [a, b, ...]`; exactly one of them."""

    log: Bounds | None = None
    uniform: Bounds | None = None
    int: IntBounds | None = None
    choice: Choice | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Dimension:
        kinds = [k for k in ("log", "uniform", "int", "choice") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"give exactly one of log, uniform, int, choice (got {', '.join(kinds) or 'none'})")
        bounds = self.log or self.uniform or self.int
        if bounds and not bounds[0] < bounds[1]:
            raise ValueError(f"{kinds[0]}: {list(bounds)} must be [low, high] with low < high")
        if self.log and self.log[0] <= 0:
            raise ValueError(f"log: {list(self.log)} must be positive")
        return self


class Search(Section):
    """Read by `python -m pipeline.search` only: no stage depends on it."""

    objective: Literal["val.gain_db", "val.model.psnr_y", "val.model.ssim"]
    direction: Literal["maximize", "minimize"]
    sampler: Literal["tpe", "cmaes", "nsga2", "random"]
    seed: Annotated[int, bounded(0, 2**32 - 1)]
    space: dict[str, Dimension]


class Params(Section):
    base: Base
    scrape: Scrape
    filter: Filter
    crop: Crop
    downscale: Downscale
    model: Model
    train: Train
    evaluate: Evaluate
    search: Search

    @model_validator(mode="after")
    def _together(self) -> Params:
        """Rules that involve more than one section."""
        scale = self.base.scale
        if self.crop.side % scale:
            raise ValueError(f"crop.side={self.crop.side!r} is not a multiple of base.scale={scale}")
        f = self.filter
        if f.val_fraction + f.test_fraction >= 1:
            raise ValueError(f"filter.test_fraction={f.test_fraction!r} plus filter.val_fraction="
                             f"{f.val_fraction} leaves no training images")
        for key in self.search.space:
            section, _, name = key.partition(".")
            model = type(self).model_fields.get(section)
            fields = model.annotation.model_fields if model and section != "search" else {}
            if name not in fields:
                raise ValueError(f"search.space.{key} is not a params key (give section.key, e.g. train.lr)")
        hr_patch = self.train.patch_size * scale
        if hr_patch > self.filter.min_side:
            raise ValueError(f"train.patch_size={self.train.patch_size!r} times base.scale={scale} exceeds "
                             f"filter.min_side={self.filter.min_side} (every training image must hold a patch)")
        if self.crop.mode != "whole" and hr_patch > self.crop.side:
            raise ValueError(f"train.patch_size={self.train.patch_size!r} times base.scale={scale} "
                             f"exceeds crop.side={self.crop.side}")
        return self


# -- Errors: pydantic's structured errors turned into one line naming key, value, rule ---------

_WHY = {
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "string_type": "must be a non-empty string",
    "string_too_short": "must be a non-empty string",
    "model_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
}


def _field(loc: tuple) -> tuple[type[BaseModel] | None, Any]:
    """The model class and FieldInfo at a location such as ('train', 'lr')."""
    model: type[BaseModel] = Params
    info = None
    for part in loc:
        if not isinstance(part, str) or model is None or part not in model.model_fields:
            return model, info
        info = model.model_fields[part]
        hint = info.annotation
        model = hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None
    return model, info


def _bounds(info: Any) -> str:
    lo = next((m.ge for m in info.metadata if isinstance(m, annotated_types.Ge)), None)
    hi = next((m.le for m in info.metadata if isinstance(m, annotated_types.Le)), None)
    top = "inf" if hi is None or hi >= BIG else hi
    if lo is None:  # an open lower end (Field(gt=...))
        above = next(m.gt for m in info.metadata if isinstance(m, annotated_types.Gt))
        return f"is outside ({above}, {top}]"
    return f"is outside {lo}..{top}"


_REPR = reprlib.Repr()  # Python 3.11's takes no settings as arguments
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 8, 8, 60, 60


def _shown(value: object) -> str:
    """A value as an error message quotes it: its repr, cut short (a value can be huge)."""
    return _REPR.repr(value)


def _describe(err: dict) -> str:
    loc, kind, value = err["loc"], err["type"], err.get("input")
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    parent, info = _field(loc)
    if kind == "missing":
        return f"section {loc[0]!r} is missing" if len(loc) == 1 else f"{key} is missing"
    if kind == "extra_forbidden":
        if len(loc) == 1:
            return f"section {loc[0]!r} is not known; sections are {', '.join(Params.model_fields)}"
        return f"{key}={_shown(value)} is not a known key; {loc[0]} takes {', '.join(parent.model_fields)}"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind == "literal_error":
        allowed = typing.get_args(info.annotation)
        return f"{key}={_shown(value)} is not one of {', '.join(map(str, allowed))}"
    if kind in ("tuple_type", "list_type"):
        item = typing.get_args(typing.get_args(info.annotation)[0])[0] if info else str
        item = typing.get_args(item)[0] if typing.get_origin(item) is Annotated else item
        return f"{key}={_shown(value)} must be a list of {item.__name__}"
    if kind == "greater_than":
        return f"{key}={_shown(value)} must be greater than {err['ctx']['gt']}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{key}={_shown(value)} {_bounds(info)}"
    return f"{key}={_shown(value)} {_WHY.get(kind, err['msg'])}"


# PyYAML follows YAML 1.1, where a float needs a dot: `1e-3` would be the string "1e-3".
# DVC reads params.yaml as YAML 1.2 (ruamel), where it is a float; so do we.
class _Loader(yaml.SafeLoader):
    pass


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


# A params file is a few hundred values; an alias nested in an alias nested in an alias
# ("billion laughs") expands to billions, which validation and the error message would walk.
MAX_VALUES = 100_000


def _check_document(node: yaml.Node, source: str) -> None:
    """Refuse a duplicate key (YAML would keep the last one silently) and a document that
    expands past MAX_VALUES through aliases, before anything is built from it."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def walk(node: yaml.Node, key: str) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in busy:
            raise ParamsError(f"{source}:{node.start_mark.line + 1}: {key or 'the document'} contains itself "
                              "(a recursive YAML alias)")
        busy.add(id(node))
        size = 1
        if isinstance(node, yaml.MappingNode):
            first: dict[object, int] = {}
            for k, v in node.value:
                name = k.value if isinstance(k, yaml.ScalarNode) else "?"
                dotted = f"{key}.{name}" if key else str(name)
                if name in first:
                    raise ParamsError(f"{source}:{k.start_mark.line + 1}: duplicate key {dotted} (first at line "
                                      f"{first[name]}); YAML would silently keep the last")
                first[name] = k.start_mark.line + 1
                size += walk(v, dotted)
        elif isinstance(node, yaml.SequenceNode):
            size += sum(walk(v, f"{key}[{i}]") for i, v in enumerate(node.value))
        if size > MAX_VALUES:
            raise ParamsError(f"{source}:{node.start_mark.line + 1}: {key or 'the document'} expands to more than "
                              f"{MAX_VALUES} values (YAML aliases nested in aliases?)")
        busy.discard(id(node))
        sizes[id(node)] = size
        return size

    walk(node, "")


def parse_yaml(text: str, source: str) -> object:
    """The YAML document in `text` (YAML 1.2 floats), checked by `_check_document` first."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_document(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_params(raw: object, source: str = str(PARAMS_FILE)) -> Params:
    """Turn the parsed YAML document into `Params`, or raise ParamsError naming the key."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: must be a mapping of sections, got {type(raw).__name__}")
    try:
        return Params.model_validate(raw)
    except ValidationError as e:
        raise ParamsError(f"{source}: {_describe(e.errors()[0])}") from None


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    path = Path(path)
    try:
        raw = parse_yaml(path.read_text(), str(path))
    except OSError as e:
        raise ParamsError(f"{path}: cannot read ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise ParamsError(f"{path}: not valid YAML ({e})") from e
    return parse_params(raw, str(path))


def parse_sets(items: list[str]) -> dict[str, object]:
    """`key=value` strings (the --set of the tools) as {dotted key: value}, each value read as
    YAML, as `dvc exp run -S` reads it: 2 -> int, 1e-3 -> float, mse -> str, [a, b] -> list."""
    sets = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParamsError(f"--set {item!r}: give key=value, e.g. train.epochs=2")
        try:
            sets[key] = parse_yaml(value, f"--set {key}")
        except yaml.YAMLError as e:
            raise ParamsError(f"--set {item!r}: the value is not valid YAML ({e})") from e
    return sets


def with_overrides(params: Params, overrides: dict[str, object]) -> Params:
    """`params` with dotted keys replaced (`{"train.lr": 0.002}`), validated like the file."""
    raw = params.model_dump()
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if section not in raw or not key:
            raise ParamsError(f"override {dotted}: no such section.key")
        raw[section][key] = value
    return parse_params(raw, "override")
