"""A small, readable training loop for when the loop itself is not the lesson.

Notebook 01 writes the loop out by hand; later notebooks call :func:`fit`, which does the
same steps and also keeps a history, shows progress, restores the best weights and can stop
early.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import gc
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from . import config
from .errors import ParameterError
from .threads import torch_threads

SMALL_MODEL = 1_000_000  # trainable parameters below which fit() trains on one thread


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch.Generator for DataLoader shuffling."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def release_memory() -> None:
    """Collect garbage and hand freed heap memory back to the operating system.

    Deleting a model frees its tensors, but glibc's allocator often keeps the pages, so the
    kernel's resident memory (what a JupyterHub limit counts) stays high. ``malloc_trim``
    returns them; on other C libraries (macOS, Windows) only the garbage collection runs.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing more to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


_ANNOUNCED: set[str] = set()  # devices fit() has already named in this process


def pick_device(prefer: str | None = None) -> torch.device:
    """``prefer`` if given, else ``COURSE_DEVICE`` (e.g. ``cuda`` or ``mps``), else the CPU.

    The course's timings and numbers are measured on a CPU, so an accelerator is used only
    when asked for: a lesson then behaves as its text says on every machine.
    """
    choice = (prefer or config.raw("COURSE_DEVICE")).strip() or "cpu"
    try:
        device = torch.device(choice)
    except RuntimeError:
        raise ParameterError(
            f"Unknown device {choice!r} (from COURSE_DEVICE or device=): use cpu, cuda or mps."
        ) from None
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
    }
    if not available.get(device.type, False):
        raise ParameterError(
            f"Device {choice!r} was asked for (COURSE_DEVICE or device=) but is not available on this machine; "
            "unset COURSE_DEVICE to train on the CPU."
        )
    return device


def _announce(device: torch.device) -> None:
    """Say once per process which device ``fit`` trains on, and how to change it."""
    if str(device) in _ANNOUNCED:
        return
    _ANNOUNCED.add(str(device))
    how = "set COURSE_DEVICE=cuda or mps to use an accelerator" if device.type == "cpu" else "chosen by COURSE_DEVICE"
    print(f"fit(): training on {device} ({how}; the course's numbers were measured on a CPU)")


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """(trainable, frozen) parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    return trainable, frozen


@dataclass
class History:
    """What happened during training: a row per epoch, a loss per iteration."""

    epochs: list[dict] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    best_epoch: int | None = None  # 1-based epoch whose weights the model holds at the end

    def column(self, key: str) -> list[float]:
        return [row[key] for row in self.epochs]

    def __repr__(self) -> str:
        last = self.epochs[-1] if self.epochs else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if isinstance(v, float))
        counts = f"{len(self.epochs)} epochs, {len(self.step_loss)} steps, best_epoch={self.best_epoch}"
        return f"History({counts}; last: {shown})"


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable | None = None, device=None) -> dict:
    """Mean loss and accuracy of a classifier over ``loader`` (model left in eval mode)."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    model.eval()
    total, loss_sum, correct = 0, 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss_sum += loss_fn(logits, y).item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        total += len(y)
    return {"loss": loss_sum / total, "acc": correct / total}


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable | None = None,
    scheduler=None,
    device=None,
    monitor: str = "val_loss",
    restore_best: bool = True,
    patience: int | None = None,
    train_mode: Callable[[nn.Module], None] | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` for up to ``epochs`` epochs; return its :class:`History`.

    Each epoch: ``train_mode(model)`` (default ``model.train()``), one optimizer step per
    batch, then evaluation on ``val_loader``. ``monitor`` (``val_loss`` or ``val_acc``) picks
    the best epoch; with ``restore_best`` the model ends with that epoch's weights, and with
    ``patience`` training stops after that many epochs without improvement. ``scheduler``
    steps once per epoch. Training runs on ``device`` if given, else :func:`pick_device`'s
    choice (the CPU unless ``COURSE_DEVICE`` names another), which is printed once per process;
    the model is returned to the device it came from, so the caller's CPU tensors still fit it.
    On the CPU, a model with fewer than ``SMALL_MODEL`` trainable parameters trains on one thread.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ParameterError(f"epochs must be a whole number of at least 1, got {epochs!r}")
    if monitor not in {"val_loss", "val_acc", "train_loss"}:
        raise ParameterError(f"monitor must be 'val_loss', 'val_acc' or 'train_loss', got {monitor!r}")
    if val_loader is None and monitor != "train_loss":
        monitor = "train_loss"
    if not any(p.requires_grad for group in optimizer.param_groups for p in group["params"]):
        raise ParameterError("The optimizer holds no trainable parameter: nothing would change. Check requires_grad.")
    device = pick_device(device) if not isinstance(device, torch.device) else device
    _announce(device)
    home = next(model.parameters()).device  # where the caller keeps the model and its data
    model.to(device)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    sign = 1.0 if monitor == "val_acc" else -1.0  # larger is better after multiplying by sign
    history, best_score, best_state, waited = History(), -math.inf, None, 0
    # A small model's operations are too short to share: waking a second thread costs more than it
    # saves (a linear head on cached vectors trained 2x faster on one thread than on two here).
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)

    with torch_threads(1 if device.type == "cpu" and trainable < SMALL_MODEL else None):
        bar = tqdm(range(1, epochs + 1), desc="epochs", disable=not progress, leave=False)
        for epoch in bar:
            (train_mode or nn.Module.train)(model)
            start, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0
            for x, y in train_loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                logits = model(x)
                loss = loss_fn(logits, y)
                loss.backward()
                optimizer.step()
                history.step_loss.append(loss.item())
                loss_sum += loss.item() * len(y)
                correct += (logits.argmax(dim=1) == y).sum().item()
                seen += len(y)
            row = {
                "epoch": epoch,
                "train_loss": loss_sum / seen,
                "train_acc": correct / seen,
                "seconds": time.perf_counter() - start,
                "lr": optimizer.param_groups[0]["lr"],
            }
            if val_loader is not None:
                metrics = evaluate(model, val_loader, loss_fn, device)
                row |= {"val_loss": metrics["loss"], "val_acc": metrics["acc"]}
            if scheduler is not None:
                scheduler.step()
            history.epochs.append(row)
            bar.set_postfix({k: round(v, 4) for k, v in row.items() if k in ("train_loss", "val_loss", "val_acc")})

            score = sign * row[monitor]
            if score > best_score:
                best_score, history.best_epoch, waited = score, epoch, 0
                if restore_best:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
                if patience is not None and waited >= patience:
                    break
        if restore_best and best_state is not None:
            model.load_state_dict(best_state)
        else:
            history.best_epoch = len(history.epochs)
        bar.close()
    model.to(home)  # trained on a GPU if present, but handed back where the notebook's tensors are
    return history
