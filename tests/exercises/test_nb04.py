"""Notebook 04's exercises: pairs and prototypes on tables the checkers draw themselves."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from exercise_cases import Case

from course_utils.exercises import load_exercises

load_exercises("04")


def reference_pairs(df):
    rows = list(df.itertuples(index=False))
    return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.combinations(rows, 2)]


def both_orders(df):
    rows = list(df.itertuples(index=False))
    return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.permutations(rows, 2)]


def with_self_pairs(df):
    rows = list(df.itertuples(index=False))
    return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.product(rows, repeat=2)]


def two_classes_assumed(df):  # "same class" decided by label parity: wrong for a third class
    rows = list(df.itertuples(index=False))
    return [(a.sentence, b.sentence, float(a.label % 2 == b.label % 2)) for a, b in itertools.combinations(rows, 2)]


# The pairs a learner might copy from the first time the function ran, on one table.
FIRST_TABLE = pd.DataFrame({"sentence": ["a fine film", "a dull film", "a ok film"], "label": [1, 0, 2]})
COPIED = reference_pairs(FIRST_TABLE)

NOTEBOOKS = {"negative": ["a negative movie review", "this movie is bad"], "positive": ["a positive movie review"]}


def pool_zero_shot(descriptions):
    """A stand-in scorer: the share of words about films in the phrases (the checker only compares two scores)."""
    words = " ".join(" ".join(v if isinstance(v, list) else [v]) for v in descriptions.values()).split()
    return sum(w.strip(",") in {"film", "boring", "enjoyable", "bad", "good"} for w in words) / max(len(words), 1)


rng = np.random.default_rng(0)
POOL = {f"sentence {i}": rng.normal(size=8).astype(np.float32) for i in range(200)}


def reference_prototypes(df):
    return np.stack([np.mean([POOL[s] for s in df.sentence[df.label == c]], axis=0) for c in (0, 1)])


# The prototypes of one shot set the notebook drew, returned for any set.
FIXED = reference_prototypes(pd.DataFrame({"sentence": list(POOL)[:16], "label": [0] * 8 + [1] * 8}))


def swapped_prototypes(df):
    return reference_prototypes(df)[::-1]


def overall_mean(df):
    mean = np.mean([POOL[s] for s in df.sentence], axis=0)
    return np.stack([mean, mean])


CASES = {
    "04.pairs": Case(right=lambda: 496, wrong={"other: ordered pairs": lambda: 992, "other: 16 * 15": lambda: 240}),
    "04.make_pairs": Case(
        right=lambda: reference_pairs,
        wrong={
            "constant: the pairs printed for one table": lambda: lambda df: COPIED,
            "reused: section 2's count of pairs, as triples of nothing": lambda: lambda df: [(None, None, 0.0)] * 120,
            "other: both orders": lambda: both_orders,
            "other: rows paired with themselves": lambda: with_self_pairs,
            "other: two classes assumed": lambda: two_classes_assumed,
            "other: targets flipped": lambda: lambda df: [(a, b, 1.0 - t) for a, b, t in reference_pairs(df)],
        },
    ),
    "04.descriptions": Case(
        right=lambda: (
            {"negative": ["a bad, boring film"], "positive": ["a good, enjoyable film"]},
            NOTEBOOKS,
            pool_zero_shot,
        ),
        wrong={
            "constant: not descriptions at all": lambda: ("negative, positive", NOTEBOOKS, pool_zero_shot),
            "reused: section 4's own descriptions": lambda: (NOTEBOOKS, NOTEBOOKS, pool_zero_shot),
            "other: an empty phrase": lambda: (
                {"negative": [""], "positive": ["a good film"]},
                NOTEBOOKS,
                pool_zero_shot,
            ),
            "other: a label missing": lambda: ({"positive": ["a good, enjoyable film"]}, NOTEBOOKS, pool_zero_shot),
        },
    ),
    "04.prototypes": Case(
        right=lambda: (reference_prototypes, POOL),
        wrong={
            "constant: one shot set's prototypes for every set": lambda: (lambda df: FIXED, POOL),
            "reused: the mean of every sentence, as the notebook's pool centre": lambda: (overall_mean, POOL),
            "other: labels swapped": lambda: (swapped_prototypes, POOL),
            "other: one row only": lambda: (lambda df: reference_prototypes(df)[:1], POOL),
        },
    ),
}
