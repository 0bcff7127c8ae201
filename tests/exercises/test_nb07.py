"""Notebook 07's exercises: quantizing, choosing and distilling, checked on inputs the checkers make."""

from __future__ import annotations

import copy
import warnings

import pandas as pd
import torch
import torch.nn.functional as F
from exercise_cases import Case
from torch import nn

from course_utils.exercises import load_exercises

load_exercises("07")


class Tiny(nn.Module):
    """A stand-in with the shape of notebook 07's classifier: .encoder, .head, (input_ids, attention_mask)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.encoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 16))
        self.head = nn.Linear(16, 2)

    def forward(self, input_ids, attention_mask):
        mask = attention_mask.unsqueeze(-1).float()
        return self.head((self.encoder(self.embed(input_ids)) * mask).sum(1) / mask.sum(1))


def tiny():
    torch.manual_seed(0)
    batch = {"input_ids": torch.randint(0, 50, (32, 7)), "attention_mask": torch.ones(32, 7, dtype=torch.long)}
    return Tiny().eval(), batch


def dynamic(module):
    with warnings.catch_warnings():  # torch 2.14's deprecation notices
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(module, {nn.Linear}, dtype=torch.qint8)


def reference_quantize(model):
    quantized = copy.deepcopy(model)
    quantized.encoder = dynamic(quantized.encoder)
    return quantized


def in_place(model):
    model.encoder = dynamic(model.encoder)
    return model


NOTEBOOK_INT8 = reference_quantize(tiny()[0])  # a quantized model made earlier, handed back for any model

TABLE = pd.DataFrame(
    {"accuracy": [0.81, 0.80, 0.78, 0.74], "latency (ms, batch 1)": [9.0, 3.0, 4.0, 0.3]},
    index=["float32 (PyTorch)", "dynamic int8 (PyTorch)", "pruned", "distilled student"],
)


def reference_choose(table, budget_ms):
    fast = table[table["latency (ms, batch 1)"] <= budget_ms]
    return None if fast.empty else fast["accuracy"].idxmax()


def reference_distil(student, teacher, labels, T, alpha):
    soft = F.kl_div(F.log_softmax(student / T, dim=1), F.softmax(teacher / T, dim=1), reduction="batchmean")
    return alpha * soft * T * T + (1 - alpha) * F.cross_entropy(student, labels)


def section_6_only(student, teacher, labels, T, alpha):  # the softened loss alone, labels ignored
    return reference_distil(student, teacher, labels, T, 1.0)


def without_t_squared(student, teacher, labels, T, alpha):
    soft = F.kl_div(F.log_softmax(student / T, dim=1), F.softmax(teacher / T, dim=1), reduction="batchmean")
    return alpha * soft + (1 - alpha) * F.cross_entropy(student, labels)


def teacher_not_softened(student, teacher, labels, T, alpha):
    soft = F.kl_div(F.log_softmax(student / T, dim=1), F.softmax(teacher, dim=1), reduction="batchmean")
    return alpha * soft * T * T + (1 - alpha) * F.cross_entropy(student, labels)


def detached(student, teacher, labels, T, alpha):  # the right number, but no gradient reaches the student
    return reference_distil(student.detach(), teacher, labels, T, alpha)


CASES = {
    "07.vnni": Case(right=lambda: "VNNI", wrong={"other: AVX2": lambda: "AVX2", "other: AMX": lambda: "AMX"}),
    "07.quantize": Case(
        right=lambda: (reference_quantize, *tiny()),
        wrong={
            "constant: an int8 model made earlier, whatever model it is given": lambda: (
                lambda m: NOTEBOOK_INT8,
                *tiny(),
            ),
            "reused: the float32 model itself": lambda: (lambda m: m, *tiny()),
            "other: the whole model quantized, head too": lambda: (lambda m: dynamic(copy.deepcopy(m)), *tiny()),
            "other: the original changed in place": lambda: (in_place, *tiny()),
            "other: a copy left in float32": lambda: (copy.deepcopy, *tiny()),
        },
    ),
    "07.choose": Case(
        right=lambda: (reference_choose, TABLE),
        wrong={
            "constant: the notebook's pick": lambda: (lambda t, b: "dynamic int8 (PyTorch)", TABLE),
            "reused: the fastest row, as section 8's plot suggests": lambda: (
                lambda t, b: t["latency (ms, batch 1)"].idxmin(),
                TABLE,
            ),
            "other: the most accurate, budget ignored": lambda: (lambda t, b: t["accuracy"].idxmax(), TABLE),
            "other: strictly under the budget": lambda: (
                lambda t, b: reference_choose(t[t["latency (ms, batch 1)"] < b], b),
                TABLE,
            ),
            "other: never None": lambda: (lambda t, b: reference_choose(t, b) or t.index[0], TABLE),
        },
    ),
    "07.distil": Case(
        right=lambda: reference_distil,
        wrong={
            "constant: a fixed loss": lambda: lambda s, t, y, T, a: torch.tensor(0.5, requires_grad=True),
            "reused: section 6's loss alone": lambda: section_6_only,
            "other: no T squared": lambda: without_t_squared,
            "other: the teacher not softened": lambda: teacher_not_softened,
            "other: no gradient to the student": lambda: detached,
        },
    ),
}
