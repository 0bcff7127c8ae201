"""Notebook 08's exercises: right answers pass, wrong ones are refused."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercises import load_exercises

load_exercises("08")


def test_notebook_08_split_must_be_stratified_reproducible_and_a_quarter():
    import random

    from sklearn.model_selection import train_test_split

    def right(examples, labels, seed):
        return train_test_split(examples, labels, test_size=0.25, stratify=labels, random_state=seed)

    def unstratified(examples, labels, seed):  # a quarter, seeded, but the rare class may go missing
        return train_test_split(examples, labels, test_size=0.25, shuffle=False)

    def unseeded(examples, labels, seed):
        return train_test_split(examples, labels, test_size=0.25, stratify=labels, random_state=random.randrange(9999))

    def fixed(examples, labels, seed):  # ignores the seed it is given
        return train_test_split(examples, labels, test_size=0.25, stratify=labels, random_state=0)

    def fifth(examples, labels, seed):
        return train_test_split(examples, labels, test_size=0.2, stratify=labels, random_state=seed)

    def scrambled(examples, labels, seed):  # labels split separately from their examples
        x = train_test_split(examples, test_size=0.25, random_state=seed)
        y = train_test_split(labels, test_size=0.25, random_state=seed + 1)
        return x[0], x[1], y[0], y[1]

    assert checks.check("08.split", (right,)).status == "correct"
    for wrong in (unstratified, unseeded, fixed, fifth, scrambled):
        assert checks.check("08.split", (wrong,)).status == "wrong", wrong.__name__

    def stub(examples, labels, seed): ...

    assert checks.check("08.split", (stub,)).status == "unanswered"


def test_notebook_08_interval_is_the_wilson_interval():
    import math

    def wilson(k, n):
        z, p = 1.96, k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return centre - half, centre + half

    def wald(k, n):  # the textbook interval: wrong near 0 and 1, and for small n
        p = k / n
        half = 1.96 * math.sqrt(p * (1 - p) / n)
        return p - half, p + half

    assert checks.check("08.interval", (wilson,)).status == "correct"
    assert checks.check("08.interval", (wald,)).status == "wrong"
    assert checks.check("08.interval", (lambda k, n: (0, 1),)).status == "wrong"


def test_notebook_08_reload_wants_the_saved_models_predictions(tmp_path, monkeypatch):
    import torch

    from course_utils.predictor import Prediction, Predictor

    class Folder(Predictor):  # a stand-in for a loaded folder: says "pos" for sentences with "good"
        def predict(self, texts):
            return [Prediction(["neg", "pos"], [0.2, 0.8] if "good" in t else [0.9, 0.1]) for t in texts]

    loaded = Folder(tmp_path, {"kind": "text", "labels": ["neg", "pos"]}, torch.nn.Identity())
    monkeypatch.setattr("course_utils.predictor.load_predictor", lambda folder: loaded)  # the checker loads it
    texts = ["good", "bad", "very good"]
    assert checks.check("08.reload", (loaded.predict(texts), tmp_path, texts)).status == "correct"
    assert checks.check("08.reload", (["pos", "neg", "pos"], tmp_path, texts)).status == "correct"
    assert checks.check("08.reload", (["pos", "pos", "pos"], tmp_path, texts)).status == "wrong"
    assert checks.check("08.reload", (["pos"], tmp_path, texts)).status == "wrong"
    assert checks.check("08.reload", (..., tmp_path, texts)).status == "unanswered"
