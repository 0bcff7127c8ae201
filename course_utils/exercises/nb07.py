"""Exercises for notebook 07: from a transfer-learned model to fast CPU inference."""

from __future__ import annotations

from collections.abc import Callable
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
    kind="warm-up",
    skill="read a CPU's instruction sets",
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
    """``(quantize_encoder_only, model, batch)``: called on the learner's model, its head marked for the check
    (so no copy made earlier can pass), the function returns a new copy whose encoder's ``Linear`` layers are
    dynamically quantized to int8 and whose ``head`` is still a float32 ``nn.Linear`` with the mark; the model
    is left as it was, and the copy's predictions on ``batch`` mostly agree with the original's."""
    import torch

    quantize, model, batch = answer
    mark = torch.linspace(0.5, 1.5, model.head.bias.numel())
    with torch.no_grad():
        model.head.bias.add_(mark)  # in place, then taken off again: no copy of a model memory is tight for
    try:
        return _quantized_copy_is_right(quantize, model, batch)
    finally:
        with torch.no_grad():
            model.head.bias.sub_(mark)


def _quantized_copy_is_right(quantize, model, batch) -> bool:
    import torch
    from torch import nn
    from torch.ao.nn.quantized import dynamic

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
    if not torch.equal(quantized.head.bias, model.head.bias):
        print("that is not a copy of the model you were given: quantize a copy of `model` itself")
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
    skill="quantize part of a model",
)


def _chooses_within_budget(answer: Any) -> bool:
    """``(choose, table)``: ``choose(table, budget_ms)`` returns the index of the most accurate row whose
    batch-1 latency is within the budget, or None; checked on tables drawn at check time, on budgets around
    their latencies, and on the notebook's own table."""
    import random

    import pandas as pd

    choose, table = answer
    rng = random.Random()
    for _ in range(3):
        names = rng.sample(["teacher", "int8", "pruned", "student", "onnx", "openvino", "fp16"], 5)
        made_up = pd.DataFrame(
            {"accuracy": [round(rng.uniform(0.6, 0.9), 4) for _ in names],
             "latency (ms, batch 1)": [round(rng.uniform(0.1, 20), 3) for _ in names]},
            index=names,
        )  # fmt: skip
        latencies = sorted(made_up["latency (ms, batch 1)"])
        for budget in (latencies[0] / 2, latencies[0], (latencies[1] + latencies[2]) / 2, latencies[-1] * 2):
            fast = made_up[made_up["latency (ms, batch 1)"] <= budget]
            expected = None if fast.empty else fast["accuracy"].idxmax()
            got = choose(made_up, budget)
            if got != expected:
                print(f"with a {budget:.2f} ms budget on a made-up table, choose gave {got!r}; expected {expected!r}")
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
    skill="choose a deployment variant from a measured table",
)


def _distillation_loss(loss: Callable) -> bool:
    """``distillation_loss(student_logits, teacher_logits, labels, T, alpha)`` on logits, labels, temperatures
    and weights drawn at check time: alpha times section 6's softened loss (KL divergence at temperature T, times
    T squared) plus (1 - alpha) times the cross-entropy with the labels, to 1e-5; and its gradient reaches the
    student's logits."""
    import random

    import torch
    import torch.nn.functional as F

    generator = torch.Generator().manual_seed(random.randrange(2**16))  # new logits at every check
    for T, alpha in ((2.0, 0.5), (4.0, 0.9), (1.0, 0.25)):
        student = torch.randn(16, 3, generator=generator, requires_grad=True)
        teacher = torch.randn(16, 3, generator=generator) * 3
        labels = torch.randint(0, 3, (16,), generator=generator)
        soft = F.kl_div(F.log_softmax(student / T, dim=1), F.softmax(teacher / T, dim=1), reduction="batchmean")
        expected = alpha * soft * T * T + (1 - alpha) * F.cross_entropy(student, labels)
        got = loss(student, teacher, labels, T, alpha)
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            print("return the loss as a one-number tensor, so that .backward() can follow")
            return False
        if not torch.allclose(got, expected, atol=1e-5):
            print(f"with T={T} and alpha={alpha}: {got.item():.5f}, expected {expected.item():.5f}")
            return False
        got.backward()
        if student.grad is None:
            print("no gradient reached the student's logits: build the loss from them, not from a copy")
            return False
    return True


register(
    "07.distil",
    "Write distillation_loss(student_logits, teacher_logits, labels, T, alpha): alpha times section 6's softened "
    "loss plus (1 - alpha) times the cross-entropy with the true labels.",
    _distillation_loss,
    (
        "Hinton et al. mix two targets: the teacher's softened probabilities, and the true labels where there are "
        "some. alpha weighs the first.",
        "section 6's loop computes the softened term: kl_div(log_softmax(student / T), softmax(teacher / T), "
        "reduction='batchmean') * T * T; F.cross_entropy(student_logits, labels) is the other.",
        "soft = F.kl_div(F.log_softmax(student_logits / T, dim=1), F.softmax(teacher_logits / T, dim=1), "
        "reduction='batchmean') * T * T; return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)",
    ),
    skill="distillation with soft and hard targets",
)
