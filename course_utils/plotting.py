"""Plots the notebooks repeat: curves (with a band over seeds), histories, schedules,
image grids and distributions. Every function sets a title and axis labels, returns
its ``Axes`` and works headless (any matplotlib backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from .training import History


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 3.8)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=figsize, layout="constrained")[1]


def _as_numpy(values) -> np.ndarray:
    return values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, dtype=float)


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    x: Sequence[float] | None = None,
    logy: bool = False,
    logx: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """One line per entry of ``curves``; runs of shape ``(seeds, steps)`` are drawn as mean with a min-max band."""
    ax = _axes(ax)
    for label, values in curves.items():
        v = _as_numpy(values)
        xs = np.arange(v.shape[-1]) if x is None else _as_numpy(x)
        if v.ndim == 2 and len(v) == 1:
            v = v[0]
        if v.ndim == 2:
            line = ax.plot(xs, v.mean(0), label=f"{label} (mean of {len(v)})")[0]
            ax.fill_between(xs, v.min(0), v.max(0), alpha=0.2, color=line.get_color())
        else:
            ax.plot(xs, v, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    if len(curves) > 1:
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_history(history: History, *, title: str = "Training history", metric: str = "loss") -> np.ndarray:
    """Train and validation ``metric`` ("loss" or "acc") per epoch, plus the learning rate; returns two Axes."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    curves = {"train": getattr(history, f"train_{metric}")}
    if getattr(history, f"val_{metric}"):
        curves["validation"] = getattr(history, f"val_{metric}")
    plot_curves(
        curves,
        x=np.array(history.epoch) + 1,
        title=f"{title}: {metric}",
        xlabel="epoch",
        ylabel="cross-entropy loss (nats)" if metric == "loss" else "accuracy (fraction)",
        ax=axes[0],
    )
    plot_curves(
        {"lr": history.lr},
        x=np.array(history.epoch) + 1,
        title=f"{title}: learning rate",
        xlabel="epoch",
        ylabel="learning rate",
        ax=axes[1],
    )
    return axes


def plot_schedule(
    lrs: Mapping[str, Sequence[float]],
    *,
    title: str = "Learning-rate schedules",
    xlabel: str = "step",
    logy: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Learning rate against step for one or more schedules."""
    return plot_curves(lrs, title=title, xlabel=xlabel, ylabel="learning rate", logy=logy, ax=ax)


def show_images(images: torch.Tensor, labels: Sequence | None = None, *, title: str, nrow: int = 8, cmap: str = "gray") -> np.ndarray:
    """A grid of images ``(N, C, H, W)`` or ``(N, H, W)`` with optional labels above each."""
    images = images.detach().cpu()
    if images.ndim == 4:
        images = images.permute(0, 2, 3, 1).squeeze(-1) if images.shape[1] in (1, 3) else images[:, 0]
    n = len(images)
    rows = -(-n // nrow)
    fig, axes = plt.subplots(rows, nrow, figsize=(1.2 * nrow, 1.3 * rows + 0.4), squeeze=False, layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i].numpy(), cmap=cmap)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=9)
    fig.suptitle(title)
    return axes


def plot_distributions(samples: Mapping[str, Sequence[float]], *, title: str, xlabel: str, ax: Axes | None = None, bins: int = 60) -> Axes:
    """Overlaid histograms with density curves (seaborn) of one or more samples."""
    import seaborn as sns

    ax = _axes(ax)
    for label, values in samples.items():
        sns.histplot(_as_numpy(values).ravel(), bins=bins, stat="density", kde=True, element="step", alpha=0.3, label=label, ax=ax)
    ax.set(title=title, xlabel=xlabel, ylabel="density")
    if len(samples) > 1:
        ax.legend(fontsize="small")
    return ax
