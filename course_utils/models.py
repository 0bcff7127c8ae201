"""Pretrained vision backbones from the asset layer, with their own preprocessing.

``load_backbone()`` gives ResNet-50 (torchvision, ImageNet weights) by default. The
``COURSE_BACKBONE`` environment variable picks another for a whole run: CI and machines
without the ResNet-50 weights use ``efficientnet_lite0``, whose weights ship in the
course's offline mirror; it has 5x fewer parameters and ran 2.5 to 3 times faster than
ResNet-50 in notebook 02 on a 2-core CPU (forward pass and full training alike).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import assets, config
from .claims import TIMING_ONLY_ENV, timing_only
from .errors import AssetUnavailableError, ParameterError

DEFAULT_BACKBONE = "resnet50"
BACKBONES = {
    "resnet50": "resnet50-imagenet",
    "efficientnet_lite0": "efficientnet-lite0-imagenet",
}


@dataclass
class Backbone:
    """A pretrained classifier plus what a notebook needs to reuse it."""

    name: str
    model: nn.Module
    transform: Callable  # the weights' own evaluation preprocessing (PIL image -> tensor)
    feature_dim: int  # width of the features that enter the head
    head_attr: str  # attribute holding the ImageNet head: model.<head_attr>
    categories: list[str] = field(repr=False)  # the 1,000 ImageNet class names, in index order
    weights: str = ""  # which weights, in words
    reason: str = ""  # why this backbone was chosen for the run
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)  # normalisation the weights expect
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)

    def stages(self) -> list[tuple[str, nn.Module]]:
        """The body as named stages, in order: applying them one after another, then
        :meth:`pool` and the head, is the model's forward pass. Freezing "up to a stage" and
        caching activations at a stage boundary both use this split."""
        m = self.model
        if self.name == "resnet50":
            stem = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool)
            return [("stem", stem)] + [(f"layer{i}", getattr(m, f"layer{i}")) for i in range(1, 5)]
        # EfficientNet-Lite0 (timm): 7 block stages; the 1x1 head convolution goes with the last.
        blocks = list(m.blocks)
        named = [("stem", nn.Sequential(m.conv_stem, m.bn1))]
        named += [(f"blocks.{i}", block) for i, block in enumerate(blocks[:-1])]
        named.append((f"blocks.{len(blocks) - 1}+conv_head", nn.Sequential(blocks[-1], m.conv_head, m.bn2)))
        return named

    def pool(self, activations: torch.Tensor) -> torch.Tensor:
        """Global average pooling to one feature vector per image: (N, C, H, W) -> (N, C)."""
        return activations.mean(dim=(2, 3))

    def __repr__(self) -> str:  # short and address-free, so notebook outputs stay stable
        fields = f"name={self.name!r}, feature_dim={self.feature_dim}, head={self.head_attr!r}"
        return f"Backbone({fields}, weights={self.weights!r})"


def choose_backbone(name: str | None = None) -> tuple[str, str]:
    """The backbone for this run and the reason, from the argument or ``COURSE_BACKBONE``."""
    if name is not None:
        choice, reason = name, "requested in the code"
    elif config.is_set("COURSE_BACKBONE"):
        choice = config.raw("COURSE_BACKBONE")
        reason = f"COURSE_BACKBONE={choice} is set for this run"
    else:
        choice, reason = DEFAULT_BACKBONE, "the course default"
    if choice not in BACKBONES:
        raise ParameterError(f"Unknown backbone {choice!r}; choose one of: {', '.join(BACKBONES)}.")
    return choice, reason


def imagenet_categories() -> list[str]:
    """The 1,000 ImageNet-1k class names in index order (shipped with torchvision)."""
    from torchvision.models import ResNet50_Weights

    return list(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])


def _resnet50_transform() -> Callable:
    from torchvision.models import ResNet50_Weights

    return ResNet50_Weights.IMAGENET1K_V1.transforms()


def _resnet50() -> tuple[nn.Module, Callable, str]:
    from torchvision.models import ResNet50_Weights, resnet50

    # The asset layer verifies the file and links it into torch.hub's checkpoint folder,
    # so the standard torchvision call below loads it without a download.
    # Offline, its error names the offline backbone (the registry's offline_alternative).
    assets.fetch("resnet50-imagenet")
    weights = ResNet50_Weights.IMAGENET1K_V1
    return resnet50(weights=weights), _resnet50_transform(), "torchvision ResNet50_Weights.IMAGENET1K_V1"


def eval_transform(resize: int, crop: int, mean: Sequence[float], std: Sequence[float]) -> Callable:
    """PIL image -> normalised tensor: resize the shorter side (bilinear), centre-crop, scale, normalise.
    A saved predictor (predictor.py) records these four numbers and rebuilds its preprocessing here."""
    from torchvision import transforms  # here, not at the top: importing torchvision costs a text notebook 160 MiB

    return transforms.Compose(
        [
            transforms.Resize(resize, interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.CenterCrop(crop),
            transforms.ToTensor(),
            transforms.Normalize(mean=list(mean), std=list(std)),
        ]
    )


def efficientnet_lite0_transform() -> Callable:
    """Resize 256 (bilinear), centre-crop 224, mean = std = 0.5: the weights' own preprocessing.

    With ImageNet's mean/std instead, zero-shot 'ant' on hymenoptera val drops from 58/70 to 40/70.
    """
    return eval_transform(256, 224, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def _efficientnet_lite0() -> tuple[nn.Module, Callable, str]:

    model = build_architecture("efficientnet_lite0")
    file = assets.path("efficientnet-lite0-imagenet", "efficientnet-lite0-57934424.pth")
    source = torch.load(file, map_location="cpu", weights_only=True)
    # The file uses EfficientNet-PyTorch names; it lists the same tensors in the same order
    # as timm's model, so map by position and insist that every shape agrees.
    target = model.state_dict()
    if len(source) != len(target):
        raise RuntimeError(f"EfficientNet-Lite0 weights have {len(source)} tensors, timm expects {len(target)}")
    mapped = OrderedDict()
    for (src_key, tensor), (dst_key, expected) in zip(source.items(), target.items(), strict=True):
        if tensor.shape != expected.shape:
            raise RuntimeError(f"shape mismatch: {src_key} {tuple(tensor.shape)} vs {dst_key} {tuple(expected.shape)}")
        mapped[dst_key] = tensor
    model.load_state_dict(mapped, strict=True)
    return model, efficientnet_lite0_transform(), "EfficientNet-Lite0 ImageNet-1k (tensorflow/tpu release)"


def build_architecture(name: str, num_classes: int = 1000) -> nn.Module:
    """The backbone's architecture with random weights (for training from scratch)."""
    choice, _ = choose_backbone(name)
    if choice == "resnet50":
        from torchvision.models import resnet50

        return resnet50(weights=None, num_classes=num_classes)
    import timm

    return timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=num_classes)


