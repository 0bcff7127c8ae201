"""Notebook 01's exercises: right answers pass, wrong ones are refused."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercises import load_exercises, nb01

load_exercises("01")


def test_notebook_01_checkers_accept_the_reference_answers_and_reject_others():
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    small = TensorDataset(torch.zeros(150, 2), torch.zeros(150))
    assert checks.check("01.iterations", 20) and not checks.check("01.iterations", 19)
    assert checks.check("01.total_steps", 155) and not checks.check("01.total_steps", 160)
    assert checks.check("01.loader", DataLoader(small, batch_size=16, shuffle=True, drop_last=True))
    assert not checks.check("01.loader", DataLoader(small, batch_size=16, shuffle=True))
    assert checks.check("01.noisier", "small") and not checks.check("01.noisier", "large")


def test_notebook_01_training_loop_exercise_checks_what_the_loop_does():
    import torch

    def reference(model, loader, optimizer, loss_fn):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()

    def model_zero_grad(model, loader, optimizer, loss_fn):  # resetting through the model is fine too
        for xb, yb in loader:
            model.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()

    def no_zero_grad(model, loader, optimizer, loss_fn):  # gradients pile up from batch to batch
        for xb, yb in loader:
            loss_fn(model(xb), yb).backward()
            optimizer.step()

    def no_step(model, loader, optimizer, loss_fn):  # gradients computed, never applied
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()

    def one_batch(model, loader, optimizer, loss_fn):  # not an epoch
        xb, yb = next(iter(loader))
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()

    def crashes(model, loader, optimizer, loss_fn):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    state = torch.random.get_rng_state()
    assert checks.check("01.train_epoch", reference).status == "correct"
    assert torch.equal(torch.random.get_rng_state(), state)  # the check leaves the learner's seed alone
    assert checks.check("01.train_epoch", model_zero_grad).status == "correct"
    for wrong in (no_zero_grad, no_step, one_batch, crashes):
        fb = checks.check("01.train_epoch", wrong)
        assert fb.status == "wrong" and "four steps" in repr(fb), wrong.__name__


def test_notebook_01_step_budget_trains_the_learners_choice():

    assert checks.check("01.step_budget", (256, 1e-2)).status == "correct"
    for wrong in ((16, 1e-3), (64, 1e-2), (256, 0.5), (0, 1e-2), (256, 0), (256.0, 1e-2), ("256", 1e-2), (True, 0.01)):
        assert checks.check("01.step_budget", wrong).status == "wrong", wrong
    assert nb01.step_budget_accuracy(256, 1e-2, 0) == nb01.step_budget_accuracy(256, 1e-2, 0)  # seeded
