"""Exercises for notebook 08: transfer learning on your own data."""

from __future__ import annotations

from collections import Counter

from ..checks import register


def _splits_honestly(answer: tuple) -> bool:
    """``(split,)``: split(examples, labels, seed) -> (train_x, test_x, train_y, test_y), a quarter held
    out, every class in both parts in its share, nothing in both, the same split for the same seed."""
    (split,) = answer
    examples = [f"example {i}" for i in range(80)]
    labels = ["rare"] * 8 + ["common"] * 72  # unbalanced, as real data is
    train_x, test_x, train_y, test_y = split(examples, labels, 0)
    if len(test_x) != 20 or len(train_x) != 60:
        print(f"hold out a quarter: 20 of 80 for the test, 60 to train; got {len(test_x)} and {len(train_x)}")
        return False
    if set(train_x) & set(test_x) or sorted(list(train_x) + list(test_x)) != sorted(examples):
        print("every example must land in exactly one part")
        return False
    pairs = zip(list(train_x) + list(test_x), list(train_y) + list(test_y), strict=True)
    if any(labels[examples.index(x)] != y for x, y in pairs):
        print("each label must stay with its example")
        return False
    if Counter(test_y)["rare"] != 2:
        print(f"the test part should hold the rare class in its share (2 of 20), got {Counter(test_y)['rare']}")
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
)


def _wilson_interval(answer: tuple) -> bool:
    """``(interval,)``: interval(correct, total) -> (low, high), the 95% Wilson score interval."""
    from scipy.stats import binomtest

    (interval,) = answer
    for correct, total in ((45, 50), (50, 50), (0, 10), (170, 200), (7, 9)):
        expected = binomtest(correct, total).proportion_ci(confidence_level=0.95, method="wilson")
        low, high = interval(correct, total)
        if abs(low - expected.low) > 1e-4 or abs(high - expected.high) > 1e-4:
            print(f"interval({correct}, {total}) gave ({low:.4f}, {high:.4f}); expected about "
                  f"({expected.low:.4f}, {expected.high:.4f})")  # fmt: skip
            return False
    return True


register(
    "08.interval",
    "Write interval(correct, total): the 95% Wilson score interval for an accuracy.",
    _wilson_interval,
    (
        "the Wilson interval centres on (k + z²/2) / (n + z²) rather than on k / n, with z = 1.96 for 95%.",
        "centre = (p + z²/(2n)) / (1 + z²/n) and half-width = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/(4n²)), "
        "with p = k / n; or ask scipy.stats.binomtest for it.",
        "ci = binomtest(correct, total).proportion_ci(confidence_level=0.95, method='wilson'); return ci.low, ci.high",
    ),
)


def _reloaded(answer: tuple) -> bool:
    """``(predictions, folder, texts)``: the labels a model loaded from ``folder`` gives ``texts``."""
    from ..predictor import load_predictor

    predictions, folder, texts = answer
    expected = [p.label for p in load_predictor(folder).predict(texts)]
    got = [getattr(p, "label", p) for p in predictions]
    if len(got) != len(texts):
        print(f"one prediction per sentence: {len(texts)} sentences, {len(got)} predictions")
        return False
    if got != expected:
        print("those are not the saved model's predictions: load the folder with load_predictor")
        return False
    return True


register(
    "08.reload",
    "Load the saved text model from its folder and predict your three sentences with it.",
    _reloaded,
    (
        "course_utils.predictor.load_predictor(folder) checks the folder and loads it.",
        "the loaded predictor's .predict(list_of_texts) returns one Prediction per text.",
        "my_predictions = load_predictor(TEXT_MODEL).predict(my_sentences)",
    ),
)
