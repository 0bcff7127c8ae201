"""What notebook 02 cannot afford to run: whole-network fine-tuning and a from-scratch run that is not cut short.

Notebook 02 fine-tunes only the last stage, on cached activations, and gives training from scratch
the same wall-clock budget as that fine-tuning (less than an epoch). Both leave a question open: how
does fine-tuning every layer compare, and where does the same network end up from scratch when it
gets far more compute? This script answers both on the notebook's data, with seeds 0-2:

- **whole network, 3 epochs**: every pretrained layer and the new head train, with the notebook's
  fine-tuning recipe (BatchNorm frozen in eval mode, Adam at 1e-4 for pretrained layers and 1e-3
  for the head, both divided by 10 after 2 epochs, batch 16), without and with augmentation
  (random resized crops and horizontal flips, the PyTorch tutorial's);
- **from scratch, 30 epochs**: the same architecture from random weights, every layer and
  BatchNorm training, with augmentation, Adam at 1e-3 with a cosine schedule, batch 16: ten times
  the epochs of the fine-tuning runs. One recipe, not tuned (neither are the fine-tuning rates).

Accuracy is the best epoch's on the 153 validation images, as in the notebook (which also picks
its best epoch on them), and the last epoch's. Runs the backbone ``COURSE_BACKBONE`` selects; the
results in ``benchmarks/vision_baselines.md`` are EfficientNet-Lite0's, the backbone CI runs.
Whole-network training at batch 16 needs more memory than a 2 GiB hub kernel has (the resident
peak is printed). About 40 minutes on 2 cores.

Usage: ``python benchmarks/vision_baselines.py [--seeds 0 1 2] [--scratch-epochs 30] [--out ...]``.
"""

from __future__ import annotations

import argparse
import copy
import platform
import resource
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchvision import transforms
from torchvision.datasets import ImageFolder

from course_utils import assets
from course_utils.models import build_architecture, load_backbone
from course_utils.threads import use_usable_cpus
from course_utils.train import fit, seed_everything

REPO = Path(__file__).resolve().parents[1]


def batchnorm_eval(model: nn.Module) -> None:
    """Train mode, except BatchNorm, which keeps ImageNet's running statistics (the notebook's recipe)."""
    model.train()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


def whole_network(backbone, train: DataLoader, val: DataLoader, seed: int, epochs: int):
    """Fine-tune every pretrained layer and a new head with the notebook's last-stage recipe."""
    seed_everything(seed)
    model = copy.deepcopy(backbone.model)
    setattr(model, backbone.head_attr, nn.Linear(backbone.feature_dim, 2))
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.requires_grad_(False)
    head = getattr(model, backbone.head_attr)
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith(backbone.head_attr + ".")]
    optimizer = torch.optim.Adam([{"params": body, "lr": 1e-4}, {"params": head.parameters(), "lr": 1e-3}])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    return fit(
        model,
        train,
        val,
        epochs=epochs,
        optimizer=optimizer,
        scheduler=scheduler,
        monitor="val_acc",
        train_mode=batchnorm_eval,
        progress=False,
    )


def from_scratch(name: str, train: DataLoader, val: DataLoader, seed: int, epochs: int):
    """The same architecture from random weights, every layer training, cosine schedule."""
    seed_everything(seed)
    model = build_architecture(name, num_classes=2).to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    return fit(
        model, train, val, epochs=epochs, optimizer=optimizer, scheduler=scheduler, monitor="val_acc", progress=False
    )


def summary(history) -> dict:
    accs = history.column("val_acc")
    return {"best": max(accs), "last": accs[-1], "seconds": float(np.median(history.column("seconds"))), "curve": accs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--scratch-epochs", type=int, default=30)
    parser.add_argument("--finetune-epochs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "vision_baselines.md")
    args = parser.parse_args()
    threads = use_usable_cpus()
    backbone = load_backbone()
    backbone.model = backbone.model.to(memory_format=torch.channels_last)
    data_dir = assets.fetch("hymenoptera")
    augment = transforms.Compose(
        [
            transforms.RandomResizedCrop(224),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize(backbone.mean, backbone.std),
        ]
    )
    clean = ImageFolder(data_dir / "train", transform=backbone.transform)
    clean_x = torch.stack([x for x, _ in clean])
    clean_set = TensorDataset(clean_x, torch.tensor(clean.targets))
    augmented = ImageFolder(data_dir / "train", transform=augment)
    val_folder = ImageFolder(data_dir / "val", transform=backbone.transform)
    val = DataLoader(TensorDataset(torch.stack([x for x, _ in val_folder]), torch.tensor(val_folder.targets)), 64)

    def loader(dataset, seed):
        return DataLoader(dataset, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(seed))

    runs: dict[str, list[dict]] = {}
    ft = args.finetune_epochs
    plans = [
        (f"whole network, {ft} epochs", lambda s: whole_network(backbone, loader(clean_set, s), val, s, ft)),
        (
            f"whole network + augmentation, {ft} epochs",
            lambda s: whole_network(backbone, loader(augmented, s), val, s, ft),
        ),
        (
            f"from scratch + augmentation, {args.scratch_epochs} epochs",
            lambda s: from_scratch(backbone.name, loader(augmented, s), val, s, args.scratch_epochs),
        ),
    ]
    start = time.perf_counter()
    for label, run in plans:
        for seed in args.seeds:
            result = summary(run(seed))
            runs.setdefault(label, []).append(result)
            print(
                f"{label}, seed {seed}: best {result['best']:.3f}, last {result['last']:.3f}, "
                f"{result['seconds']:.1f} s per epoch",
                flush=True,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux -> GiB
    minutes = (time.perf_counter() - start) / 60

    def cell(values):
        return " / ".join(f"{v:.3f}" for v in values) + f" ({np.mean(values):.3f})"

    lines = [
        "# Whole-network fine-tuning and a long from-scratch run (notebook 02's open questions)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `benchmarks/vision_baselines.py` on {platform.machine()}, "
        f"{threads} thread(s), torch {torch.__version__}; backbone {backbone.name} ({backbone.weights}); "
        f"seeds {', '.join(map(str, args.seeds))}; {minutes:.0f} min in all; resident peak {peak:.2f} GiB.",
        "The recipes are in the script's docstring. Validation: the 153 images notebook 02 scores on; "
        "'best' is the best epoch's accuracy (the notebook's selection), 'last' the final epoch's.",
        "",
        "| run | best val accuracy per seed (mean) | last epoch per seed (mean) | s per epoch |",
        "|---|---|---|---|",
    ]
    for label, results in runs.items():
        lines.append(
            f"| {label} | {cell([r['best'] for r in results])} | {cell([r['last'] for r in results])} "
            f"| {np.median([r['seconds'] for r in results]):.1f} |"
        )
    scratch = next(results for label, results in runs.items() if label.startswith("from scratch"))
    curve = np.mean([r["curve"] for r in scratch], axis=0)
    marks = sorted({0, *range(4, len(curve), 5), len(curve) - 1})
    lines += [
        "",
        "From scratch, mean validation accuracy over the seeds by epoch: "
        + ", ".join(f"{e + 1}: {curve[e]:.3f}" for e in marks)
        + ".",
        "",
        "Notebook 02's own runs on the same seeds (its printed output): feature extraction and the cached",
        "last-stage fine-tuning; it cites this page for the two questions above.",
    ]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
