"""Notebook 07's exercises: right answers pass, wrong ones are refused."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercises import load_exercises

load_exercises("07")


def _tiny_classifier():
    """A stand-in with the shape of notebook 07's classifier: .encoder, .head, (input_ids, attention_mask)."""
    import torch
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(50, 16)
            self.encoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 16))
            self.head = nn.Linear(16, 2)

        def forward(self, input_ids, attention_mask):
            mask = attention_mask.unsqueeze(-1).float()
            return self.head((self.encoder(self.embed(input_ids)) * mask).sum(1) / mask.sum(1))

    torch.manual_seed(0)
    batch = {"input_ids": torch.randint(0, 50, (32, 7)), "attention_mask": torch.ones(32, 7, dtype=torch.long)}
    return Tiny().eval(), batch


def test_notebook_07_quantize_wants_a_quantized_copy_with_a_float_head():
    import copy
    import warnings

    import torch
    from torch import nn

    def dynamic(module):
        with warnings.catch_warnings():  # torch 2.14's deprecation notices
            warnings.simplefilter("ignore")
            return torch.ao.quantization.quantize_dynamic(module, {nn.Linear}, dtype=torch.qint8)

    def reference(model):
        quantized = copy.deepcopy(model)
        quantized.encoder = dynamic(quantized.encoder)
        return quantized

    def whole_model(model):
        return dynamic(copy.deepcopy(model))

    def in_place(model):
        model.encoder = dynamic(model.encoder)
        return model

    def no_quantization(model):
        return copy.deepcopy(model)

    def returns_nothing(model):
        reference(model)

    def quantizes_the_original_too(model):
        model.encoder = dynamic(model.encoder)
        return copy.deepcopy(model)

    model, batch = _tiny_classifier()
    assert checks.check("07.quantize", (reference, model, batch)).status == "correct"
    for wrong in (whole_model, no_quantization, returns_nothing, in_place, quantizes_the_original_too):
        model, batch = _tiny_classifier()
        assert checks.check("07.quantize", (wrong, model, batch)).status == "wrong", wrong.__name__

    def stub(model): ...

    assert checks.check("07.quantize", (stub, model, batch)).status == "unanswered"


def test_notebook_07_choose_picks_the_most_accurate_model_within_the_budget():
    import pandas as pd

    table = pd.DataFrame(
        {"accuracy": [0.798, 0.768, 0.789, 0.755], "latency (ms, batch 1)": [10.6, 4.6, 1.3, 0.04], "spread": 0.1},
        index=["float32", "dynamic int8", "static int8", "student"],
    )

    def reference(table, budget_ms):
        fast = table[table["latency (ms, batch 1)"] <= budget_ms]
        return None if fast.empty else fast["accuracy"].idxmax()

    def ignores_budget(table, budget_ms):
        return table["accuracy"].idxmax()

    def fastest(table, budget_ms):
        return table["latency (ms, batch 1)"].idxmin()

    def strictly_under(table, budget_ms):
        fast = table[table["latency (ms, batch 1)"] < budget_ms]
        return None if fast.empty else fast["accuracy"].idxmax()

    def never_none(table, budget_ms):
        fast = table[table["latency (ms, batch 1)"] <= budget_ms]
        return fast["accuracy"].idxmax() if len(fast) else table["latency (ms, batch 1)"].idxmin()

    assert checks.check("07.choose", (reference, table)).status == "correct"
    for wrong in (ignores_budget, fastest, strictly_under, never_none):
        assert checks.check("07.choose", (wrong, table)).status == "wrong", wrong.__name__
