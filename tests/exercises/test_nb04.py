"""Notebook 04's exercises: right answers pass, wrong ones are refused."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercises import load_exercises

load_exercises("04")


def test_notebook_04_pairs_exercise_checks_the_pairs_the_function_builds():
    import itertools

    def reference(df):
        rows = list(df.itertuples(index=False))
        return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.combinations(rows, 2)]

    def with_self_pairs(df):
        rows = list(df.itertuples(index=False))
        return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.product(rows, repeat=2)]

    def both_orders(df):
        rows = list(df.itertuples(index=False))
        return [(a.sentence, b.sentence, float(a.label == b.label)) for a, b in itertools.permutations(rows, 2)]

    def targets_flipped(df):
        return [(a, b, 1.0 - t) for a, b, t in reference(df)]

    def same_class_only(df):
        return [(a, b, t) for a, b, t in reference(df) if t == 1.0]

    def two_classes_assumed(df):  # "different class" decided by label parity: wrong for a third class
        rows = list(df.itertuples(index=False))
        return [(a.sentence, b.sentence, float(a.label % 2 == b.label % 2)) for a, b in itertools.combinations(rows, 2)]

    assert checks.check("04.make_pairs", reference).status == "correct"
    for wrong in (with_self_pairs, both_orders, targets_flipped, same_class_only, two_classes_assumed, len):
        assert checks.check("04.make_pairs", wrong).status == "wrong", wrong.__name__

    def make_pairs(df): ...

    assert checks.check("04.make_pairs", make_pairs).status == "unanswered"


def test_notebook_04_descriptions_must_beat_the_notebooks_on_the_pool():

    theirs = {"negative": ["a negative movie review"], "positive": ["a positive movie review"]}
    scores = {"a bad, boring film": 0.732, "a negative movie review": 0.700, "boring": 0.639}

    def pool_zero_shot(descriptions):  # a stand-in scorer: the score of the negative phrase
        negative = descriptions["negative"]
        return scores[negative if isinstance(negative, str) else negative[0]]

    better = {"negative": ["a bad, boring film"], "positive": ["a good, enjoyable film"]}
    assert checks.check("04.descriptions", (better, theirs, pool_zero_shot)).status == "correct"
    plain_strings = {"negative": "a bad, boring film", "positive": "fun"}  # one phrase each, not in a list
    assert checks.check("04.descriptions", (plain_strings, theirs, pool_zero_shot))
    wrongs = [
        theirs,  # the notebook's own: no better
        {"negative": ["boring"], "positive": ["great"]},  # worse
        {"negative": ["a bad, boring film"]},  # a label missing
        {"negative": [], "positive": ["good"]},  # no phrase
        {"negative": ["a bad, boring film"], "positive": [""]},  # an empty phrase
        {"bad": ["a bad, boring film"], "good": ["good"]},  # not SST-2's label names
        ["a bad, boring film", "a good film"],
    ]
    for wrong in wrongs:
        assert checks.check("04.descriptions", (wrong, theirs, pool_zero_shot)).status == "wrong", wrong


def test_notebook_04_prototypes_are_class_means_in_label_order():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    sentences = [f"s{i}" for i in range(200)]
    pool_emb = {s: rng.normal(size=8) for s in sentences}
    shots = {
        key: pd.DataFrame({"sentence": sentences[: 2 * key[0]], "label": [0, 1] * key[0]})
        for key in ((8, 0), (16, 1), (64, 2))
    }

    def reference(df):
        return np.stack([np.mean([pool_emb[s] for s in df.sentence[df.label == c]], axis=0) for c in (0, 1)])

    def swapped(df):
        return reference(df)[::-1]

    def all_rows_mean(df):
        return np.stack([np.mean([pool_emb[s] for s in df.sentence], axis=0)] * 2)

    def first_example(df):  # one-shot's nearest example, not the mean
        return np.stack([pool_emb[df.sentence[df.label == c].iloc[0]] for c in (0, 1)])

    assert checks.check("04.prototypes", (reference, pool_emb, shots)).status == "correct"
    assert checks.check("04.prototypes", (lambda df: 3 * reference(df), pool_emb, shots))  # rescaled: same classes
    for wrong in (swapped, all_rows_mean, first_example, lambda df: reference(df)[:1], lambda df: "prototypes"):
        assert checks.check("04.prototypes", (wrong, pool_emb, shots)).status == "wrong"
