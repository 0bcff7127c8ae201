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
    "How many trainable parameters does a 3-class linear head on MiniLM's 384-number sentence vectors have?",
    equals(1155),
    (
        "a linear layer has one weight per (input, output) pair plus one bias per output.",
        "inputs = 384 numbers, outputs = 3 classes: weights + biases.",
    ),
)
register(
    "03.steps",
    "How many optimizer steps do 3 epochs over 1,500 sentences at batch size 32 take (last batch kept)?",
    equals(141),
    (
        "count the steps in one epoch, then multiply by the epochs.",
        "the last, short batch is kept, so round the division up: math.ceil(1500 / 32) per epoch.",
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


def _tiny_classifier() -> torch.nn.Module:
    """A 4-layer BERT classifier with random weights: the same module names as MiniLM's, built in milliseconds."""
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=50, hidden_size=8, num_hidden_layers=4, num_attention_heads=2, intermediate_size=16, num_labels=2
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return BertForSequenceClassification(config)


def _trains_only_the_top(train_top: Callable) -> bool:
    """For k = 0, 1, 3 and 4 on a fresh model each: exactly the top k layers, the pooler and the head train."""
    for k in (0, 1, 3, 4):
        model = _tiny_classifier()
        returned = train_top(model, k)
        model = returned if isinstance(returned, torch.nn.Module) else model
        base, layers = model.base_model, model.base_model.encoder.layer
        top = [*model.classifier.parameters(), *base.pooler.parameters()]
        top += [p for layer in list(layers)[len(layers) - k :] for p in layer.parameters()]
        if {id(p) for p in model.parameters() if p.requires_grad} != {id(p) for p in top}:
            return False
    return True


register(
    "03.train_top",
    "Write train_top(model, k): freeze the model, then let the top k encoder layers, the pooler and the head train.",
    _trains_only_the_top,
    (
        "start from everything frozen, then switch training back on for the parts that should learn: "
        "the head, the pooler, and the last k layers.",
        "p.requires_grad_(False) freezes a parameter; model.base_model.encoder.layer lists the layers bottom "
        "first, so the top k are layer[len(layer) - k:]; model.base_model.pooler and model.classifier are the rest.",
        "model.requires_grad_(False); then for part in [*layers[len(layers) - k:], base.pooler, model.classifier]: "
        "part.requires_grad_(True)",
    ),
)
