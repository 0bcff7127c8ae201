"""Exercises for notebook 02: layer freezing, feature extraction and fine-tuning."""

from __future__ import annotations

from collections.abc import Callable

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
    "How many trainable parameters does a new 5-class head on ResNet-50's 2048 features have?",
    equals(10245),
    (
        "a Linear layer has one weight per (input, output) pair plus one bias per output.",
        "inputs = 2048 features, outputs = 5 classes: weights + biases.",
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


def _replaces_the_head(replace_head: Callable) -> bool:
    """On both course architectures and for 3 and 5 classes: a new Linear head with the old input width
    and k outputs, the model's output has k scores, and no other weight changed."""
    from ..models import build_architecture

    for name, attr in (("resnet50", "fc"), ("efficientnet_lite0", "classifier")):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = build_architecture(name).eval()
        width = getattr(model, attr).in_features
        body = {n: p.detach().clone() for n, p in model.named_parameters() if not n.startswith(attr + ".")}
        for k in (3, 5):
            returned = replace_head(model, attr, k)
            model = returned if isinstance(returned, nn.Module) else model  # returning it or changing in place
            head = getattr(model, attr)
            shaped = isinstance(head, nn.Linear) and head.in_features == width and head.out_features == k
            if not (shaped and all(p.requires_grad for p in head.parameters())):  # a new head must learn
                return False
            with torch.inference_mode():
                if model.eval()(torch.zeros(1, 3, 224, 224)).shape != (1, k):
                    return False
            kept = dict(model.named_parameters())
            if any(n not in kept or not torch.equal(kept[n], p) for n, p in body.items()):
                return False
    return True


register(
    "02.new_head",
    "Write replace_head(model, head_attr, num_classes): a new, trainable linear head for num_classes classes.",
    _replaces_the_head,
    (
        "the body stays as it is; only the last layer changes: same number of inputs, one output per class.",
        "getattr(model, head_attr).in_features is the width of the features; setattr(model, head_attr, ...) "
        "installs a new nn.Linear.",
        "setattr(model, head_attr, nn.Linear(getattr(model, head_attr).in_features, num_classes)); return model",
    ),
)
