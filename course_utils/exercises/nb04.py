"""Exercises for notebook 04: few-shot text classification with SetFit."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
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
    (
        "each sentence pairs with every other sentence once, and (a, b) is the same pair as (b, a).",
        "n sentences give n * (n - 1) / 2 pairs.",
    ),
)
register(
    "04.same_pairs",
    "Of the pairs from 16 sentences per class (2 classes), how many are same-class pairs?",
    equals(240),
    (
        "a same-class pair has both sentences in one class: count the pairs inside each class.",
        "16 sentences in a class give 16 * 15 / 2 pairs; add the two classes.",
    ),
)
register(
    "04.chance",
    "What accuracy does always answering 'negative' get on the 872 SST-2 dev sentences (428 negative)?",
    close_to(428 / 872, abs_=0.002),
    (
        "answering 'negative' every time is right exactly on the negative sentences.",
        "divide the number of negative dev sentences by the number of dev sentences.",
    ),
)
register(
    "04.make_pairs",
    "Write make_pairs(df): one (sentence_a, sentence_b, target) per unordered pair of different rows, "
    "target 1.0 for the same label and 0.0 otherwise.",
    _builds_every_pair_once,
    (
        "each unordered pair of different rows once: (a, b) and (b, a) are one pair, and no row pairs with itself.",
        "itertools.combinations(iterable, 2) yields each unordered pair once; zip the sentence and label columns "
        "to pair whole rows.",
        "[(a, b, float(la == lb)) for (a, la), (b, lb) in itertools.combinations(zip(df.sentence, df.label), 2)]",
    ),
)


def _valid_descriptions(descriptions: Any) -> bool:
    """One or more non-empty phrases for each of SST-2's two labels, and nothing else."""
    if not isinstance(descriptions, dict) or set(descriptions) != {"negative", "positive"}:
        return False
    for phrases in descriptions.values():
        phrases = [phrases] if isinstance(phrases, str) else phrases
        if not isinstance(phrases, list | tuple) or not phrases:
            return False
        if not all(isinstance(p, str) and p.strip() for p in phrases):
            return False
    return True


def _descriptions_beat_the_notebooks(answer: tuple) -> bool:
    """``(mine, notebook's, pool_zero_shot)``: mine score at least one point above the notebook's on the
    labelled training pool (the dev set is never used to choose)."""
    mine, theirs, pool_zero_shot = answer
    if not _valid_descriptions(mine):
        print('my_descriptions must be a dict like {"negative": [...], "positive": [...]} of non-empty phrases')
        return False
    mine_acc, theirs_acc = pool_zero_shot(mine), pool_zero_shot(theirs)
    print(f"on the training pool: your descriptions {mine_acc:.3f}, section 4's {theirs_acc:.3f}")
    return mine_acc >= theirs_acc + 0.01


def _class_mean_prototypes(answer: tuple) -> bool:
    """``(prototypes, pool_emb, shots)``: for a few shot sets, one row per label in label order, each
    pointing the way of that class's mean cached embedding (a rescaled mean classifies the same)."""
    prototypes, pool_emb, shots = answer
    for key in ((8, 0), (16, 1), (64, 2)):
        df = shots[key]
        given = np.asarray(prototypes(df), dtype=float)
        expected = np.stack([np.mean([pool_emb[s] for s in df.sentence[df.label == c]], axis=0) for c in (0, 1)])
        if given.shape != expected.shape:
            return False
        cosine = (given * expected).sum(1) / (np.linalg.norm(given, axis=1) * np.linalg.norm(expected, axis=1))
        if not (cosine > 0.999).all():
            return False
    return True


register(
    "04.descriptions",
    "Write my_descriptions: label descriptions that beat section 4's by at least one point on the training pool.",
    _descriptions_beat_the_notebooks,
    (
        "a description is compared with every review by cosine similarity: it should sound like the reviews "
        "of one class, and unlike those of the other.",
        "reviews talk about the film, the acting, the story and how they felt; try several phrases per label "
        "(their mean is the prototype) and score each dict with pool_zero_shot(d).",
        'my_descriptions = {"negative": ["a bad, boring film"], "positive": ["a good, enjoyable film"]}',
    ),
)
register(
    "04.prototypes",
    "Write prototypes(df): one row per label, the mean of that class's cached shot embeddings.",
    _class_mean_prototypes,
    (
        "a class's prototype is the average of its examples' embeddings: one-shot's nearest example, with "
        "k examples averaged.",
        "pool_emb[sentence] is a sentence's cached embedding; select each label's rows with df.label == c, "
        "and np.mean(..., axis=0) averages them.",
        "return np.stack([np.mean([pool_emb[s] for s in df.sentence[df.label == c]], axis=0) for c in (0, 1)])",
    ),
)
