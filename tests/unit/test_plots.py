"""course_utils.plots draws what it is given (rendered off-screen)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from course_utils import plots  # noqa: E402
from course_utils.train import History  # noqa: E402


def history(values, best):
    rows = [{"epoch": i + 1, "val_acc": v, "train_loss": 1 - v, "val_loss": 1.1 - v} for i, v in enumerate(values)]
    return History(epochs=rows, step_loss=list(np.linspace(2, 0.1, 12)), best_epoch=best)


def test_learning_curves_draw_one_line_and_best_marker_per_run():
    ax = plots.learning_curves({"scratch": history([0.5, 0.6, 0.55], 2), "fine-tuned": history([0.8, 0.9, 0.85], 2)})
    lines = [line for line in ax.get_lines() if line.get_marker() == "."]
    assert [line.get_label() for line in lines] == ["scratch", "fine-tuned"]
    assert list(lines[1].get_ydata()) == [0.8, 0.9, 0.85]
    assert len(ax.get_lines()) == 4  # two curves, two best-epoch markers


def test_train_vs_val_and_step_loss():
    h = history([0.5, 0.6, 0.7], 3)
    ax = plots.train_vs_val(h)
    assert {line.get_label() for line in ax.get_lines()} >= {"train loss", "validation loss", "best epoch (3)"}
    ax = plots.step_loss(h, smooth=4)
    assert len(ax.get_lines()[0].get_ydata()) == 12


def test_image_grid_titles_and_empty_cells():
    fig = plots.image_grid([np.zeros((8, 8))] * 5, titles=[f"#{i}" for i in range(5)], ncols=3)
    assert (
        plots.image_grid([np.zeros((4, 4, 3))], titles=["ok"], colors=["green"]).get_axes()[0].title.get_color()
        == "green"
    )
    axes = fig.get_axes()
    assert len(axes) == 6 and [ax.get_title() for ax in axes[:5]] == ["#0", "#1", "#2", "#3", "#4"]
    assert not axes[5].images
