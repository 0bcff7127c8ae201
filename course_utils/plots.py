"""Plots the notebooks share: learning curves, per-iteration loss, image grids.

Confusion matrices come from scikit-learn (``ConfusionMatrixDisplay.from_predictions``), the same
plot in every notebook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .train import History


def learning_curves(
    runs: Mapping[str, History],
    metric: str = "val_acc",
    ax=None,
    title: str | None = None,
    mark_best: bool = True,
):
    """One line per run of ``metric`` against epoch; a dot marks each run's best epoch."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    for label, history in runs.items():
        epochs, values = history.column("epoch"), history.column(metric)
        (line,) = ax.plot(epochs, values, marker=".", label=label)
        if mark_best and history.best_epoch is not None and history.best_epoch <= len(values):
            ax.plot(history.best_epoch, values[history.best_epoch - 1], "o", ms=9, mfc="none", color=line.get_color())
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_title(title or metric.replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def train_vs_val(history: History, metric: str = "loss", ax=None, title: str | None = None):
    """Training and validation ``metric`` of one run, with the restored best epoch marked."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    epochs = history.column("epoch")
    ax.plot(epochs, history.column(f"train_{metric}"), label=f"train {metric}")
    ax.plot(epochs, history.column(f"val_{metric}"), label=f"validation {metric}")
    if history.best_epoch is not None:
        ax.axvline(history.best_epoch, color="gray", ls="--", label=f"best epoch ({history.best_epoch})")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(title or f"train vs validation {metric}")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def step_loss(history: History, ax=None, smooth: int = 0, title: str = "loss per iteration"):
    """Training loss at every iteration, with epoch boundaries and an optional moving average."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    losses = np.asarray(history.step_loss)
    ax.plot(np.arange(1, len(losses) + 1), losses, lw=0.8, alpha=0.6 if smooth else 1.0, label="batch loss")
    if smooth > 1 and len(losses) >= smooth:
        kernel = np.ones(smooth) / smooth
        ax.plot(
            np.arange(smooth, len(losses) + 1), np.convolve(losses, kernel, mode="valid"), label=f"mean of {smooth}"
        )
    steps_per_epoch = len(losses) // max(len(history.epochs), 1)
    if len(history.epochs) <= 20:  # more boundaries than that only clutter the plot
        for e in range(1, len(history.epochs)):
            ax.axvline(e * steps_per_epoch + 0.5, color="gray", lw=0.5, ls=":")
    ax.set_xlabel("iteration (optimizer step)")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if smooth:
        ax.legend()
    return ax


def image_grid(images: Sequence, titles: Sequence[str] | None = None, ncols: int = 6, colors=None, size: float = 2.2):
    """Show images (PIL, HxW or HxWxC arrays) in a grid with optional coloured titles."""
    nrows = max(1, -(-len(images) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        img = np.asarray(images[i])
        ax.imshow(img, cmap="gray_r" if img.ndim == 2 else None)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9, **({} if colors is None else {"color": colors[i]}))
    fig.tight_layout()
    return fig
