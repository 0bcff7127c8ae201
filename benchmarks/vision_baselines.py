"""What notebook 02 cannot afford to run: whole-network fine-tuning and a from-scratch run that is not cut short.

Notebook 02 fine-tunes only the last stage, on cached activations, and gives training from scratch
the same wall-clock budget as that fine-tuning (less than an epoch). Both leave a question open: how
does fine-tuning every layer compare, and where does the same network end up from scratch when it
gets far more compute? This script answers both on the notebook's data, with seeds 0-2:

- **head only, 15 epochs**: the notebook's feature extraction (a new linear head on cached frozen
  features, Adam at 1e-3, batch 16), the reference the others are read against;
- **whole network, 3 epochs**: every pretrained layer and the new head train, with the notebook's
  fine-tuning recipe (BatchNorm frozen in eval mode, Adam at 1e-4 for pretrained layers and 1e-3
  for the head, both divided by 10 after 2 epochs, batch 16), without and with augmentation
  (random resized crops and horizontal flips, the PyTorch tutorial's). The head starts new; the
  notebook's last-stage run starts from its feature-extraction head;
- **from scratch, 30 epochs**: the same architecture from random weights, every layer and
  BatchNorm training, with augmentation, Adam at 1e-3 with a cosine schedule, batch 16: ten times
  the epochs of the fine-tuning runs. One recipe, not tuned (neither are the fine-tuning rates).

Accuracy is the best epoch's on the 153 validation images, as in the notebook (which also picks
its best epoch on them), and the last epoch's. Runs EfficientNet-Lite0, the backbone CI runs, into
``benchmarks/vision_baselines.md``; ``--backbone resnet50`` writes ``vision_baselines_resnet50.md``.
Whole-network training at batch 16 needs more memory than a 2 GiB hub kernel has (the resident
peak is printed). About half an hour on 2 cores.

Usage: ``python benchmarks/vision_baselines.py [--backbone NAME] [--seeds 0 1 2] [--scratch-epochs 30]``.
"""

from __future__ import annotations

import argparse
import copy
import platform
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
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


def head_only(features: TensorDataset, val: DataLoader, seed: int, epochs: int = 15):
    """Feature extraction as the notebook does it: a new linear head on cached frozen features."""
    seed_everything(seed)
    train = DataLoader(features, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(seed))
    head = nn.Linear(features.tensors[0].shape[1], 2)
    optimizer = torch.optim.Adam(head.parameters(), lr=1e-3)
    return fit(head, train, val, epochs=epochs, optimizer=optimizer, monitor="val_acc", progress=False)


@torch.inference_mode()
def frozen_features(backbone, images: torch.Tensor) -> torch.Tensor:
    """The pretrained body's pooled output, the head's input."""
    body = copy.deepcopy(backbone.model).eval()
    setattr(body, backbone.head_attr, nn.Identity())
    return torch.cat([body(batch) for batch in images.split(32)])


def result_row(label: str, seed: int, history) -> dict:
    """One run as a row of the results file; the curve is each epoch's validation accuracy."""
    accs = history.column("val_acc")
    curve = " ".join(f"{a:.4f}" for a in accs)
    seconds = float(np.median(history.column("seconds")))
    return {"run": label, "seed": seed, "best": max(accs), "last": accs[-1], "seconds": seconds, "curve": curve}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--scratch-epochs", type=int, default=30)
    parser.add_argument("--finetune-epochs", type=int, default=3)
    parser.add_argument("--backbone", default="efficientnet_lite0", help="the backbone CI runs, by default")
    parser.add_argument("--out", type=Path, help="default: benchmarks/vision_baselines.md (another backbone: _NAME.md)")
    args = parser.parse_args()
    suffix = "" if args.backbone == "efficientnet_lite0" else f"_{args.backbone}"
    args.out = args.out or REPO / "benchmarks" / f"vision_baselines{suffix}.md"
    table = args.out.with_suffix(".csv")  # one results file per backbone: rows of different backbones never mix
    threads = use_usable_cpus()
    backbone = load_backbone(args.backbone)
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
    clean_x, clean_y = torch.stack([x for x, _ in clean]), torch.tensor(clean.targets)
    clean_set = TensorDataset(clean_x, clean_y)
    augmented = ImageFolder(data_dir / "train", transform=augment)
    val_folder = ImageFolder(data_dir / "val", transform=backbone.transform)
    val_x, val_y = torch.stack([x for x, _ in val_folder]), torch.tensor(val_folder.targets)
    val = DataLoader(TensorDataset(val_x, val_y), 64)
    features = TensorDataset(frozen_features(backbone, clean_x), clean_y)
    val_features = DataLoader(TensorDataset(frozen_features(backbone, val_x), val_y), 256)

    def loader(dataset, seed):
        return DataLoader(dataset, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(seed))

    ft = args.finetune_epochs
    plans = [
        ("head only (feature extraction), 15 epochs", lambda s: head_only(features, val_features, s)),
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
    results = pd.read_csv(table) if table.exists() else pd.DataFrame(columns=["run", "seed"])
    for label, run in plans:
        for seed in args.seeds:
            if ((results["run"] == label) & (results["seed"] == seed)).any():
                continue  # finished in an earlier invocation
            row = result_row(label, seed, run(seed))
            results = pd.concat([results, pd.DataFrame([row])], ignore_index=True)
            results.to_csv(table, index=False, float_format="%.4f")  # kept after every run
            print(f"{label}, seed {seed}: best {row['best']:.3f}, last {row['last']:.3f}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux -> GiB
    print(f"resident peak of this process: {peak:.2f} GiB")

    def cell(values):
        return " / ".join(f"{v:.3f}" for v in values) + f" ({np.mean(values):.3f})"

    lines = [
        "# Whole-network fine-tuning and a long from-scratch run (notebook 02's open questions)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `benchmarks/vision_baselines.py` on {platform.machine()}, "
        f"{threads} thread(s), torch {torch.__version__}; backbone {backbone.name} ({backbone.weights}); "
        f"seeds {', '.join(map(str, args.seeds))}. Each run is a row of `vision_baselines.csv` (a rerun "
        "skips the rows there). The recipes are in the script's docstring. Validation: the 153 images "
        "notebook 02 scores on; 'best' is the best epoch's accuracy (the notebook's selection), 'last' the "
        "final epoch's.",
        "",
        "| run | best val accuracy per seed (mean) | last epoch per seed (mean) | s per epoch |",
        "|---|---|---|---|",
    ]
    for label, _run in plans:
        group = results[(results["run"] == label) & results["seed"].isin(args.seeds)].sort_values("seed")
        lines.append(f"| {label} | {cell(group['best'])} | {cell(group['last'])} | {group['seconds'].median():.1f} |")
    scratch = results[(results["run"] == plans[-1][0]) & results["seed"].isin(args.seeds)]
    curve = np.mean([[float(v) for v in c.split()] for c in scratch["curve"]], axis=0)
    marks = sorted({0, *range(4, len(curve), 5), len(curve) - 1})
    lines += [
        "",
        "From scratch, mean validation accuracy over the seeds by epoch: "
        + ", ".join(f"{e + 1}: {curve[e]:.3f}" for e in marks)
        + ".",
    ]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
