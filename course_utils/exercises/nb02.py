"""Exercises for notebook 02: layer freezing, feature extraction and fine-tuning."""

from __future__ import annotations

import torch
from torch import nn

from ..checks import equals, one_of, register


def _only_head_trainable(model: nn.Module) -> bool:
    head = getattr(model, "fc", None) or getattr(model, "classifier", None)
    if not isinstance(head, nn.Linear):
        return False
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    return trainable == {id(p) for p in head.parameters()}


def _head_reaches_90(answer: tuple) -> bool:
    """``(head, features, labels)``: the trained head gets at least 90% of the labelled features right."""
    head, features, labels = answer
    if not isinstance(head, nn.Module):
        return False
    head.eval()
    with torch.inference_mode():
        accuracy = (head(features).argmax(1) == labels).float().mean().item()
    print(f"validation accuracy of your head: {accuracy:.3f}")
    return accuracy >= 0.90


register(
    "02.head_params",
    "How many trainable parameters does a new 2-class head on ResNet-50's 2048 features have?",
    equals(4098),
    (
        "a Linear layer has one weight per (input, output) pair plus one bias per output.",
        "inputs = 2048 features, outputs = 2 classes: weights + biases.",
    ),
)
register(
    "02.freeze",
    "Make frozen_model: the architecture with every parameter frozen except its head's.",
    _only_head_trainable,
    (
        "a parameter is frozen when autograd stops computing its gradient; only the head should keep one.",
        "every tensor in model.named_parameters() has a requires_grad flag; the head's names start with its "
        "attribute name ('fc' on ResNet-50, 'classifier' on EfficientNet).",
        "for name, p in frozen_model.named_parameters(): p.requires_grad = name.startswith(backbone.head_attr + '.')",
    ),
)
register(
    "02.bn_mode",
    "Which mode should frozen BatchNorm layers be in while fine-tuning: 'train' or 'eval'?",
    one_of("eval", "eval mode", "model.eval()", ".eval()"),
    (
        "what does BatchNorm do with the statistics of each batch when it is in train mode?",
        "in train mode BatchNorm normalises with each small batch's statistics and overwrites ImageNet's.",
    ),
)
register(
    "02.trained_head",
    "Train my_head, a new linear layer on the cached features, to at least 90% validation accuracy.",
    _head_reaches_90,
    (
        "the features are already computed: only a linear layer from the feature size to 2 classes learns.",
        "a DataLoader over TensorDataset(F_train, y_train) with shuffling, Adam, and section 4's fit().",
        "my_head = nn.Linear(F_train.shape[1], 2); fit(my_head, loader, epochs=15, "
        "optimizer=torch.optim.Adam(my_head.parameters(), lr=1e-3))",
    ),
)
