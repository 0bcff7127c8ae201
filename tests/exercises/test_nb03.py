"""Notebook 03's exercises: right answers pass, wrong ones are refused."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercises import load_exercises

load_exercises("03")


def test_notebook_03_discriminative_rates_exercise_inspects_the_optimizer_groups():
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=50, hidden_size=8, num_hidden_layers=2, num_attention_heads=2, intermediate_size=16, num_labels=2
    )
    model = BertForSequenceClassification(config)  # tiny and random: only its structure matters here
    model.bert.embeddings.word_embeddings.requires_grad_(False)
    base = model.bert
    tiers = [
        [*model.classifier.parameters(), *base.pooler.parameters()],
        *[list(layer.parameters()) for layer in reversed(base.encoder.layer)],
        [p for p in base.embeddings.parameters() if p.requires_grad],
    ]

    def optimizer(rate):
        return torch.optim.AdamW([{"params": params, "lr": rate(depth)} for depth, params in enumerate(tiers)])

    right = optimizer(lambda depth: 2e-4 * 0.9**depth)
    assert checks.check("03.discriminative", (right, model)).status == "correct"
    for wrong in (
        optimizer(lambda depth: 2e-4),  # one rate for all
        optimizer(lambda depth: 2e-4 * 0.9 ** (len(tiers) - 1 - depth)),  # bottom learns fastest
        torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-4),
        torch.optim.AdamW(
            [{"params": params, "lr": 2e-4 * 0.9**d} for d, params in enumerate(tiers[:-1])]
        ),  # embeddings left out
        "AdamW",
    ):
        assert checks.check("03.discriminative", (wrong, model)).status == "wrong"
    assert checks.check("03.discriminative", (..., model)).status == "unanswered"


def test_notebook_03_classify_exercise_runs_the_learners_function_on_clear_sentences():
    from course_utils.exercises import nb03

    def reference(sentences):
        return [nb03._CLEAR[s] for s in sentences]

    def always_positive(sentences):
        return ["positive"] * len(sentences)

    def swapped(sentences):
        return ["negative" if label == "positive" else "positive" for label in reference(sentences)]

    def one_answer(sentences):
        return "positive"

    assert checks.check("03.classify", reference).status == "correct"
    for wrong in (always_positive, swapped, one_answer, len):
        assert checks.check("03.classify", wrong).status == "wrong", wrong.__name__


def test_notebook_03_train_top_is_checked_on_a_tiny_bert_for_several_depths():

    def reference(model, k):
        model.requires_grad_(False)
        layers = model.base_model.encoder.layer
        for part in [*layers[len(layers) - k :], model.base_model.pooler, model.classifier]:
            part.requires_grad_(True)

    def negative_slice(model, k):  # layers[-0:] is every layer: wrong for k = 0
        model.requires_grad_(False)
        for part in [*model.base_model.encoder.layer[-k:], model.base_model.pooler, model.classifier]:
            part.requires_grad_(True)

    def bottom_layers(model, k):
        model.requires_grad_(False)
        for part in [*model.base_model.encoder.layer[:k], model.base_model.pooler, model.classifier]:
            part.requires_grad_(True)

    def forgets_the_pooler(model, k):
        reference(model, k)
        model.base_model.pooler.requires_grad_(False)

    def freezes_nothing(model, k):
        return model

    assert checks.check("03.train_top", reference).status == "correct"
    for wrong in (negative_slice, bottom_layers, forgets_the_pooler, freezes_nothing):
        assert checks.check("03.train_top", wrong).status == "wrong", wrong.__name__
