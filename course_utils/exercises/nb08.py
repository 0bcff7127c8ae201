"""Exercises for notebook 08: transfer learning on your own data."""

from __future__ import annotations

import gc
import itertools
import os
import random
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from ..checks import register


def _splits_honestly(answer: tuple) -> bool:
    """``(split,)``: on an unbalanced dataset drawn at check time (80 to 160 examples, a rare class of 10%),
    split(examples, labels, seed) -> (train_x, test_x, train_y, test_y) holds out a quarter, every class in both
    parts in its share, nothing in both, the same split for the same seed and another for another seed."""
    (split,) = answer
    rng = random.Random()
    n = 4 * rng.randrange(20, 41)
    rare = n // 10
    examples = [f"example {i}" for i in rng.sample(range(10_000), n)]
    labels = ["rare"] * rare + ["common"] * (n - rare)  # unbalanced, as real data is
    train_x, test_x, train_y, test_y = split(examples, labels, 0)
    if len(test_x) != n // 4 or len(train_x) != n - n // 4:
        print(f"hold out a quarter: {n // 4} of {n} for the test; got {len(test_x)} and {len(train_x)}")
        return False
    if set(train_x) & set(test_x) or sorted(list(train_x) + list(test_x)) != sorted(examples):
        print("every example must land in exactly one part")
        return False
    pairs = zip(list(train_x) + list(test_x), list(train_y) + list(test_y), strict=True)
    if any(labels[examples.index(x)] != y for x, y in pairs):
        print("each label must stay with its example")
        return False
    share = round(rare / 4)
    if abs(Counter(test_y)["rare"] - share) > 1:
        print(f"the test part should hold the rare class in its share (about {share}), got {Counter(test_y)['rare']}")
        return False
    again = split(examples, labels, 0)
    other = split(examples, labels, 1)
    if list(again[1]) != list(test_x):
        print("the same seed must give the same split: pass it to the splitter")
        return False
    if list(other[1]) == list(test_x):
        print("a different seed should give a different split")
        return False
    return True


register(
    "08.split",
    "Write split(examples, labels, seed): a stratified split holding out a quarter, reproducible with seed.",
    _splits_honestly,
    (
        "scikit-learn's train_test_split does it, given the right three arguments.",
        "test_size=0.25, stratify=labels and random_state=seed.",
        "return train_test_split(examples, labels, test_size=0.25, stratify=labels, random_state=seed)",
    ),
    skill="an honest, stratified, seeded split",
)


def _wilson_interval(answer: tuple) -> bool:
    """``(interval,)``: interval(correct, total) -> (low, high), the 95% Wilson score interval, on counts drawn
    at check time and at the edges (all right, all wrong), computed from the formula: scipy's
    ``proportion_ci``, which section 7 calls, is switched off while the learner's function runs."""
    from scipy.stats import binomtest
    from scipy.stats._result_classes import BinomTestResult

    (interval,) = answer
    rng = random.Random()
    drawn = [(k, n) for n in (rng.randrange(5, 40), rng.randrange(40, 400)) for k in (rng.randrange(1, n),)]
    for correct, total in (*drawn, (50, 50), (0, 10)):
        expected = binomtest(correct, total).proportion_ci(confidence_level=0.95, method="wilson")
        original = BinomTestResult.proportion_ci
        BinomTestResult.proportion_ci = _written_by_hand
        try:
            low, high = interval(correct, total)
        finally:
            BinomTestResult.proportion_ci = original
        if abs(low - expected.low) > 1e-4 or abs(high - expected.high) > 1e-4:
            print(f"interval({correct}, {total}) gave ({low:.4f}, {high:.4f}); expected about "
                  f"({expected.low:.4f}, {expected.high:.4f})")  # fmt: skip
            return False
    return True


def _written_by_hand(*args, **kwargs):
    raise RuntimeError("this exercise asks for the formula: scipy's proportion_ci is off while it is checked")


register(
    "08.interval",
    "Write interval(correct, total): the 95% Wilson score interval for an accuracy.",
    _wilson_interval,
    (
        "the Wilson interval centres on (k + z²/2) / (n + z²) rather than on k / n, with z = 1.96 for 95%.",
        "centre = (p + z²/(2n)) / (1 + z²/n) and half-width = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/(4n²)), "
        "with p = k / n.",
        "z, p = 1.96, correct / total; centre = (p + z**2 / (2 * total)) / (1 + z**2 / total); half = z / (1 + z**2 / "
        "total) * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)); return centre - half, centre + half",
    ),
    skill="an accuracy's uncertainty",
)


def _relabelled_copy(folder: Path, work: Path) -> Path:
    """A copy of a saved text model whose labels are rotated by one in predictor.json: the same files (linked,
    not copied: the encoder is large), so a function that really loads the folder it is given names other labels."""
    import json

    from ..predictor import MANIFEST, verify

    info = verify(folder)
    copy = work / "relabelled-model"
    for path in folder.rglob("*"):
        if path.is_file() and path.name != MANIFEST:
            target = copy / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.symlink(path.resolve(), target)
            except OSError:  # no symlinks here: copy instead
                shutil.copyfile(path, target)
    info["labels"] = info["labels"][1:] + info["labels"][:1]
    (copy / MANIFEST).write_text(json.dumps(info, indent=2) + "\n")
    return copy


_DRAWS = itertools.count()


def _reloaded(answer: tuple) -> bool:
    """``(predict_saved, folder)``: on a copy of the saved folder made at check time with its labels rotated, and
    on eight SST-2 dev sentences drawn at check time, ``predict_saved(copy, sentences)`` names the labels that
    loading that copy gives: the function must load the folder it is handed, not reuse a model in memory."""
    from ..data import load_sst2
    from ..predictor import load_predictor

    predict_saved, folder = answer
    sentences = load_sst2("dev").sentence.sample(8, random_state=next(_DRAWS)).tolist()
    with tempfile.TemporaryDirectory() as work:
        copy = _relabelled_copy(Path(folder).expanduser(), Path(work))
        got = [getattr(p, "label", p) for p in predict_saved(str(copy), list(sentences))]
        gc.collect()  # the learner's loaded model, before the checker loads one: one encoder in memory at a time
        expected = [p.label for p in load_predictor(copy).predict(sentences)]
    if len(got) != len(sentences):
        print(f"one prediction per sentence: {len(sentences)} sentences, {len(got)} predictions")
        return False
    if got != expected:
        print("those are not the predictions of the model in the folder it was given: load it with load_predictor")
        return False
    return True


register(
    "08.reload",
    "Write predict_saved(folder, texts): load a saved text model from its folder and predict the texts with it.",
    _reloaded,
    (
        "course_utils.predictor.load_predictor(folder) checks the folder and loads it.",
        "the loaded predictor's .predict(list_of_texts) returns one Prediction per text.",
        "return load_predictor(folder).predict(texts)",
    ),
    skill="reuse a saved model",
)
