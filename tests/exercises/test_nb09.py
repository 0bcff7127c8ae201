"""Notebook 09's exercises: the checkers build their own small BERTs and layers, with sizes drawn at check time."""

from __future__ import annotations

import torch
from exercise_cases import Case
from peft import LoraConfig, get_peft_model, inject_adapter_in_model
from torch import nn

from course_utils.exercises import load_exercises

load_exercises("09")


def reference_count(model, rank, targets):
    return sum(
        rank * (m.in_features + m.out_features)
        for name, m in model.named_modules()
        if isinstance(m, nn.Linear) and name.rsplit(".", 1)[-1] in targets
    )


def count_full_matrices(model, rank, targets):  # counts W's weights instead of A's and B's
    return sum(
        m.in_features * m.out_features
        for name, m in model.named_modules()
        if isinstance(m, nn.Linear) and name.rsplit(".", 1)[-1] in targets
    )


def count_with_peft(model, rank, targets):  # section 1's own way: let peft add the adapters, then count them
    wrapped = inject_adapter_in_model(LoraConfig(r=rank, target_modules=list(targets)), model)
    return sum(p.numel() for name, p in wrapped.named_parameters() if "lora_" in name)


def count_first_layer_only(model, rank, targets):  # one layer's adapters, as if the model had one layer
    return reference_count(model.base_model.encoder.layer[0], rank, targets)


class LoRALinear(nn.Module):
    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.A = nn.Parameter(torch.randn(rank, base.in_features) / rank)
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + self.scale * (x @ self.A.T @ self.B.T)


class Unscaled(LoRALinear):  # forgets alpha / rank
    def forward(self, x):
        return self.base(x) + x @ self.A.T @ self.B.T


class BothRandom(LoRALinear):  # B starts random: the model changes before any training
    def __init__(self, base, rank, alpha):
        super().__init__(base, rank, alpha)
        self.B.data.normal_()


class BaseTrains(LoRALinear):  # the pretrained weight is left trainable
    def __init__(self, base, rank, alpha):
        super().__init__(base, rank, alpha)
        base.requires_grad_(True)


def peft_layer(base, rank, alpha):  # peft's own layer, not written by hand
    holder = nn.Module()
    holder.proj = base
    config = LoraConfig(r=rank, lora_alpha=alpha, lora_dropout=0.0, target_modules=["proj"])
    return inject_adapter_in_model(config, holder).proj


def reference_add_lora(model, rank):
    n = model.config.num_hidden_layers
    config = LoraConfig(
        task_type="SEQ_CLS", r=rank, target_modules=["query", "value"], layers_to_transform=[n - 2, n - 1],
        layers_pattern="layer",
    )  # fmt: skip
    return get_peft_model(model, config)


def notebook_layers(model, rank):  # the notebook's model has six layers: layers 4 and 5, whatever the depth
    config = LoraConfig(
        task_type="SEQ_CLS", r=rank, target_modules=["query", "value"], layers_to_transform=[4, 5],
        layers_pattern="layer",
    )  # fmt: skip
    return get_peft_model(model, config)


def without_task_type(model, rank):  # peft then leaves the new head frozen
    n = model.config.num_hidden_layers
    config = LoraConfig(r=rank, target_modules=["query", "value"], layers_to_transform=[n - 2, n - 1])
    return get_peft_model(model, config)


def every_layer(model, rank):
    return get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=rank, target_modules=["query", "value"]))


def notebook_rank(model, rank):  # rank 8, the notebook's, whatever rank is asked for
    return reference_add_lora(model, 8)


CASES = {
    "09.count": Case(
        right=lambda: reference_count,
        wrong={
            "constant: the notebook's count for its own model": lambda: lambda m, r, t: 24_576,
            "reused: peft adds the adapters and they are counted, as section 1 does": lambda: count_with_peft,
            "other: the count for one layer": lambda: count_first_layer_only,
            "other: the full matrices": lambda: count_full_matrices,
        },
    ),
    "09.lora_layer": Case(
        right=lambda: LoRALinear,
        wrong={
            "constant: the base layer unchanged": lambda: lambda base, rank, alpha: base,
            "reused: peft's own layer": lambda: peft_layer,
            "other: no alpha / rank scaling": lambda: Unscaled,
            "other: B starts random": lambda: BothRandom,
            "other: the base weight trains too": lambda: BaseTrains,
        },
    ),
    "09.add_lora": Case(
        right=lambda: reference_add_lora,
        wrong={
            "constant: the notebook's layers 4 and 5": lambda: notebook_layers,
            "reused: the notebook's rank 8": lambda: notebook_rank,
            "other: no task_type, so the head stays frozen": lambda: without_task_type,
            "other: adapters on every layer": lambda: every_layer,
        },
    ),
}


def test_the_count_checker_agrees_with_peft_on_a_model_with_a_pooler():
    from course_utils.exercises.nb09 import _peft_count
    from course_utils.exercises.tiny_bert import tiny_classifier

    model = tiny_classifier(2, 8)
    assert _peft_count(model, 2, ["dense"]) == reference_count(model, 2, ["dense"])  # the pooler's dense too
