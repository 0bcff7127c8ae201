"""Exercises for notebook 03: BERT sentiment classification, frozen encoder vs fine-tuning."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable

import torch

from ..checks import equals, register
from .tiny_bert import tiny_classifier

_DRAWS = itertools.count()  # each call draws other sentences: no list of answers can be written in advance


def _classifies_like_the_model(answer: tuple) -> bool:
    """``(classify, model, tokenizer)``: on 12 SST-2 dev sentences drawn at check time (others at each call),
    ``classify`` returns the fine-tuned model's own label for each, in order."""
    from ..data import SST2_LABELS, load_sst2

    classify, model, tokenizer = answer
    dev = load_sst2("dev")
    sentences = dev.sentence.sample(12, random_state=next(_DRAWS)).tolist()
    model.eval()
    with torch.inference_mode():
        logits = model(**tokenizer(sentences, padding=True, truncation=True, return_tensors="pt")).logits
    expected = [SST2_LABELS[i] for i in logits.argmax(-1).tolist()]
    given = classify(list(sentences))
    got = [str(label).strip().lower() for label in given] if isinstance(given, list | tuple) else []
    if len(got) != len(sentences):
        print(f"classify should return one label per sentence: {len(sentences)} sentences, {len(got)} labels")
        return False
    agree = sum(g == e for g, e in zip(got, expected, strict=True))
    print(f"your labels agree with the fine-tuned model on {agree} of {len(sentences)} sentences drawn just now")
    return agree == len(sentences)


def _discriminative_rates(build: Callable) -> bool:
    """``build(model, top_lr, decay)`` on small random BERT classifiers with rates drawn at check time: every
    trainable parameter in exactly one group; the head and pooler at ``top_lr`` and each layer below, top first,
    at ``decay`` times the tier above; frozen parameters left out."""
    rng = random.Random()
    for layers, frozen_bottom in ((4, 0), (3, 1)):
        model = tiny_classifier(layers)
        for layer in list(model.base_model.encoder.layer)[:frozen_bottom]:
            layer.requires_grad_(False)
        model.base_model.embeddings.requires_grad_(False)
        top_lr, decay = rng.choice((1e-4, 2e-4, 5e-4)), rng.choice((0.5, 0.8, 0.9))
        optimizer = build(model, top_lr, decay)
        if not isinstance(optimizer, torch.optim.Optimizer):
            print("return the optimizer (a torch.optim.AdamW)")
            return False
        base = model.base_model
        trained = [layer for layer in reversed(base.encoder.layer) if any(p.requires_grad for p in layer.parameters())]
        tiers = [[*model.classifier.parameters(), *base.pooler.parameters()], *[list(t.parameters()) for t in trained]]
        expected = {id(p): top_lr * decay**depth for depth, params in enumerate(tiers) for p in params}
        given: dict[int, float] = {}
        for group in optimizer.param_groups:
            for p in group["params"]:
                if id(p) in given:
                    return False
                given[id(p)] = group["lr"]
        if given.keys() != expected.keys() or any(not math.isclose(given[k], lr) for k, lr in expected.items()):
            print(f"with top_lr={top_lr} and decay={decay}, the groups' rates are not the ones asked for")
            return False
    return True


register(
    "03.padding",
    "A batch holds three sentences of 7, 12 and 25 tokens ([CLS] and [SEP] included). With dynamic padding, "
    "how many [PAD] positions does the batch hold?",
    equals(31),
    (
        "dynamic padding pads every sentence of a batch to the batch's longest one.",
        "the longest has 25 tokens: count what each shorter sentence is missing, and add.",
        "(25 - 7) + (25 - 12)",
    ),
    kind="warm-up",
    skill="dynamic padding",
)
register(
    "03.classify",
    "Write classify(sentences) returning 'positive' or 'negative' for each sentence, using the fine-tuned model.",
    _classifies_like_the_model,
    (
        "three steps: turn the sentences into token ids, run the fine-tuned model, turn its scores into labels.",
        "tokenizer(sentences, padding=True, truncation=True, return_tensors='pt'); the model returns .logits; "
        "the larger logit wins, and SST2_LABELS names the classes 0 and 1.",
        "finetuned.eval(); with torch.inference_mode(): logits = finetuned(**tokenizer(...)).logits; "
        "return [SST2_LABELS[i] for i in logits.argmax(-1).tolist()]",
    ),
    skill="use a fine-tuned model on new text",
)
register(
    "03.discriminative",
    "Write discriminative_optimizer(model, top_lr, decay): AdamW with the head and pooler at top_lr and each "
    "trainable layer below at decay times the rate above.",
    _discriminative_rates,
    (
        "discriminative fine-tuning gives each depth its own learning rate: lower layers hold more general "
        "features and should move less. Frozen layers get no group.",
        "AdamW accepts a list of parameter groups, each a dict with its own 'params' and 'lr'; "
        "model.base_model.encoder.layer lists the layers bottom first.",
        "tiers = [[*model.classifier.parameters(), *model.base_model.pooler.parameters()]] + [list(layer.parameters()) "
        "for layer in reversed(model.base_model.encoder.layer) if any(p.requires_grad for p in layer.parameters())]; "
        "return torch.optim.AdamW([{'params': t, 'lr': top_lr * decay**d} for d, t in enumerate(tiers)])",
    ),
    skill="discriminative learning rates",
)


def _trains_only_the_top(train_top: Callable) -> bool:
    """For k = 0, 1, 3 and 4 on a fresh model each: exactly the top k layers, the pooler and the head train."""
    for k in (0, 1, 3, 4):
        model = tiny_classifier()
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
    skill="choose which layers train",
)
