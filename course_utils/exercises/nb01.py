"""Exercises for notebook 01: epochs, batches and iterations."""

from __future__ import annotations

import random
from collections.abc import Callable

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ..checks import equals, register, whole_number_in


def _loads_shuffled_full_batches(make_loader: Callable) -> bool:
    """On a dataset of the checker's own (its size drawn each call): ``make_loader(dataset, batch_size)``
    gives only full batches, each sample at most once per epoch, a new order every epoch."""
    rng = random.Random()  # a new size and batch size at each call: no answer can be written for one case
    batch_size = rng.choice((8, 16, 32))
    size = batch_size * rng.randrange(4, 13) + rng.randrange(1, batch_size)  # always a short batch to drop
    dataset = TensorDataset(torch.arange(size))
    loader = make_loader(dataset, batch_size)
    epochs = [[i for (batch,) in loader for i in batch.tolist()] for _ in range(2)]
    sizes = [len(batch) for (batch,) in loader]
    full = size // batch_size
    if sizes != [batch_size] * full:
        print(f"{size} samples in batches of {batch_size}: expected {full} full batches, got sizes {sizes[:12]}")
        return False
    if any(len(set(e)) != len(e) or not set(e) <= set(range(size)) for e in epochs):
        print("each sample of the dataset should come at most once per epoch")
        return False
    if epochs[0] == epochs[1] or epochs[0] == sorted(epochs[0]):
        print("the order should be shuffled, and new each epoch")
        return False
    return True


class _RecordingAdam(torch.optim.Adam):
    """Adam that checks, at every update, that the gradient it applies comes from the last backward pass only."""

    def __init__(self, params, contributions: dict, **kwargs):
        super().__init__(params, **kwargs)
        self.contributions, self.steps, self.stale = contributions, 0, 0

    def step(self, closure=None):
        self.steps += 1
        for p in self.param_groups[0]["params"]:
            last = self.contributions.get(id(p))
            if p.grad is None or last is None or not torch.allclose(p.grad, last, atol=1e-7):
                self.stale += 1  # gradients summed over batches, reset too early, or never computed
                break
        self.contributions.clear()
        return super().step(closure)


def _trains_one_epoch(train_epoch: Callable) -> bool:
    """One call trains a fresh network for one epoch on real digits: one update per batch, each applying
    the gradient of that batch alone (reset before, not after, backward), and the loss on 797 digits it never
    trained on at most half of what it was."""
    with torch.random.fork_rng():  # seed the check without moving the learner's own random state
        torch.manual_seed(0)
        return _trains_seeded(train_epoch)


def _trains_seeded(train_epoch: Callable) -> bool:
    X, y = load_digits(return_X_y=True)
    X, y = torch.tensor(X / 16.0, dtype=torch.float32), torch.tensor(y)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    contributions: dict[int, torch.Tensor] = {}

    def recorder(key: int) -> Callable:
        return lambda grad: contributions.__setitem__(key, grad.detach().clone())

    for p in model.parameters():  # what each backward pass adds to p.grad, before any summing
        p.register_hook(recorder(id(p)))
    loader = DataLoader(
        TensorDataset(X[:1000], y[:1000]), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    optimizer = _RecordingAdam(model.parameters(), contributions, lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()

    def held_out_loss() -> float:
        with torch.no_grad():
            return loss_fn(model(X[1000:]), y[1000:]).item()

    before = held_out_loss()
    train_epoch(model, loader, optimizer, loss_fn)
    if optimizer.steps != len(loader):
        print(f"{len(loader)} batches should give {len(loader)} updates; there were {optimizer.steps}")
        return False
    if optimizer.stale:
        print(f"{optimizer.stale} updates applied gradients that were not this batch's alone: where is zero_grad()?")
        return False
    return held_out_loss() < 0.5 * before


register(
    "01.iterations",
    "How many iterations make one epoch over the 1,257-row digits training split at batch size 64?",
    equals(20),
    (
        "an epoch is one pass over every row; each iteration takes one batch.",
        "the last batch may be shorter than 64 but still counts: round the division up.",
        "math.ceil(1257 / 64)",
    ),
    kind="warm-up",
    skill="iterations per epoch, short last batch included",
)
register(
    "01.loader",
    "Write make_loader(dataset, batch_size): a DataLoader that shuffles every epoch and drops the short batch.",
    _loads_shuffled_full_batches,
    (
        "three settings matter: the batch size, shuffling, and what happens to the last short batch.",
        "torch.utils.data.DataLoader takes batch_size, shuffle and drop_last arguments.",
        "return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True)",
    ),
    skill="build a DataLoader: batch size, shuffling, drop_last",
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
    skill="write the training loop",
)


STEP_BUDGET, STEP_TARGET, STEP_SEEDS = 30, 0.93, (0, 1, 2)  # the docstring below says them in words


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
    """``(batch_size, learning_rate)``: 93% validation accuracy within 30 Adam steps of section 3's network, on
    seeds 0, 1 and 2, trained by the checker."""
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
    kind="decision",
    skill="choose batch size and learning rate for a step budget",
)
