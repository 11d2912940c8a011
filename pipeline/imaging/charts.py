"""Charts as PNG images (matplotlib, Agg): the training curves and the per-image gain.

DVC's own curve plots are Vega-Lite pages that load their JavaScript from a CDN, so they
show nothing offline (many GPU runners, this project's CI). These PNGs show everywhere:
`dvc plots show/diff` and the pull-request comment embed them as image plots. Style,
font (matplotlib's bundled DejaVu Sans) and size are fixed and the PNG carries no
software or time stamp, so the same numbers give the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.outputs import atomic_path

STYLE = {
    "font.family": "DejaVu Sans", "font.size": 10, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100, "savefig.dpi": 100,
}


def _figure(width: float = 6.4, height: float = 3.6):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(fig, path: Path) -> None:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})


def line_chart(xs: list[float], ys: list[float], title: str, xlabel: str, ylabel: str, path: Path,
               log_y: bool = False, whole_x: bool = False) -> None:
    """`whole_x`: ticks on whole numbers only (trials: a handful of points got 0.5 steps)."""
    import matplotlib
    from matplotlib.ticker import MaxNLocator

    with matplotlib.rc_context(STYLE):
        fig = _figure()
        ax = fig.subplots()
        ax.plot(xs, ys, marker="o", markersize=3, color="#1f6feb")
        if whole_x:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if log_y:
            ax.set_yscale("log")
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
        _save(fig, path)


def training_curves(history: list[dict], folder: Path) -> None:
    """loss.png, val_psnr_y.png and lr.png, one point per epoch."""
    epochs = [row["epoch"] for row in history]
    line_chart(epochs, [row["train/loss"] for row in history], "Training loss", "epoch", "loss",
               folder / "loss.png", log_y=True)
    line_chart(epochs, [row["val/psnr_y"] for row in history], "Validation Y-PSNR (whole images)", "epoch",
               "dB", folder / "val_psnr_y.png")
    line_chart(epochs, [row["lr"] for row in history], "Learning rate (end of epoch)", "epoch", "lr",
               folder / "lr.png", log_y=True)


def gain_chart(images: list[tuple[str, str, float]], path: Path) -> None:
    """Horizontal bars: each image's Y-PSNR gain over bicubic, grouped by split."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        fig = _figure(6.4, 0.8 + 0.28 * max(1, len(images)))
        ax = fig.subplots()
        colours = {"train": "#9aa5b1", "val": "#1f6feb", "test": "#d97706"}
        labels = [f"{split}: {name[:12]}" for split, name, _ in images]
        ax.barh(range(len(images)), [g for *_, g in images], color=[colours.get(s, "#555") for s, *_ in images])
        ax.set_yticks(range(len(images)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set(title="Model gain over bicubic per image (Y-PSNR)", xlabel="dB")
        _save(fig, path)
