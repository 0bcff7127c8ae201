"""Notebook 06's exercises: right answers pass, wrong ones are refused."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercises import load_exercises

load_exercises("06")


def test_notebook_06_reverse_gradient_must_flip_the_gradient_and_not_reuse_the_notebooks_function():
    import torch

    class Reversal(torch.autograd.Function):  # section 4.2's way: right, but the exercise asks for another
        @staticmethod
        def forward(ctx, x, lam):
            ctx.lam = lam
            return x.view_as(x)

        @staticmethod
        def backward(ctx, grad):
            return -ctx.lam * grad, None

    def exact(x, lam):
        return x.detach() + lam * (x.detach() - x)

    def rounded(x, lam):  # forwards equal to x up to rounding: accepted
        return (1 + lam) * x.detach() - lam * x

    assert checks.check("06.reverse", (exact,)).status == "correct"
    assert checks.check("06.reverse", (rounded,)).status == "correct"
    wrongs = [
        lambda x, lam: x,  # no reversal
        lambda x, lam: -lam * x,  # reverses the value too
        lambda x, lam: x.detach() - (x.detach() - x),  # gradient kept, not reversed
        lambda x, lam: x.detach() + (x.detach() - x),  # always -1, whatever lam
        lambda x, lam: x.detach(),  # no gradient at all
        lambda x, lam: x.sum(),  # wrong shape
        lambda x, lam: x.numpy(),  # not a tensor (raises: checked, never a traceback)
        Reversal.apply,
    ]
    for wrong in wrongs:
        assert checks.check("06.reverse", (wrong,)).status == "wrong"
    assert checks.check("06.reverse", (...,)).status == "unanswered"


def test_notebook_06_labels_runs_the_learners_choice_on_three_seeds():

    def label_gain(seed, n):  # a stand-in: each labelled tweet adds a point in a thousand, less on seed 1
        return 0.001 * n - 0.001 * (seed == 1)

    assert checks.check("06.labels", (25, label_gain)).status == "correct"
    for wrong in (10, 20, 60, 0, "30", 30.0, True):  # too few, over the cap of 50, or not a count
        assert checks.check("06.labels", (wrong, label_gain)).status == "wrong", wrong
