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
    "a Linear layer has one weight per (input, output) pair plus one bias per output.",
)
register(
    "02.freeze",
    "Make frozen_model: the architecture with every parameter frozen except its head's.",
    _only_head_trainable,
    "loop over model.named_parameters() and set requires_grad = False unless the name starts with the head's.",
)
register(
    "02.bn_mode",
    "Which mode should frozen BatchNorm layers be in while fine-tuning: 'train' or 'eval'?",
    one_of("eval", "eval mode", "model.eval()", ".eval()"),
    "in train mode BatchNorm normalises with the statistics of each small batch and overwrites ImageNet's.",
)
register(
    "02.trained_head",
    "Train my_head, a new linear layer on the cached features, to at least 90% validation accuracy.",
    _head_reaches_90,
    "a Linear(feature size, 2), a DataLoader over TensorDataset(F_train, y_train) with shuffling, then fit() "
    "with Adam for about 10 to 20 epochs at a learning rate near 1e-3.",
)
