"""Exercises for notebook 04: few-shot text classification with SetFit."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pandas as pd

from ..checks import close_to, equals, register

# A small table of its own, with a third class and a repeated label pattern, so that an answer
# written for two balanced classes, or one that pairs a row with itself, shows.
_ROWS = pd.DataFrame(
    {
        "sentence": ["a fine film", "a dull film", "great acting", "a boring plot", "pure joy", "a mess", "just ok"],
        "label": [1, 0, 1, 0, 1, 0, 2],
    }
)


def _builds_every_pair_once(make_pairs: Callable) -> bool:
    """Every unordered pair of different rows exactly once, target 1.0 for the same label, else 0.0."""
    index = {sentence: i for i, sentence in enumerate(_ROWS.sentence)}
    expected = {
        frozenset((i, j)): float(_ROWS.label[i] == _ROWS.label[j])
        for i, j in itertools.combinations(range(len(_ROWS)), 2)
    }
    given: dict[frozenset, float] = {}
    for a, b, target in make_pairs(_ROWS.copy()):
        key = frozenset((index[a], index[b]))
        if len(key) != 2 or key in given:  # a row with itself, or a pair twice (in either order)
            return False
        given[key] = float(target)
    return given == expected


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
register(
    "04.make_pairs",
    "Write make_pairs(df): one (sentence_a, sentence_b, target) per unordered pair of different rows, "
    "target 1.0 for the same label and 0.0 otherwise.",
    _builds_every_pair_once,
    "itertools.combinations(rows, 2) gives each unordered pair of different rows once; compare the two labels "
    "for the target, as a float.",
)
