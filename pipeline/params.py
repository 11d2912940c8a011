"""Read params.yaml once, check every value, and hand stages frozen, typed sections.

Stages never open params.yaml themselves: they call `load_params()` and take the
section they need. Every error names the file, the dotted key, the bad value and
what is allowed, e.g. ``params.yaml: train.loss='foo' is not one of mae, mse, charbonnier``.
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

PARAMS_FILE = Path("params.yaml")


class ParamsError(ValueError):
    """A value in params.yaml is missing, unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Base:
    seed: int
    scale: Literal[2, 3, 4]


@dataclass(frozen=True)
class Scrape:
    sample: bool
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    max_depth: int
    queries: tuple[str, ...]
    search_api: str
    licenses: tuple[str, ...]
    max_images: int
    max_pages: int
    max_file_bytes: int
    max_total_bytes: int
    min_width: int
    min_height: int
    max_pixels: int
    timeout_s: float
    delay_s: float


@dataclass(frozen=True)
class Filter:
    max_pixels: int
    grayscale: Literal["keep", "reject"]
    alpha: Literal["composite", "reject"]
    dedupe_distance: int
    min_detail: float
    min_colors: int
    val_fraction: float
    test_fraction: float


@dataclass(frozen=True)
class Crop:
    mode: Literal["tiles", "center", "seed"]
    side: int
    stride: int
    max_per_image: int


@dataclass(frozen=True)
class Downscale:
    method: Literal["matlab", "pillow"]
    jpeg_quality: tuple[int, ...]
    blur_sigma: tuple[float, ...]
    noise_sigma: float


@dataclass(frozen=True)
class Model:
    arch: Literal["edsr", "original"]
    blocks: int
    filters: int
    convs_per_block: int
    kernel_size: int
    upsampler: Literal["pixel_shuffle", "nearest"]
    residual_scale: float
    skip: Literal["bicubic", "bilinear", "none"]


@dataclass(frozen=True)
class Train:
    loss: Literal["mae", "mse", "charbonnier"]
    lr: float
    lr_schedule: Literal["cosine", "constant"]
    batch_size: int
    patch_size: int
    epochs: int
    steps_per_epoch: int
    mixed_precision: Literal["auto", "on", "off"]


@dataclass(frozen=True)
class Evaluate:
    tolerance: int
    self_ensemble: bool
    pictures: int


@dataclass(frozen=True)
class Params:
    base: Base
    scrape: Scrape
    filter: Filter
    crop: Crop
    downscale: Downscale
    model: Model
    train: Train
    evaluate: Evaluate


# Lower bounds checked for every numeric key (inclusive); upper bounds where one exists.
_RANGES: dict[str, tuple[float, float | None]] = {
    "scrape.max_depth": (0, None),
    "scrape.max_images": (1, None),
    "scrape.max_pages": (1, None),
    "scrape.max_file_bytes": (1, None),
    "scrape.max_total_bytes": (1, None),
    "scrape.min_width": (1, None),
    "scrape.min_height": (1, None),
    "scrape.max_pixels": (1, None),
    "scrape.timeout_s": (0.1, 3600),
    "scrape.delay_s": (0, 3600),
    "filter.max_pixels": (1, None),
    "filter.dedupe_distance": (-1, 64),
    "filter.min_detail": (0, None),
    "filter.min_colors": (0, None),
    "filter.val_fraction": (0, 1),
    "filter.test_fraction": (0, 1),
    "crop.side": (2, None),
    "crop.stride": (1, None),
    "crop.max_per_image": (1, None),
    "downscale.noise_sigma": (0, 255),
    "model.blocks": (0, None),
    "model.filters": (1, None),
    "model.convs_per_block": (1, None),
    "model.kernel_size": (1, None),
    "model.residual_scale": (0, None),
    "train.lr": (0, 1),
    "train.batch_size": (1, None),
    "train.patch_size": (4, None),
    "train.epochs": (1, None),
    "train.steps_per_epoch": (1, None),
    "evaluate.tolerance": (0, 255),
    "evaluate.pictures": (0, None),
}


def _fail(source: str, key: str, value: object, why: str) -> typing.NoReturn:
    raise ParamsError(f"{source}: {key}={value!r} {why}")


