"""Notebook 02's exercises: the checkers build fresh models and data splits of their own."""

from __future__ import annotations

import torch
from exercise_cases import Case
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils.exercises import load_exercises
from course_utils.models import build_architecture
from course_utils.train import fit

load_exercises("02")


def blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two classes of 32-number feature vectors, separable by a linear head: stand-ins for cached features."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    return torch.randn(n, 32, generator=g) + 1.5 * (2 * labels[:, None] - 1), labels


TRAIN, VAL = blobs(200, 0), blobs(100, 1)


def reference_head(features, labels):
    head = nn.Linear(features.shape[1], 2)
    loader = DataLoader(TensorDataset(features, labels), batch_size=16, shuffle=True)
    fit(head, loader, epochs=15, optimizer=torch.optim.Adam(head.parameters(), lr=1e-2), progress=False)
    return head


def reference_freeze(model, head_attr):
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith(head_attr + ".")
    return model


def only_body_frozen(model, head_attr):  # trusts the head's flags as they were
    for name, p in model.named_parameters():
        if not name.startswith(head_attr + "."):
            p.requires_grad = False
    return model


NOTEBOOK_FE_MODEL = reference_freeze(build_architecture("efficientnet_lite0", 2), "classifier")
ALREADY_TRAINED = reference_head(*TRAIN)


def reference_replace(model, head_attr, num_classes):
    setattr(model, head_attr, nn.Linear(getattr(model, head_attr).in_features, num_classes))
    return model


def frozen_new_head(model, head_attr, num_classes):
    reference_replace(model, head_attr, num_classes).requires_grad_(False)
    return model


CASES = {
    "02.head_params": Case(right=lambda: 10245, wrong={"other: weights only": lambda: 10240, "other": lambda: 4098}),
    "02.freeze": Case(
        right=lambda: reference_freeze,
        wrong={
            "constant: the notebook's feature-extraction model, whatever it is given": lambda: (
                lambda m, a: NOTEBOOK_FE_MODEL
            ),
            "reused: section 5's loop, which froze everything and left the head to a new layer": lambda: (
                lambda m, a: m.requires_grad_(False)
            ),
            "other: the head's own flags left as they were": lambda: only_body_frozen,
            "other: nothing frozen": lambda: lambda m, a: m,
        },
    ),
    "02.trained_head": Case(
        right=lambda: (reference_head, TRAIN, VAL),
        wrong={
            "constant: an untrained head": lambda: (lambda f, y: nn.Linear(f.shape[1], 2), TRAIN, VAL),
            "reused: the head the notebook trained, whatever the labels": lambda: (
                lambda f, y: ALREADY_TRAINED,
                TRAIN,
                VAL,
            ),
            "other: one epoch at a tiny learning rate": lambda: (
                lambda f, y: fit_briefly(f, y),
                TRAIN,
                VAL,
            ),
            "other: not a model": lambda: (lambda f, y: 0.93, TRAIN, VAL),
        },
    ),
    "02.new_head": Case(
        right=lambda: reference_replace,
        wrong={
            "constant: always two classes": lambda: lambda m, a, k: reference_replace(m, a, 2),
            "reused: the notebook's fixed 2048-wide head": lambda: lambda m, a, k: setattr(m, a, nn.Linear(2048, k)),
            "other: the new head frozen": lambda: frozen_new_head,
            "other: a head stacked on the old one": lambda: (
                lambda m, a, k: setattr(m, a, nn.Sequential(getattr(m, a), nn.Linear(1000, k)))
            ),
        },
    ),
}


def fit_briefly(features, labels):
    head = nn.Linear(features.shape[1], 2)
    with torch.no_grad():
        head.weight.mul_(0.0)
        head.bias.copy_(torch.tensor([1.0, 0.0]))  # starts at 'always class 0'
    loader = DataLoader(TensorDataset(features, labels), batch_size=200)
    fit(head, loader, epochs=1, optimizer=torch.optim.SGD(head.parameters(), lr=1e-6), progress=False)
    return head
