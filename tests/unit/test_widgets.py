"""The batch explorer's arithmetic, and its static rendering where widgets are not shown."""

from __future__ import annotations

import math

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from course_utils.errors import ParameterError
from course_utils.widgets import BatchExplorer, BatchPlan


@pytest.mark.parametrize(
    "n,b,drop",
    [
        (1000, 100, False),
        (1000, 300, False),
        (1000, 300, True),
        (7, 10, False),
        (7, 10, True),
        (1, 1, False),
        (1257, 64, False),
    ],
)
def test_plan_matches_what_a_dataloader_does(n, b, drop):
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=b, drop_last=drop)
    plan = BatchPlan(n, b, epochs=3, drop_last=drop)
    assert plan.iterations_per_epoch == len(loader)
    assert plan.batch_sizes == [len(x) for (x,) in loader]
    assert plan.total_steps == 3 * len(loader)
    assert plan.iterations_per_epoch == (n // b if drop else math.ceil(n / b))


def test_the_issue_examples():
    assert BatchPlan(1000, 100).iterations_per_epoch == 10
    assert BatchPlan(1000, 300).iterations_per_epoch == 4
    assert BatchPlan(1000, 300, drop_last=True).iterations_per_epoch == 3


@pytest.mark.parametrize("bad", [0, -5, 2.5, "10", True])
def test_bad_values_are_clear_errors(bad):
    with pytest.raises(ParameterError, match="batch_size must be a whole number"):
        BatchPlan(1000, bad)


def test_static_rendering_carries_the_numbers():
    explorer = BatchExplorer(1000, 300, epochs=2)
    bundle = explorer._repr_mimebundle_()
    assert (
        bundle["text/plain"]
        == "1000 samples / batch size 300 -> 4 iterations per epoch x 2 epochs = 8 steps (last batch holds 100)"
    )
    assert 'class="iterations-per-epoch">4<' in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "0x" not in bundle["text/plain"]


def test_moving_a_slider_updates_the_plan():
    explorer = BatchExplorer(1000, 100, epochs=3)
    assert explorer.widget is not None  # builds the controls
    explorer.batch_size.value = 250
    assert explorer.plan.iterations_per_epoch == 4
    assert 'class="iterations-per-epoch">4<' in explorer.view.value
    explorer.drop_last.value = True
    explorer.n_samples.value = 1100
    assert explorer.plan.iterations_per_epoch == 4 and "dropped" in explorer.plan.summary()
