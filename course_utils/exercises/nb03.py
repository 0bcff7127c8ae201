"""Exercises for notebook 03: BERT sentiment classification, frozen encoder vs fine-tuning."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..checks import equals, register

# Sentences whose sentiment no reasonable SST-2 classifier gets wrong.
_CLEAR = {
    "a masterpiece : moving , funny and beautifully acted .": "positive",
    "one of the most delightful films of the year .": "positive",
    "a dull , lifeless and painfully boring mess .": "negative",
    "the worst movie i have seen in years .": "negative",
}


def _classifies_clear_sentences(classify: Callable) -> bool:
    labels = list(classify(list(_CLEAR)))
    return [str(label).lower() for label in labels] == list(_CLEAR.values())


TOP_LR, LAYER_DECAY = 2e-4, 0.9


def _discriminative_rates(answer: tuple) -> bool:
    """``(optimizer, model)``: every trainable parameter in one group; the head and pooler learn at
    TOP_LR and each tier below (each layer the model has, top first, then any trainable embedding
    parameters) at LAYER_DECAY times the tier above."""
    optimizer, model = answer
    if not isinstance(optimizer, torch.optim.Optimizer):
        return False
    base = model.base_model
    tiers = [
        [*model.classifier.parameters(), *base.pooler.parameters()],
        *[list(layer.parameters()) for layer in reversed(base.encoder.layer)],
        [p for p in base.embeddings.parameters() if p.requires_grad],  # none when a cache stands in
    ]
    expected = {id(p): TOP_LR * LAYER_DECAY**depth for depth, params in enumerate(tiers) for p in params}
    given: dict[int, float] = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            if id(p) in given:  # one parameter in two groups: PyTorch refuses this too
                return False
            given[id(p)] = group["lr"]
    return given.keys() == expected.keys() and all(math.isclose(given[k], lr) for k, lr in expected.items())


register(
    "03.head_params",
    "How many trainable parameters does a 2-class linear head on MiniLM's 384-number sentence vectors have?",
    equals(770),
    (
        "a linear layer has one weight per (input, output) pair plus one bias per output.",
        "inputs = 384 numbers, outputs = 2 classes: weights + biases.",
    ),
)
register(
    "03.steps",
    "How many optimizer steps do 2 epochs over 1,000 sentences at batch size 16 take (last batch kept)?",
    equals(126),
    (
        "count the steps in one epoch, then multiply by the epochs.",
        "the last, short batch is kept, so round the division up: math.ceil(1000 / 16) per epoch.",
    ),
)
register(
    "03.pad_mask",
    "Which attention_mask value marks a [PAD] position, 0 or 1?",
    lambda answer: str(answer).strip() == "0",
    (
        "the mask says which positions attention may look at.",
        "padding carries no meaning: attention must ignore it. Which value switches a position off?",
    ),
)
register(
    "03.classify",
    "Write classify(sentences) returning 'positive' or 'negative' for each sentence, using the fine-tuned model.",
    _classifies_clear_sentences,
    (
        "three steps: turn the sentences into token ids, run the fine-tuned model, turn its scores into labels.",
        "tokenizer(sentences, padding=True, truncation=True, return_tensors='pt'); the model returns .logits; "
        "the larger logit wins, and SST2_LABELS names the classes 0 and 1.",
        "finetuned.eval(); with torch.inference_mode(): logits = finetuned(**tokenizer(...)).logits; "
        "return [SST2_LABELS[i] for i in logits.argmax(-1).tolist()]",
    ),
)
register(
    "03.discriminative",
    "Build my_optimizer: AdamW over the ULMFiT model's trainable parameters, the head and pooler at 2e-4 "
    "and each tier below at 0.9 times the tier above.",
    _discriminative_rates,
    (
        "discriminative fine-tuning gives each depth its own learning rate: lower layers hold more general "
        "features and should move less.",
        "AdamW accepts a list of parameter groups, each a dict with its own 'params' and 'lr'; "
        "layer_groups(ulmfit) returns (name, params) tiers, top first.",
        "torch.optim.AdamW([{'params': params, 'lr': 2e-4 * 0.9**depth} "
        "for depth, (_, params) in enumerate(layer_groups(ulmfit))])",
    ),
)
