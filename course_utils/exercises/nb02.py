"""Exercises for notebook 02: layer freezing, feature extraction and fine-tuning."""

from __future__ import annotations

from torch import nn

from ..checks import equals, one_of, register


def _only_head_trainable(model: nn.Module) -> bool:
    head = getattr(model, "fc", None) or getattr(model, "classifier", None)
    if not isinstance(head, nn.Linear):
        return False
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    return trainable == {id(p) for p in head.parameters()}


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
