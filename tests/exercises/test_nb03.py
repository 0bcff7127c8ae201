"""Notebook 03's exercises: the checkers draw their own sentences and build their own small BERTs."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from exercise_cases import Case

from course_utils.data import SST2_LABELS, load_sst2
from course_utils.exercises import load_exercises

load_exercises("03")


class WordTokenizer:
    """A tokenizer for the tiny BERT: one id per word, as the real one's output is shaped."""

    def __call__(self, sentences, padding=True, truncation=True, return_tensors="pt"):
        ids = [[1 + sum(map(ord, w)) % 48 for w in s.split()][:20] for s in sentences]
        width = max(map(len, ids))
        return {
            "input_ids": torch.tensor([row + [0] * (width - len(row)) for row in ids]),
            "attention_mask": torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in ids]),
        }


class ParityModel(torch.nn.Module):
    """A stand-in classifier whose labels vary from sentence to sentence: the parity of its first word's id."""

    def forward(self, input_ids, attention_mask):
        first = input_ids[:, 0] % 2
        return SimpleNamespace(logits=torch.stack([1.0 - first, first.float()], dim=1))


MODEL, TOKENIZER = ParityModel(), WordTokenizer()


def reference_classify(sentences):
    MODEL.eval()
    with torch.inference_mode():
        logits = MODEL(**TOKENIZER(sentences)).logits
    return [SST2_LABELS[i] for i in logits.argmax(-1).tolist()]


# What an earlier run printed for the first dev sentences, copied as the answer to every later call.
STALE = reference_classify(load_sst2("dev").sentence[:12].tolist())


def reference_optimizer(model, top_lr, decay):
    base = model.base_model
    tiers = [[*model.classifier.parameters(), *base.pooler.parameters()]]
    tiers += [
        list(layer.parameters()) for layer in reversed(base.encoder.layer) if next(layer.parameters()).requires_grad
    ]
    return torch.optim.AdamW([{"params": t, "lr": top_lr * decay**d} for d, t in enumerate(tiers)])


def every_layer_grouped(model, top_lr, decay):  # frozen layers get a group too
    base = model.base_model
    tiers = [[*model.classifier.parameters(), *base.pooler.parameters()]]
    tiers += [list(layer.parameters()) for layer in reversed(base.encoder.layer)]
    return torch.optim.AdamW([{"params": t, "lr": top_lr * decay**d} for d, t in enumerate(tiers)])


def bottom_first(model, top_lr, decay):  # the decay applied from the wrong end
    base = model.base_model
    layers = [list(layer.parameters()) for layer in base.encoder.layer if next(layer.parameters()).requires_grad]
    tiers = [*layers, [*base.pooler.parameters(), *model.classifier.parameters()]]
    return torch.optim.AdamW([{"params": t, "lr": top_lr * decay**d} for d, t in enumerate(tiers)])


def reference_train_top(model, k):
    model.requires_grad_(False)
    layers = model.base_model.encoder.layer
    for part in [*layers[len(layers) - k :], model.base_model.pooler, model.classifier]:
        part.requires_grad_(True)
    return model


def notebook_split(model, k):  # section 5's TRAIN_TOP = 2, whatever k is asked for
    return reference_train_top(model, 2)


def head_forgotten(model, k):
    reference_train_top(model, k)
    model.classifier.requires_grad_(False)
    return model


CASES = {
    "03.padding": Case(right=lambda: 31, wrong={"other: one sentence's": lambda: 18, "other: to 128": lambda: 340}),
    "03.classify": Case(
        right=lambda: (reference_classify, MODEL, TOKENIZER),
        wrong={
            "constant: always positive": lambda: (lambda s: ["positive"] * len(s), MODEL, TOKENIZER),
            "reused: labels an earlier run printed": lambda: (lambda s: STALE, MODEL, TOKENIZER),
            "other: the classes swapped": lambda: (
                lambda s: ["negative" if x == "positive" else "positive" for x in reference_classify(s)],
                MODEL,
                TOKENIZER,
            ),
            "other: one label for all": lambda: (lambda s: "positive", MODEL, TOKENIZER),
        },
    ),
    "03.discriminative": Case(
        right=lambda: reference_optimizer,
        wrong={
            "constant: the notebook's fixed rates (3e-4, decay 0.8)": lambda: (
                lambda m, lr, d: reference_optimizer(m, 3e-4, 0.8)
            ),
            "reused: one rate for every parameter, as plain fine-tuning": lambda: (
                lambda m, lr, d: torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=lr)
            ),
            "other: frozen layers grouped too": lambda: every_layer_grouped,
            "other: decay from the bottom up": lambda: bottom_first,
        },
    ),
    "03.train_top": Case(
        right=lambda: reference_train_top,
        wrong={
            "constant: section 5's two layers, whatever k is": lambda: notebook_split,
            "reused: everything trainable, as plain fine-tuning": lambda: lambda m, k: m.requires_grad_(True),
            "other: the head left frozen": lambda: head_forgotten,
        },
    ),
}


def test_the_classify_checker_draws_other_sentences_each_call():
    from course_utils.exercises import nb03

    first, second = next(nb03._DRAWS), next(nb03._DRAWS)
    assert first != second
