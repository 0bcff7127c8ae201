"""Exercises for notebook 09: parameter-efficient fine-tuning with LoRA."""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable

import torch
from torch import nn

from ..checks import register
from .tiny_bert import tiny_classifier

_TARGET_CHOICES = (("query", "value"), ("query", "key", "value"), ("dense",), ("value",))


def _peft_count(model: nn.Module, rank: int, targets: list[str]) -> int:
    """How many weights peft's LoRA adds to ``model`` at ``rank`` on ``targets`` (counted on a copy)."""
    from peft import LoraConfig, inject_adapter_in_model

    wrapped = inject_adapter_in_model(LoraConfig(r=rank, target_modules=list(targets)), copy.deepcopy(model))
    return sum(p.numel() for name, p in wrapped.named_parameters() if "lora_" in name)


class _PeftSwitchedOff(RuntimeError):
    """Raised when a learner's counting function asks peft to add the adapters it should count."""


def _no_peft(*args, **kwargs):
    raise _PeftSwitchedOff("count by hand: peft is switched off while your function runs")


def _counts_like_peft(count: Callable) -> bool:
    """``count(model, rank, targets)`` on three small random BERTs whose depth, width, rank and target modules
    are drawn at check time: the number of weights LoRA adds there, as peft's own adapter holds them. peft's
    adapter injection is switched off while the learner's function runs: the count is to be done by hand."""
    from unittest import mock

    from peft.tuners.tuners_utils import BaseTuner

    rng = random.Random()
    for _ in range(3):
        model = tiny_classifier(rng.choice((2, 3, 4)), rng.choice((8, 12, 16)))
        rank, targets = rng.choice((1, 2, 4)), list(rng.choice(_TARGET_CHOICES))
        expected = _peft_count(model, rank, targets)
        with mock.patch.object(BaseTuner, "inject_adapter", _no_peft):
            try:
                given = count(model, rank, list(targets))
            except _PeftSwitchedOff as exc:
                print(exc)
                return False
        if given != expected:
            print(f"on a {model.config.num_hidden_layers}-layer BERT of width {model.config.hidden_size}, rank {rank} "
                  f"on {targets}: you counted {given!r}, LoRA adds {expected:,} weights")  # fmt: skip
            return False
    return True


register(
    "09.count",
    "Write lora_parameters(model, rank, targets): how many weights LoRA of that rank adds to every nn.Linear whose "
    "name ends with one of the target names.",
    _counts_like_peft,
    (
        "LoRA leaves each chosen W (out x in) frozen and adds B (out x rank) and A (rank x in): only those train.",
        "walk model.named_modules(); a module is wrapped when it is an nn.Linear and its name's last part (after "
        "the last '.') is one of the targets; each adds rank * (in_features + out_features).",
        "return sum(rank * (m.in_features + m.out_features) for name, m in model.named_modules() "
        "if isinstance(m, nn.Linear) and name.rsplit('.', 1)[-1] in targets)",
    ),
    skill="count what LoRA trains",
)


def _the_two_factors(layer: nn.Module, rank: int, n_in: int, n_out: int) -> tuple[nn.Parameter, nn.Parameter] | None:
    """The layer's trainable A (rank x in) and B (out x rank), found by shape; None, saying why, if not exactly so."""
    trainable = [p for p in layer.parameters() if p.requires_grad]
    a = [p for p in trainable if tuple(p.shape) == (rank, n_in)]
    b = [p for p in trainable if tuple(p.shape) == (n_out, rank)]
    if len(trainable) != 2 or len(a) != 1 or len(b) != 1:
        shapes = [tuple(p.shape) for p in trainable]
        print(f"with a Linear({n_in}, {n_out}) and rank {rank}, exactly two tensors should train: A of shape "
              f"({rank}, {n_in}) and B of shape ({n_out}, {rank}); yours: {shapes}")  # fmt: skip
        return None
    return a[0], b[0]


def _matches_peft(make_layer: Callable) -> bool:
    """``make_layer(base, rank, alpha)`` around nn.Linear layers whose sizes, rank and alpha are drawn at check
    time: only A and B train, the output equals the base's until training starts, and with A and B set to
    random values it computes what peft's LoRA layer computes with the same values, on random inputs."""
    from peft import LoraConfig, inject_adapter_in_model
    from peft.tuners.tuners_utils import BaseTunerLayer

    rng = random.Random()
    for _ in range(3):
        n_in, n_out = rng.sample((6, 10, 14, 20), 2)
        rank, alpha = rng.choice((2, 3, 4)), rng.choice((1.0, 6.0, 16.0))  # alpha / rank is never 1
        base = nn.Linear(n_in, n_out)
        original = copy.deepcopy(base)
        layer = make_layer(base, rank, alpha)
        if isinstance(layer, BaseTunerLayer) or any(isinstance(m, BaseTunerLayer) for m in layer.modules()):
            print("that is peft's own layer: write the LoRA layer by hand, as an nn.Module with A and B")
            return False
        factors = _the_two_factors(layer, rank, n_in, n_out)
        if factors is None:
            return False
        a, b = factors
        x = torch.randn(5, n_in)
        if not torch.allclose(layer(x), original(x), atol=1e-6):
            print("before any training the layer should compute exactly what the pretrained one does (start B at 0)")
            return False
        if not a.detach().abs().sum() > 0:
            print("A starts at zero as well: then B's gradient is zero too and nothing ever trains (start A random)")
            return False
        reference = nn.Module()
        reference.proj = copy.deepcopy(original)
        config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=["proj"])
        reference = inject_adapter_in_model(config, reference)
        with torch.no_grad():
            a.copy_(torch.randn_like(a))
            b.copy_(torch.randn_like(b))
            reference.proj.lora_A["default"].weight.copy_(a)
            reference.proj.lora_B["default"].weight.copy_(b)
        x = torch.randn(7, n_in)
        if not torch.allclose(layer(x), reference.proj(x), atol=1e-5):
            print(f"with random A and B (rank {rank}, alpha {alpha}) your layer's output differs from peft's: "
                  "check the order of the product and the scaling alpha / rank")  # fmt: skip
            return False
        layer(x).sum().backward()
        if a.grad is None or b.grad is None or any(p.grad is not None for p in base.parameters()):
            print("the gradient should reach A and B and nothing else: the base weights stay frozen")
            return False
    return True


