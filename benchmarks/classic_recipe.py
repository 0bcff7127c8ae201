"""The classic recipe next to notebook 02's: time to the same validation accuracy on this CPU.

The classic recipe is PyTorch's *Transfer Learning for Computer Vision* tutorial: ResNet-18,
every layer fine-tuned, random crops and flips, batch 4, SGD (lr 0.001, momentum 0.9), the
rate divided by 10 every 7 epochs, 25 epochs, validation after each. Its ImageNet weights
are not available offline, and time does not depend on the weights' values, so one epoch is
timed with random weights and extrapolated to 25. (Its published run reports a best
validation accuracy of about 93%.)

Notebook 02's route to that accuracy: decode the images once, one frozen pass of the
pretrained backbone, then a linear head trained on the cached features until validation
accuracy reaches the target. That part runs for real, with real weights, on the backbone
this run uses (``COURSE_BACKBONE``); with ``COURSE_TIMING_ONLY=1`` only its time is real.

Usage: ``python benchmarks/classic_recipe.py [--target 0.93] [--out benchmarks/classic_recipe.md]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchvision import transforms
from torchvision.datasets import ImageFolder
from torchvision.models import resnet18

from course_utils import assets
from course_utils.claims import timing_only
from course_utils.models import load_backbone
from course_utils.train import evaluate, fit, seed_everything

REPO = Path(__file__).resolve().parents[1]
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def classic_epoch_seconds(data_dir: Path, workers: int) -> tuple[float, float]:
    """Seconds for one training epoch and one validation pass of the tutorial's recipe."""
    to_input = [transforms.ToTensor(), transforms.Normalize(MEAN, STD)]
    train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), *to_input])
    val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), *to_input])
    train = DataLoader(ImageFolder(data_dir / "train", train_tf), batch_size=4, shuffle=True, num_workers=workers)
    val = DataLoader(ImageFolder(data_dir / "val", val_tf), batch_size=4, num_workers=workers)
    seed_everything(0)
    model = resnet18(num_classes=2)  # the tutorial's model with its new 2-class head; weights random (timing only)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)
    history = fit(
        model,
        train,
        epochs=1,
        optimizer=optimizer,
        scheduler=scheduler,
        monitor="train_loss",
        restore_best=False,
        progress=False,
    )
    start = time.perf_counter()
    evaluate(model, val)
    return history.epochs[0]["seconds"], time.perf_counter() - start


def cached_head_seconds(data_dir: Path, target: float) -> tuple[str, float, float, int]:
    """Notebook 02's route: decode once, one frozen pass, a linear head until val accuracy >= target."""
    start = time.perf_counter()
    backbone = load_backbone()
    backbone.model = backbone.model.to(memory_format=torch.channels_last)
    splits = {}
    for split in ("train", "val"):
        folder = ImageFolder(data_dir / split)
        images = torch.stack([backbone.transform(img) for img, _ in folder])
        body = nn.Sequential(*[stage for _, stage in backbone.stages()])
        with torch.inference_mode():
            feats = torch.cat([backbone.pool(body(batch)) for batch in images.split(16)])
        splits[split] = (feats, torch.tensor(folder.targets))
    g = seed_everything(0)
    head = nn.Linear(backbone.feature_dim, 2)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-3)
    train = DataLoader(TensorDataset(*splits["train"]), batch_size=16, shuffle=True, generator=g)
    acc, epochs = 0.0, 0
    while acc < target and epochs < 50:  # one epoch at a time, until the target is reached
        history = fit(head, train, [splits["val"]], epochs=1, optimizer=optimizer, monitor="val_acc", progress=False)
        acc, epochs = history.epochs[0]["val_acc"], epochs + 1
    return f"{backbone.name} ({backbone.weights})", time.perf_counter() - start, acc, epochs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.93, help="validation accuracy to reach")
    parser.add_argument("--workers", type=int, default=4, help="DataLoader workers (the tutorial uses 4)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "classic_recipe.md")
    args = parser.parse_args()
    torch.set_num_threads(min(2, torch.get_num_threads()))
    data_dir = assets.fetch("hymenoptera")
    train_s, val_s = classic_epoch_seconds(data_dir, args.workers)
    classic_total = 25 * (train_s + val_s)
    name, ours, acc, epochs = cached_head_seconds(data_dir, args.target)
    reached = acc >= args.target
    lines = [
        "# The classic fine-tuning recipe beside notebook 02's cached features",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with {torch.get_num_threads()} torch threads"
        " (machine: see benchmarks/results.md).",
        "",
        "| route | time |",
        "|---|---|",
        f"| classic recipe, ResNet-18, one epoch (train {train_s:.0f} s, val {val_s:.0f} s)"
        f" | {train_s + val_s:.0f} s |",
        f"| classic recipe, 25 epochs (extrapolated) | {classic_total / 60:.1f} min |",
        f"| notebook 02's cached-feature route on {name}: decode, one frozen pass, head for {epochs} epoch(s)"
        f" to val accuracy {acc:.3f} | {ours:.0f} s |",
        "",
        (
            f"Ratio: the classic recipe's 25 epochs take {classic_total / ours:.0f}x as long as the cached-feature"
            f" route takes to reach {args.target:.0%}."
            if reached and not timing_only()
            else f"The cached-feature route did not reach {args.target:.0%} here (random weights or too few epochs):"
            f" no ratio is reported. Time of the route itself: {ours:.0f} s."
        ),
    ]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
