"""Exercises for notebook 02: layer freezing, feature extraction and fine-tuning."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..checks import equals, register

ARCHITECTURES = (("resnet50", "fc"), ("efficientnet_lite0", "classifier"))


def _fresh(name: str, seed: int = 0) -> nn.Module:
    from ..models import build_architecture

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build_architecture(name).eval()


def _returned(model: nn.Module, returned) -> nn.Module:
    """The model a learner's function produced: the one it returned, or the one it changed in place."""
    return returned if isinstance(returned, nn.Module) else model


def _freezes_all_but_the_head(freeze: Callable) -> bool:
    """On fresh ResNet-50 and EfficientNet-Lite0 models of its own (one with its head frozen beforehand, one with
    everything trainable): exactly the head's parameters require gradients afterwards, and no weight changed."""
    for (name, attr), head_frozen_first in zip(ARCHITECTURES, (True, False), strict=True):
        model = _fresh(name)
        getattr(model, attr).requires_grad_(not head_frozen_first)
        weights = {n: p.detach().clone() for n, p in model.named_parameters()}
        model = _returned(model, freeze(model, attr))
        head = {id(p) for p in getattr(model, attr).parameters()}
        trainable = {id(p) for p in model.parameters() if p.requires_grad}
        if trainable != head:
            print(f"on {name}: {len(trainable)} trainable tensors; the head has {len(head)}")
            return False
        if any(not torch.equal(p, weights[n]) for n, p in model.named_parameters() if n in weights):
            print("freezing must not change any weight")
            return False
    return True


def _trains_a_head(answer: tuple) -> bool:
    """``(train_head, (F_train, y_train), (F_val, y_val))``: a head trained by the learner's function on the
    training features gets 90% of the validation features right, and one trained on the same features with the
    labels swapped gets at most 10% right: the function must learn from what it is given."""
    train_head, (features, labels), (val_features, val_labels) = answer

    def accuracy(head: nn.Module, wanted: torch.Tensor) -> float:
        head.eval()
        with torch.inference_mode():
            return (head(val_features).argmax(1) == wanted).float().mean().item()

    with torch.random.fork_rng():
        torch.manual_seed(0)
        head = train_head(features, labels)
        swapped = train_head(features, 1 - labels)
    if not isinstance(head, nn.Module) or not isinstance(swapped, nn.Module) or head is swapped:
        print("train_head must return a new, trained nn.Module each time it is called")
        return False
    right, backwards = accuracy(head, val_labels), accuracy(swapped, val_labels)
    print(f"validation accuracy: {right:.3f}; trained on swapped labels: {backwards:.3f} (should be near 0)")
    return right >= 0.90 and backwards <= 0.10


def _replaces_the_head(replace_head: Callable) -> bool:
    """On both course architectures and for 3 and 5 classes: a new Linear head with the old input width
    and k outputs, the model's output has k scores, and no other weight changed."""
    for name, attr in ARCHITECTURES:
        model = _fresh(name)
        width = getattr(model, attr).in_features
        body = {n: p.detach().clone() for n, p in model.named_parameters() if not n.startswith(attr + ".")}
        for k in (3, 5):
            model = _returned(model, replace_head(model, attr, k))
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
    "02.head_params",
    "How many trainable parameters does a new 5-class head on ResNet-50's 2048 features have?",
    equals(10245),
    (
        "a Linear layer has one weight per (input, output) pair plus one bias per output.",
        "inputs = 2048 features, outputs = 5 classes: weights + biases.",
    ),
    kind="warm-up",
    skill="count a head's parameters",
)
register(
    "02.freeze",
    "Write freeze_all_but_head(model, head_attr): every parameter frozen except the head's.",
    _freezes_all_but_the_head,
    (
        "a parameter is frozen when autograd stops computing its gradient; only the head should keep one, "
        "whatever its flags were before.",
        "every tensor in model.named_parameters() has a requires_grad flag; the head's names start with its "
        "attribute name ('fc' on ResNet-50, 'classifier' on EfficientNet).",
        "for name, p in model.named_parameters(): p.requires_grad = name.startswith(head_attr + '.'); return model",
    ),
    skill="freeze a pretrained body",
)
register(
    "02.trained_head",
    "Write train_head(features, labels): a new linear layer trained on cached features, returned trained.",
    _trains_a_head,
    (
        "the features are already computed: only a linear layer from the feature size to 2 classes learns, "
        "on exactly the features and labels the function is given.",
        "a DataLoader over TensorDataset(features, labels) with shuffling, Adam, and fit() from notebook 01.",
        "head = nn.Linear(features.shape[1], 2); fit(head, DataLoader(TensorDataset(features, labels), "
        "batch_size=16, shuffle=True), epochs=15, optimizer=torch.optim.Adam(head.parameters(), lr=1e-3), "
        "progress=False); return head",
    ),
    skill="train a head on cached features",
)
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
    skill="replace the head for a new task",
)