def _convert(value: object, hint: object, key: str, source: str) -> object:
    """Check `value` against a type hint and return it in the dataclass's type."""
    origin = typing.get_origin(hint)
    if origin is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
            _fail(source, key, value, f"is not one of {', '.join(map(str, allowed))}")
        return value
    if origin is tuple:
        (item_hint, _) = typing.get_args(hint)
        if not isinstance(value, list):
            _fail(source, key, value, f"must be a list of {item_hint.__name__}")
        return tuple(_convert(v, item_hint, f"{key}[{i}]", source) for i, v in enumerate(value))
    if hint is bool:
        if not isinstance(value, bool):
            _fail(source, key, value, "must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(source, key, value, "must be an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _fail(source, key, value, "must be a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str) or not value:
            _fail(source, key, value, "must be a non-empty string")
        return value
    raise TypeError(f"no converter for {hint!r} ({key})")  # a bug in this module, not in YAML


def _section(cls: type, raw: object, name: str, source: str) -> object:
    if not isinstance(raw, dict):
        _fail(source, name, raw, "must be a mapping of keys to values")
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        _fail(source, f"{name}.{unknown[0]}", raw[unknown[0]],
              f"is not a known key; {name} takes {', '.join(known)}")
    values = {}
    for field in known:
        key = f"{name}.{field}"
        if field not in raw:
            raise ParamsError(f"{source}: {key} is missing")
        value = _convert(raw[field], hints[field], key, source)
        if key in _RANGES and isinstance(value, (int, float)):
            lo, hi = _RANGES[key]
            if value < lo or (hi is not None and value > hi):
                _fail(source, key, value, f"is outside {lo}..{'inf' if hi is None else hi}")
        values[field] = value
    return cls(**values)


def _check_ranges_pairwise(key: str, value: tuple, source: str, lo: float, hi: float) -> None:
    if value and (len(value) != 2 or not lo <= value[0] <= value[1] <= hi):
        _fail(source, key, list(value), f"must be [] (off) or [low, high] with {lo} <= low <= high <= {hi}")


def _check_together(p: Params, source: str) -> None:
    """Rules that involve more than one key."""
    if p.crop.side % p.base.scale:
        _fail(source, "crop.side", p.crop.side, f"is not a multiple of base.scale={p.base.scale}")
    if p.filter.val_fraction + p.filter.test_fraction >= 1:
        _fail(source, "filter.test_fraction", p.filter.test_fraction,
              f"plus filter.val_fraction={p.filter.val_fraction} leaves no training images")
    if p.train.patch_size * p.base.scale > p.crop.side:
        _fail(source, "train.patch_size", p.train.patch_size,
              f"times base.scale={p.base.scale} exceeds crop.side={p.crop.side}")
    if p.model.kernel_size % 2 == 0:
        _fail(source, "model.kernel_size", p.model.kernel_size, "must be odd so outputs stay aligned")
    _check_ranges_pairwise("downscale.jpeg_quality", p.downscale.jpeg_quality, source, 1, 100)
    _check_ranges_pairwise("downscale.blur_sigma", p.downscale.blur_sigma, source, 0, 50)
    for url in p.scrape.start_urls + (p.scrape.search_api,):
        if not url.startswith(("http://", "https://", "file://")):
            _fail(source, "scrape.start_urls", url, "must start with http://, https:// or file://")


def parse_params(raw: object, source: str = str(PARAMS_FILE)) -> Params:
    """Turn the parsed YAML document into `Params`, or raise ParamsError naming the key."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: must be a mapping of sections, got {type(raw).__name__}")
    hints = typing.get_type_hints(Params)
    sections = [f.name for f in dataclasses.fields(Params)]
    unknown = sorted(set(raw) - set(sections))
    if unknown:
        raise ParamsError(f"{source}: section {unknown[0]!r} is not known; "
                          f"sections are {', '.join(sections)}")
    missing = [s for s in sections if s not in raw]
    if missing:
        raise ParamsError(f"{source}: section {missing[0]!r} is missing")
    params = Params(**{s: _section(hints[s], raw[s], s, source) for s in sections})
    _check_together(params, source)
    return params


def stage_parser(doc: str | None, jobs: bool = False) -> argparse.ArgumentParser:
    """The command line every stage shares: its docstring as help, --params (and --jobs)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params", type=Path, default=PARAMS_FILE, help="params file (default: params.yaml)")
    if jobs:
        from pipeline.parallel import default_jobs

        parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes (default: all cores)")
    return parser


def load_params(path: Path | str = PARAMS_FILE) -> Params:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ParamsError(f"{path}: cannot read ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise ParamsError(f"{path}: not valid YAML ({e})") from e
    return parse_params(raw, str(path))


__all__ = ["Base", "Scrape", "Filter", "Crop", "Downscale", "Model", "Train", "Evaluate",
           "Params", "ParamsError", "load_params", "parse_params"]