def load_backbone(name: str | None = None) -> Backbone:
    """Load a pretrained ImageNet backbone in eval mode, with its preprocessing."""
    choice, reason = choose_backbone(name)
    if timing_only():  # benchmarks only: same architecture and cost, no weights needed
        transform = _resnet50_transform() if choice == "resnet50" else efficientnet_lite0_transform()
        model, weights = build_architecture(choice), f"RANDOM, untrained ({TIMING_ONLY_ENV}=1: for timing only)"
        reason += f"; {TIMING_ONLY_ENV}=1, so accuracy claims are not checked"
    else:
        build = {"resnet50": _resnet50, "efficientnet_lite0": _efficientnet_lite0}[choice]
        model, transform, weights = build()
    head_attr = "fc" if choice == "resnet50" else "classifier"
    head = getattr(model, head_attr)
    return Backbone(
        name=choice,
        model=model.eval(),
        transform=transform,
        feature_dim=head.in_features,
        head_attr=head_attr,
        categories=imagenet_categories(),
        weights=weights,
        reason=reason,
        **({} if choice == "resnet50" else {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)}),
    )


def text_model_path(model_id: str) -> str:
    """Where ``transformers`` should load ``model_id`` from.

    A course asset name (``"all-MiniLM-L6-v2"``) becomes its verified local folder, so loading
    works offline; anything else (``"bert-base-uncased"``) is passed on as a Hugging Face Hub id,
    which needs a connection the first time.
    """
    if not isinstance(model_id, str) or not model_id.strip():
        raise ParameterError(f"model_id must be a non-empty string, got {model_id!r}.")
    if model_id in assets.registry():
        return str(assets.fetch(model_id))
    # HF_HUB_OFFLINE is huggingface_hub's own switch, read with its own rule: set and not "0" means offline.
    offline = assets.is_offline() or os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0")
    if offline and not Path(model_id).is_dir():
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(model_id, "config.json"), str):
            raise AssetUnavailableError(
                f"{model_id!r} is not a course asset and is not in the Hugging Face cache, and this run is "
                "offline. Use a course model (e.g. MODEL_ID = 'all-MiniLM-L6-v2'), or run once with a "
                "connection (unset HF_HUB_OFFLINE and COURSE_OFFLINE) to download it."
            )
    return model_id
