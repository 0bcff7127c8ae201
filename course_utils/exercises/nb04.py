"""Exercises for notebook 04: few-shot text classification with SetFit."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..checks import equals, register

_WORDS = ["fine", "dull", "great", "boring", "joy", "mess", "ok", "warm", "slow", "bright", "flat", "tender"]


def _table() -> pd.DataFrame:
    """A small table of the checker's own, new at each call: 6 to 9 rows, three classes, unbalanced."""
    rng = random.Random()
    n = rng.randrange(6, 10)
    sentences = [f"a {w} film" for w in rng.sample(_WORDS, n)]
    labels = [0, 1, 2] + [rng.randrange(3) for _ in range(n - 3)]
    rng.shuffle(labels)
    return pd.DataFrame({"sentence": sentences, "label": labels})


def _builds_every_pair_once(make_pairs: Callable) -> bool:
    """On a table drawn at check time (three classes, 6 to 9 rows): every unordered pair of different rows
    exactly once, target 1.0 for the same label, else 0.0."""
    rows = _table()
    index = {sentence: i for i, sentence in enumerate(rows.sentence)}
    expected = {
        frozenset((i, j)): float(rows.label[i] == rows.label[j]) for i, j in itertools.combinations(range(len(rows)), 2)
    }
    given: dict[frozenset, float] = {}
    for a, b, target in make_pairs(rows.copy()):
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
    kind="warm-up",
    skill="count SetFit's pairs",
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
    skill="build contrastive pairs",
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
    """``(prototypes, pool_emb)``: on three shot sets drawn at check time from the cached sentences (4 to 20
    per class, labels assigned at random), one row per label in label order, each pointing the way of that
    class's mean cached embedding (a rescaled mean classifies the same)."""
    prototypes, pool_emb = answer
    rng = random.Random()
    sentences = list(pool_emb)
    for _ in range(3):
        k = rng.randrange(4, 21)
        picked = rng.sample(sentences, 2 * k)
        df = pd.DataFrame({"sentence": picked, "label": [0] * k + [1] * k}).sample(frac=1.0, random_state=k)
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
    kind="decision",
    skill="zero-shot label descriptions, chosen without the test set",
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
    skill="prototypes: few-shot without training",
)
