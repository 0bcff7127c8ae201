"""Notebook 06's exercises: gradients, label budgets and prior corrections on inputs the checkers draw."""

from __future__ import annotations

import numpy as np
import torch
from exercise_cases import Case

from course_utils import checks
from course_utils.exercises import load_exercises

load_exercises("06")


class _Reverse(torch.autograd.Function):
    """The notebook's section 4.2 layer: the checker must refuse it, since the exercise is to build another."""

    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


def fake_label_gain(seed, n):
    """Stands in for the notebook's measure: labels pay from 12 on, on every seed."""
    return 0.03 if n >= 12 else 0.01


def reference_adjust(probabilities, source_prior, target_prior):
    adjusted = probabilities * (target_prior / source_prior)
    return adjusted / adjusted.sum(1, keepdims=True)


SECTION_5 = np.tile([0.8, 0.2], (20, 1))  # probabilities printed for the tweets, whatever is asked


CASES = {
    "06.proxy_a": Case(right=lambda: 1.6, wrong={"other: from the accuracy": lambda: 1.8, "other": lambda: 0.8}),
    "06.reverse": Case(
        right=lambda: (lambda x, lam: x.detach() + lam * (x.detach() - x),),
        wrong={
            "constant: a tensor of zeros": lambda: (lambda x, lam: torch.zeros_like(x),),
            "reused: section 4.2's autograd.Function": lambda: (lambda x, lam: _Reverse.apply(x, lam),),
            "other: the identity": lambda: (lambda x, lam: x * 1.0,),
            "other: minus x": lambda: (lambda x, lam: -lam * x,),
            "other: the sign kept": lambda: (lambda x, lam: x.detach() + lam * (x - x.detach()),),
        },
    ),
    "06.labels": Case(
        right=lambda: (12, fake_label_gain),
        wrong={
            "constant: the whole pool": lambda: (50, fake_label_gain),
            "reused: the 50 of section 5": lambda: (50.0, fake_label_gain),
            "other: too few": lambda: (8, fake_label_gain),
            "other: more than twice what is needed": lambda: (30, fake_label_gain),
        },
    ),
    "06.priors": Case(
        right=lambda: reference_adjust,
        wrong={
            "constant: the probabilities unchanged": lambda: lambda p, s, t: p,
            "reused: section 5's probabilities, whatever is asked": lambda: lambda p, s, t: SECTION_5,
            "other: the ratio upside down": lambda: lambda p, s, t: reference_adjust(p, t, s),
            "other: not renormalised": lambda: lambda p, s, t: p * (t / s),
            "other: the target prior alone": lambda: lambda p, s, t: np.tile(t, (len(p), 1)),
        },
    ),
}


def test_the_smallest_number_of_labels_that_pays_is_accepted():
    assert checks.check("06.labels", (12, fake_label_gain)).status == "correct"
    assert checks.check("06.labels", (20, fake_label_gain)).status == "correct"  # within a factor of 2
