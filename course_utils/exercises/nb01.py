"""Exercises for notebook 01: epochs, batches and iterations."""

from __future__ import annotations

from collections.abc import Callable

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from ..checks import equals, one_of, register, whole_number_in


def _drop_last_loader(loader) -> bool:
    return (
        isinstance(loader, DataLoader)
        and loader.batch_size == 16
        and loader.drop_last
        and isinstance(loader.sampler, RandomSampler)
        and len(loader.dataset) == 150
        and len(loader) == 9
    )


class _CountingAdam(torch.optim.Adam):
    """Adam that counts its updates and its gradient resets, to check a learner's loop by behaviour."""

    def __init__(self, params, **kwargs):
        super().__init__(params, **kwargs)
        self.steps, self.resets = 0, 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.resets += 1
        super().zero_grad(set_to_none)


def _trains_one_epoch(train_epoch: Callable) -> bool:
    """One call trains a fresh network for one epoch on real digits: an update and a gradient reset per
    batch, and the loss on 797 digits it never trained on at most half of what it was."""
    with torch.random.fork_rng():  # seed the check without moving the learner's own random state
        torch.manual_seed(0)
        return _trains_seeded(train_epoch)


def _trains_seeded(train_epoch: Callable) -> bool:
    X, y = load_digits(return_X_y=True)
    X, y = torch.tensor(X / 16.0, dtype=torch.float32), torch.tensor(y)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    resets = []

    def counted_zero_grad(set_to_none: bool = True) -> None:  # model.zero_grad() resets the gradients too
        resets.append(1)
        nn.Module.zero_grad(model, set_to_none)

    model.zero_grad = counted_zero_grad
    loader = DataLoader(
        TensorDataset(X[:1000], y[:1000]), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    optimizer = _CountingAdam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()

    def held_out_loss() -> float:
        with torch.no_grad():
            return loss_fn(model(X[1000:]), y[1000:]).item()

    before = held_out_loss()
    train_epoch(model, loader, optimizer, loss_fn)
    one_update_per_batch = optimizer.steps == len(loader)
    fresh_gradients = optimizer.resets + len(resets) >= optimizer.steps  # optimizer's or model's zero_grad
    return one_update_per_batch and fresh_gradients and held_out_loss() < 0.5 * before


register(
    "01.iterations",
    "How many iterations make one epoch over the 1,257-row digits training split at batch size 64?",
    equals(20),
    (
        "an epoch is one pass over every row; each iteration takes one batch.",
        "the last batch may be shorter than 64 but still counts: round the division up.",
        "math.ceil(1257 / 64)",
    ),
)
register(
    "01.total_steps",
    "How many optimizer steps do 5 epochs over 1,000 samples at batch size 32 with drop_last=True take?",
    equals(155),
    (
        "count the iterations in one epoch, then multiply by the epochs.",
        "drop_last=True skips the short batch at the end, so round the division down.",
        "(1000 // 32) * 5",
    ),
)
register(
    "01.loader",
    "Build `loader_3`: a shuffling DataLoader over `small_train` with batch size 16 that drops the short batch.",
    _drop_last_loader,
    (
        "three settings matter: the batch size, shuffling, and what happens to the last short batch.",
        "torch.utils.data.DataLoader takes batch_size, shuffle and drop_last arguments.",
        "loader_3 = DataLoader(small_train, batch_size=16, shuffle=True, drop_last=True)",
    ),
)
register(
    "01.noisier",
    "Which gives a noisier estimate of the loss, a 'small' or a 'large' batch?",
    one_of("small", "small batch", "a small batch"),
    (
        "a batch's loss is an average over the batch: how does an average of few numbers vary?",
        "look at the spread of batch losses in section 4: it shrinks like 1/sqrt(batch size).",
    ),
)
register(
    "01.train_epoch",
    "Write train_epoch(model, loader, optimizer, loss_fn): one epoch of the training loop over `loader`.",
    _trains_one_epoch,
    (
        "once per batch, four steps in order: forget the previous gradients, compute the loss of the "
        "model's output, backpropagate it, update the weights.",
        "the tools: optimizer.zero_grad(), loss_fn(model(xb), yb), loss.backward(), optimizer.step().",
        "model.train(); then for xb, yb in loader: optimizer.zero_grad(); loss = loss_fn(model(xb), yb); "
        "loss.backward(); optimizer.step()",
    ),
)


STEP_BUDGET, STEP_TARGET, STEP_SEEDS = 30, 0.93, (0, 1, 2)


def step_budget_accuracy(batch_size: int, lr: float, seed: int) -> float:
    """Validation accuracy of section 3's network after STEP_BUDGET Adam steps on the full training split."""
    X, y = load_digits(return_X_y=True)
    X, y = torch.tensor(X / 16.0, dtype=torch.float32), torch.tensor(y)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    with torch.random.fork_rng():  # seeded, without moving the learner's own random state
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        g, steps = torch.Generator().manual_seed(seed), 0
        while steps < STEP_BUDGET:
            for idx in torch.randperm(len(X_train), generator=g).split(batch_size):
                loss = nn.functional.cross_entropy(model(X_train[idx]), y_train[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                steps += 1
                if steps == STEP_BUDGET:
                    break
    with torch.no_grad():
        return (model(X_val).argmax(1) == y_val).float().mean().item()


def _meets_step_budget(choice: tuple) -> bool:
    """``(batch_size, learning_rate)``: STEP_TARGET validation accuracy within STEP_BUDGET steps, every seed."""
    batch_size, lr = choice
    if not whole_number_in(batch_size, 1, 1257, "the batch size (1,257: the training split)"):
        return False
    if not isinstance(lr, int | float) or not 0 < lr <= 1:
        print("the learning rate must be a number above 0 and at most 1")
        return False
    accs = [step_budget_accuracy(batch_size, float(lr), seed) for seed in STEP_SEEDS]
    print(f"after {STEP_BUDGET} steps, validation accuracy on seeds {list(STEP_SEEDS)}: {[round(a, 3) for a in accs]}")
    return min(accs) >= STEP_TARGET


register(
    "01.step_budget",
    f"Choose (batch_size, learning_rate) that reach {STEP_TARGET:.0%} validation accuracy within {STEP_BUDGET} "
    "optimizer steps on every seed.",
    _meets_step_budget,
    (
        "the budget counts steps, not epochs: how good can a single step's gradient estimate be, and how "
        "far should each step go?",
        "section 4: a larger batch gives a less noisy gradient per step; with few steps, a learning rate "
        "well above Adam's 1e-3 default uses each of them more. step_budget_accuracy(b, lr, seed) tries one.",
        "my_choice = (256, 1e-2)",
    ),
)
