"""Notebook 08's exercises: splits, intervals and reloads checked on data and folders the checkers make."""

from __future__ import annotations

import functools
import random
import tempfile
from pathlib import Path

import numpy as np
from exercise_cases import Case
from scipy.stats import binomtest
from sklearn.model_selection import train_test_split

from course_utils.exercises import load_exercises

load_exercises("08")


def reference_split(examples, labels, seed):
    return train_test_split(examples, labels, test_size=0.25, stratify=labels, random_state=seed)


FIRST = reference_split([f"example {i}" for i in range(80)], ["rare"] * 8 + ["common"] * 72, 0)


def unstratified(examples, labels, seed):  # a quarter, seeded, but the rare class may go missing
    return train_test_split(examples, labels, test_size=0.25, shuffle=False)


def fixed_seed(examples, labels, seed):  # ignores the seed it is given
    return reference_split(examples, labels, 0)


def scrambled(examples, labels, seed):  # labels split separately from their examples
    x = train_test_split(examples, test_size=0.25, random_state=seed)
    y = train_test_split(labels, test_size=0.25, random_state=seed + 1)
    return x[0], x[1], y[0], y[1]


def wilson(correct, total):
    z, p = 1.96, correct / total
    centre = (p + z**2 / (2 * total)) / (1 + z**2 / total)
    half = z / (1 + z**2 / total) * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2))
    return centre - half, centre + half


def wald(correct, total):
    p = correct / total
    half = 1.96 * np.sqrt(p * (1 - p) / total)
    return p - half, p + half


def scipys(correct, total):  # section 7's call: the exercise is the formula
    ci = binomtest(correct, total).proportion_ci(confidence_level=0.95, method="wilson")
    return ci.low, ci.high


_KEEP: list[tempfile.TemporaryDirectory] = []


@functools.cache
def saved_folder() -> Path:
    """A real saved text model, made once: the course's MiniLM and a crude sentiment head (good minus bad)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from course_utils.models import text_model_path
    from course_utils.predictor import save_text_predictor

    encoder = SentenceTransformer(text_model_path("all-MiniLM-L6-v2"), device="cpu")
    bad, good = torch.tensor(
        encoder.encode(["a bad, boring film", "a good, enjoyable film"], normalize_embeddings=True)
    )
    head = torch.nn.Linear(384, 2)
    with torch.no_grad():  # its two labels come out about equally often on SST-2's dev sentences
        head.weight.copy_(torch.stack([bad - good, good - bad]) * 20)
        head.bias.zero_()
    # Kept for the whole session, removed when the interpreter exits (88 MB per run piled up in /tmp).
    workdir = tempfile.TemporaryDirectory(prefix="saved-text-model-")
    _KEEP.append(workdir)
    return save_text_predictor(Path(workdir.name) / "model", encoder, head, ["negative", "positive"])


def reference_reload(folder, texts):
    from course_utils.predictor import load_predictor

    return load_predictor(folder).predict(texts)


def the_notebooks_model(folder, texts):  # the model already in memory (the original folder), not the one handed over
    return reference_reload(saved_folder(), texts)


CASES = {
    "08.split": Case(
        right=lambda: (reference_split,),
        wrong={
            "constant: the split printed for one dataset": lambda: (lambda x, y, s: FIRST,),
            "reused: section 3's split, whatever the seed": lambda: (fixed_seed,),
            "other: not stratified": lambda: (unstratified,),
            "other: a fifth held out": lambda: (
                lambda x, y, s: train_test_split(x, y, test_size=0.2, stratify=y, random_state=s),
            ),
            "other: labels split apart from their examples": lambda: (scrambled,),
            "other: a new seed every call": lambda: (lambda x, y, s: reference_split(x, y, random.randrange(9999)),),
        },
    ),
    "08.interval": Case(
        right=lambda: (wilson,),
        wrong={
            "constant: a fixed interval": lambda: ((lambda k, n: (0.85, 0.95)),),
            "reused: section 7's scipy call": lambda: (scipys,),
            "other: the Wald interval": lambda: (wald,),
            "other: everything": lambda: ((lambda k, n: (0, 1)),),
        },
    ),
    "08.reload": Case(
        right=lambda: (reference_reload, saved_folder()),
        wrong={
            "constant: three labels written by hand": lambda: (
                lambda f, t: [
                    "positive",
                    "negative",
                    "positive",
                    "positive",
                    "negative",
                    "negative",
                    "positive",
                    "negative",
                ],
                saved_folder(),
            ),
            "reused: the model already in memory": lambda: (the_notebooks_model, saved_folder()),
            "other: one prediction only": lambda: (lambda f, t: reference_reload(f, t)[:1], saved_folder()),
        },
    ),
}


def test_a_relabelled_copy_is_a_valid_model_folder(tmp_path):
    from course_utils.exercises.nb08 import _relabelled_copy
    from course_utils.predictor import verify

    copy = _relabelled_copy(saved_folder(), tmp_path)
    assert verify(copy)["labels"] == ["positive", "negative"]
    assert verify(saved_folder())["labels"] == ["negative", "positive"]  # the learner's folder is untouched
