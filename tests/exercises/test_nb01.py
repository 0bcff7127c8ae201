"""Notebook 01's exercises: the checkers run the learner's code on inputs of their own."""

from __future__ import annotations

import torch
from exercise_cases import Case
from torch.utils.data import DataLoader, TensorDataset

from course_utils import checks
from course_utils.exercises import load_exercises, nb01

load_exercises("01")


def notebook_small_train() -> TensorDataset:
    """A stand-in for the notebook's 150-sample `small_train`: what a learner could hand back as it is."""
    return TensorDataset(torch.arange(150))


def reference_loop(model, loader, optimizer, loss_fn):
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()


def reset_after_step(model, loader, optimizer, loss_fn):  # also right: the first step starts from no gradient
    for xb, yb in loader:
        loss_fn(model(xb), yb).backward()
        optimizer.step()
        optimizer.zero_grad()


def no_reset(model, loader, optimizer, loss_fn):  # gradients pile up across batches
    for xb, yb in loader:
        loss_fn(model(xb), yb).backward()
        optimizer.step()


def reset_between_backward_and_step(model, loader, optimizer, loss_fn):  # zero_grad counted, in the wrong place
    for xb, yb in loader:
        loss_fn(model(xb), yb).backward()
        optimizer.zero_grad()
        optimizer.step()


def reset_once(model, loader, optimizer, loss_fn):  # once per epoch, not once per batch
    optimizer.zero_grad()
    no_reset(model, loader, optimizer, loss_fn)


def step_once(model, loader, optimizer, loss_fn):  # gradient accumulation over the whole epoch
    optimizer.zero_grad()
    for xb, yb in loader:
        loss_fn(model(xb), yb).backward()
    optimizer.step()


CASES = {
    "01.iterations": Case(right=lambda: 20, wrong={"constant: rounded down": lambda: 19, "other: rows": lambda: 1257}),
    "01.loader": Case(
        right=lambda: lambda dataset, batch_size: DataLoader(dataset, batch_size, shuffle=True, drop_last=True),
        wrong={
            "constant: the notebook's loader, whatever it is asked": lambda: (
                lambda d, b: DataLoader(notebook_small_train(), batch_size=16, shuffle=True, drop_last=True)
            ),
            "reused: section 3's train_loader settings (short batch kept)": lambda: (
                lambda d, b: DataLoader(d, b, shuffle=True)
            ),
            "other: no shuffling": lambda: lambda d, b: DataLoader(d, b, drop_last=True),
            "other: the batch size ignored": lambda: lambda d, b: DataLoader(d, 10, shuffle=True, drop_last=True),
        },
    ),
    "01.train_epoch": Case(
        right=lambda: reference_loop,
        wrong={
            "constant: hands the model back untrained": lambda: lambda model, loader, optimizer, loss_fn: model,
            "other: never resets the gradients": lambda: no_reset,
            "other: resets between backward and step": lambda: reset_between_backward_and_step,
            "other: resets once per epoch": lambda: reset_once,
            "other: one step per epoch": lambda: step_once,
        },
        impossible={"reused": "the notebook has no train_epoch function to hand back; its loop is inline code"},
    ),
    "01.step_budget": Case(
        right=lambda: (256, 1e-2),
        wrong={
            "constant: Adam's defaults from section 4": lambda: (32, 1e-3),
            "reused: section 3's batch size": lambda: (16, 1e-3),
            "other: a learning rate far too large": lambda: (256, 0.5),
            "other: not a batch size": lambda: (0, 1e-2),
        },
    ),
}


def test_a_loop_that_resets_after_the_step_is_right_too():
    assert checks.check("01.train_epoch", reset_after_step).status == "correct"


def test_the_loader_checker_draws_a_new_case_each_call():
    seen = set()
    original = nb01.random.Random
    sizes = []

    class Spy(original):
        def randrange(self, *args):
            value = super().randrange(*args)
            sizes.append(value)
            return value

    nb01.random.Random = Spy
    try:
        for _ in range(4):
            checks.check("01.loader", CASES["01.loader"].right())
    finally:
        nb01.random.Random = original
    seen.update(sizes)
    assert len(seen) > 1


def test_the_step_budget_is_measured_reproducibly():
    assert nb01.step_budget_accuracy(256, 1e-2, 0) == nb01.step_budget_accuracy(256, 1e-2, 0)


def test_a_loader_that_keeps_the_short_batch_is_refused_whatever_size_is_drawn():
    keeps_short_batch = CASES["01.loader"].wrong["reused: section 3's train_loader settings (short batch kept)"]()
    assert all(checks.check("01.loader", keeps_short_batch).status == "wrong" for _ in range(30))
