"""Exercises for notebook 04: few-shot text classification with SetFit."""

from __future__ import annotations

from ..checks import close_to, equals, register

register(
    "04.pairs",
    "How many distinct pairs can SetFit build from 32 labelled sentences?",
    equals(496),
    "each sentence pairs with every other one once: n * (n - 1) / 2.",
)
register(
    "04.same_pairs",
    "Of the pairs from 16 sentences per class (2 classes), how many are same-class pairs?",
    equals(240),
    "count the pairs inside each class (16 * 15 / 2) and add the two classes.",
)
register(
    "04.chance",
    "What accuracy does always answering 'positive' get on the 872 SST-2 dev sentences (444 positive)?",
    close_to(444 / 872, abs_=0.002),
    "divide the number of positive dev sentences by the number of dev sentences.",
)
