"""Notebook 05's exercises: right answers pass, wrong ones are refused."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercises import load_exercises

load_exercises("05")


def test_notebook_05_frozen_gain_is_checked_against_section_2s_table():
    import pandas as pd

    table = {("digits, other images", 0): 0.178, ("pixel-shuffled digits", 0): -0.226}
    table[("digits, other images", 1)] = 0.110
    runs = pd.DataFrame([{"source": s, "seed": seed, "gain, frozen": g} for (s, seed), g in table.items()])
    bodies = {key: key for key in table}  # the learner's function receives the body: here, its key

    def reference(body, seed):
        return table[body] + 0.01  # a probe with other settings lands close, not exactly

    def raw_accuracy(body, seed):
        return table[body] + 0.764  # forgot to subtract the scratch score

    def seed_zero_only(body, seed):  # always scores seed 0's labels
        return table[body[0], 0]

    def broken(body, seed):
        raise ValueError("shapes do not match")

    assert checks.check("05.frozen_gain", (reference, bodies, runs)).status == "correct"
    for wrong in (raw_accuracy, lambda body, seed: -table[body], broken, seed_zero_only):
        assert checks.check("05.frozen_gain", (wrong, bodies, runs)).status == "wrong"


def test_notebook_05_own_source_must_be_new_and_well_formed():
    import numpy as np

    rng = np.random.default_rng(0)
    images, labels = rng.random((200, 64)), rng.integers(0, 10, 200)
    known = {"digits": (images, labels)}
    shifted = np.roll(images.reshape(-1, 8, 8), 1, axis=2).reshape(-1, 64)
    assert checks.check("05.own_source", ((shifted, labels), known)).status == "correct"
    assert checks.check("05.own_source", ((images, labels % 2), known)).status == "correct"  # a new question
    assert checks.check("05.own_source", ((images, labels < 5), known)).status == "correct"  # yes/no labels
    wrongs = [
        (images.copy(), labels.copy()),  # one of the notebook's sources again
        (images.reshape(-1, 8, 8), labels),  # not 64 values per row
        (shifted, labels.astype(float)),  # labels must be class numbers
        (shifted, labels - 1),  # a negative class number
        (shifted * 16, labels),  # pixels outside [0, 1]
        (shifted[:50], labels[:50]),  # too few images
        (shifted, np.zeros(200, int)),  # one class: nothing to learn
        "shifted digits",
    ]
    for wrong in wrongs:
        assert checks.check("05.own_source", (wrong, known)).status == "wrong"
    assert checks.check("05.own_source", (..., known)).status == "unanswered"


def test_notebook_05_rehearsal_runs_the_learners_choice_on_three_seeds():
    def forgetting(seed, rehearse, store_size=80):  # a stand-in: more stored examples, less forgetting
        return {"source acc after": min(0.95, 0.70 + 0.012 * store_size - 0.01 * seed)}

    assert checks.check("05.rehearsal", (20, forgetting)).status == "correct"
    for wrong in (10, 30, 80, 0, "20", 20.0, True):  # too few, over the cap of 25, or not a count
        assert checks.check("05.rehearsal", (wrong, forgetting)).status == "wrong", wrong
