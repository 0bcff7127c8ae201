"""Exercises for notebook 07: from a transfer-learned model to fast CPU inference."""

from __future__ import annotations

from typing import Any

from ..checks import one_of, register

register(
    "07.vnni",
    "Which instruction set computes int8 dot products in one instruction?",
    one_of("vnni", "avx512_vnni", "avx512 vnni", "avx-512 vnni", "avx_vnni", "avx-vnni", "avx vnni"),
    (
        "section 1 lists four instruction sets; one of them exists for neural networks' int8 arithmetic.",
        "its name is an acronym of Vector Neural Network Instructions.",
    ),
)


def _fingerprint(model) -> dict:
    """Each tensor's type, shape and sums: any change to the model's layers or weights shows."""
    import torch

    def sums(value) -> tuple:  # no copy of the tensor: memory is tight in notebook 07
        return float(value.sum(dtype=torch.float64)), float(torch.linalg.vector_norm(value, 1, dtype=torch.float64))

    return {
        name: (str(value.dtype), tuple(value.shape), sums(value))
        for name, value in model.state_dict().items()
        if isinstance(value, torch.Tensor) and value.is_floating_point()
    } | {"layers": [type(m).__name__ for m in model.modules()]}


def _quantizes_encoder_only(answer: tuple) -> bool:
    """``(quantize_encoder_only, model, batch)``: the function returns a copy whose encoder's ``Linear`` layers
    are dynamically quantized to int8 and whose ``head`` is still a float32 ``nn.Linear``; the learner's
    model is left as it was, and the copy's predictions on ``batch`` mostly agree with the original's."""
    import torch
    from torch import nn
    from torch.ao.nn.quantized import dynamic

    quantize, model, batch = answer
    before = _fingerprint(model)  # not a copy of the weights: memory is tight in this notebook
    quantized = quantize(model)
    if quantized is None:
        print("quantize_encoder_only must return the quantized copy")
        return False
    if quantized is model:
        print("return a copy (copy.deepcopy(model)) and quantize that: the float32 model is still needed")
        return False
    if _fingerprint(model) != before:
        print("the original model changed: quantize a copy, not the model itself")
        return False
    layers = [m for m in quantized.encoder.modules() if isinstance(m, nn.Linear | dynamic.Linear)]
    if not layers or any(not isinstance(m, dynamic.Linear) for m in layers):
        print("every Linear layer of the encoder should be a dynamically quantized int8 Linear")
        return False
    if type(quantized.head) is not nn.Linear or quantized.head.weight.dtype != torch.float32:
        print("the head should stay a float32 nn.Linear: quantize model.encoder only, not the whole model")
        return False
    with torch.inference_mode():
        ours = model(batch["input_ids"], batch["attention_mask"]).argmax(1)
        theirs = quantized(batch["input_ids"], batch["attention_mask"]).argmax(1)
    agreement = (ours == theirs).float().mean().item()
    if agreement < 0.75:
        print(f"the quantized copy agrees with float32 on only {agreement:.0%} of the batch: something else changed")
        return False
    return True


register(
    "07.quantize",
    "Write quantize_encoder_only(model): a dynamically int8-quantized copy with the head left in float32.",
    _quantizes_encoder_only,
    (
        "quantize_dynamic takes any module: give it the copy's encoder instead of the whole copy.",
        "copy the model with copy.deepcopy, then replace its .encoder with the quantized encoder.",
        "quantized.encoder = torch.ao.quantization.quantize_dynamic(quantized.encoder, {nn.Linear}, dtype=torch.qint8)",
    ),
)


def _chooses_within_budget(answer: Any) -> bool:
    """``(choose, table)``: ``choose(table, budget_ms)`` returns the index of the most accurate row whose
    batch-1 latency is within the budget, or None; checked on made-up tables and on the notebook's own."""
    import pandas as pd

    choose, table = answer
    made_up = pd.DataFrame(
        {"accuracy": [0.80, 0.79, 0.75, 0.70], "latency (ms, batch 1)": [12.0, 2.0, 2.5, 0.1]},
        index=["teacher", "int8", "pruned", "student"],
    )
    for budget, expected in ((15.0, "teacher"), (5.0, "int8"), (2.0, "int8"), (1.0, "student"), (0.01, None)):
        got = choose(made_up, budget)
        if got != expected:
            print(f"with a {budget} ms budget on a made-up table, choose gave {got!r}; expected {expected!r}")
            return False
    latencies = table["latency (ms, batch 1)"].astype(float)
    budget = float(latencies.median())
    fast_enough = table[latencies <= budget]
    expected = fast_enough["accuracy"].astype(float).idxmax()
    got = choose(table, budget)
    if got != expected:
        print(f"on the notebook's table with a {budget:.2f} ms budget, choose gave {got!r}; expected {expected!r}")
        return False
    return True


register(
    "07.choose",
    "Write choose(table, budget_ms): the most accurate variant whose batch-1 latency fits the budget.",
    _chooses_within_budget,
    (
        "first keep the rows that are fast enough, then pick the most accurate of those.",
        "table[table['latency (ms, batch 1)'] <= budget_ms] keeps the fast rows; .idxmax() on a column "
        "gives the index of its largest value; an empty table means None.",
        "fast = table[table['latency (ms, batch 1)'] <= budget_ms]; "
        "return None if fast.empty else fast['accuracy'].idxmax()",
    ),
)