register(
    "09.lora_layer",
    "Write LoRALinear(base, rank, alpha): an nn.Module that keeps the nn.Linear `base` frozen and adds the trainable "
    "low-rank product (alpha / rank) * B @ A, starting from exactly the base's output.",
    _matches_peft,
    (
        "beside the frozen layer runs a second path: down to `rank` numbers, back up to the output size, scaled "
        "by alpha / rank. Which of the two factors must start at zero for the layer to start as the pretrained one?",
        "in __init__: self.base = base.requires_grad_(False); self.A = nn.Parameter(torch.randn(rank, "
        "base.in_features) / rank); self.B = nn.Parameter(torch.zeros(base.out_features, rank)); "
        "self.scale = alpha / rank",
        "def forward(self, x): return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)",
    ),
    skill="write a LoRA layer",
)


_LORA_NAME = re.compile(r"layer\.(\d+)\.attention\.self\.(query|value)\.lora_[AB]\b")


def _adds_lora_to_the_top(add_lora: Callable) -> bool:
    """``add_lora(model, rank)`` on small random BERT classifiers of three depths, each with a rank drawn at check time:
    LoRA of that rank on the query and value of the top two layers and the new head train, nothing else;
    before training the model gives the same logits as without adapters."""
    ranks = random.sample((1, 2, 4), 3)  # every depth, each with another rank: no fixed answer fits all three
    for layers, rank in zip((3, 4, 5), ranks, strict=True):
        model = tiny_classifier(layers, 8)
        ids = torch.randint(1, 50, (3, 6))
        model.eval()
        with torch.inference_mode():
            before = model(input_ids=ids).logits
        adapted = add_lora(model, rank)
        if not isinstance(adapted, nn.Module):
            print("return the model with its adapters (get_peft_model returns a new object)")
            return False
        wrapped, head, other = set(), 0, []
        for name, p in adapted.named_parameters():
            if not p.requires_grad:
                continue
            found = _LORA_NAME.search(name)
            if found:
                wrapped.add((int(found[1]), found[2]))
                if rank not in p.shape:
                    print(f"{name} has shape {tuple(p.shape)}: not rank {rank}")
                    return False
            elif "classifier" in name:
                head += p.numel()
            else:
                other.append(name)
        expected = {(i, m) for i in (layers - 2, layers - 1) for m in ("query", "value")}
        if other:
            print(f"these train but should stay frozen: {other[:3]}")
            return False
        if wrapped != expected:
            print(f"on a {layers}-layer model, adapters on (layer, module) {sorted(wrapped)}; "
                  f"wanted {sorted(expected)}")  # fmt: skip
            return False
        if head != 2 * model.config.hidden_size + 2:
            print("the new classification head does not train: it would stay random (peft's task_type='SEQ_CLS' "
                  "keeps it trainable and saves it with the adapter)")  # fmt: skip
            return False
        adapted.eval()
        with torch.inference_mode():
            if not torch.allclose(adapted(input_ids=ids).logits, before, atol=1e-6):
                print("before training, adding adapters should not change the model's outputs")
                return False
    return True


register(
    "09.add_lora",
    "Write add_lora(model, rank): LoRA of that rank on the query and value of the model's top two layers, "
    "the classification head trainable, everything else frozen.",
    _adds_lora_to_the_top,
    (
        "peft's LoraConfig names the rank, the modules to wrap and which layers; get_peft_model freezes the rest. "
        "A classifier head is new and must train too: what tells peft that?",
        "LoraConfig(task_type='SEQ_CLS', r=rank, target_modules=['query', 'value'], layers_to_transform=[...], "
        "layers_pattern='layer'); the top two layers of model.config.num_hidden_layers = n are n - 2 and n - 1.",
        "n = model.config.num_hidden_layers; return get_peft_model(model, LoraConfig(task_type='SEQ_CLS', r=rank, "
        "target_modules=['query', 'value'], layers_to_transform=[n - 2, n - 1], layers_pattern='layer'))",
    ),
    skill="put adapters where they belong",
)
