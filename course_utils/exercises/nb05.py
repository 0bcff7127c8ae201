"""Exercises for notebook 05: negative transfer and forgetting."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import torch

from ..checks import close_to, near_smallest, register, whole_number_in

register(
    "05.gain",
    "Transfer gives 0.71 on the target, training from scratch gives 0.78. What is the transfer gain?",
    close_to(-0.07, abs_=1e-6),
    (
        "the gain compares the score with transfer to the score without it.",
        "gain = score with transfer - score without; a negative number means negative transfer.",
    ),
    kind="warm-up",
    skill="define transfer gain",
)
_DRAWS = itertools.count(1000)  # bodies the notebook never trained: their gains are in no table


def _measures_frozen_gain(answer: tuple) -> bool:
    """``(frozen_gain, few_labels, features, (X_test, y_test), scratch_acc)``: on bodies built at check time (one
    with random weights, one whose features are all zero: their gains appear in no table of the notebook, and they
    differ by tens of points) and two of the seeds, the learner's ``frozen_gain(body, seed)`` equals a logistic
    regression's test accuracy on the body's features of that seed's 30 labels minus the scratch accuracy of that
    seed (to 0.02)."""
    from sklearn.linear_model import LogisticRegression
    from torch import nn

    frozen_gain, few_labels, features, (X_test, y_test), scratch_acc = answer
    seeds = list(scratch_acc.index) if hasattr(scratch_acc, "index") else sorted(scratch_acc)
    for seed, dead in zip(seeds[:2], (False, True), strict=False):
        with torch.random.fork_rng():
            torch.manual_seed(next(_DRAWS))
            body = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        if dead:  # every feature 0: the classifier can only guess one class
            with torch.no_grad():
                for p in body.parameters():
                    p.zero_()
        X_few, y_few = few_labels(seed)
        probe = LogisticRegression(max_iter=2000).fit(features(body, X_few), y_few)
        expected = probe.score(features(body, X_test), y_test) - scratch_acc[seed]
        measured = float(frozen_gain(body, seed))
        kind = "a body with no features" if dead else "a random body"
        print(f"{kind}, seed {seed}: your frozen_gain {measured:+.3f}, the checker's {expected:+.3f}")
        if not math.isclose(measured, expected, abs_tol=0.02):
            return False
    return True


def _valid_new_source(answer: Any) -> bool:
    """``((images, labels), SOURCES)``: 64 pixel values in [0, 1] per image, one integer label each, at
    least two classes and 100 images, and not one of the notebook's sources."""
    (images, labels), known = answer
    images, labels = np.asarray(images), np.asarray(labels)
    if labels.dtype == bool:  # a yes/no question, such as y_src < 5, is a two-class task
        labels = labels.astype(int)
    shaped = images.ndim == 2 and images.shape[1] == 64 and labels.shape == (len(images),) and len(images) >= 100
    if not (shaped and np.issubdtype(labels.dtype, np.integer) and labels.min() >= 0 and len(np.unique(labels)) >= 2):
        return False
    if images.min() < 0 or images.max() > 1:
        return False
    return not any(
        xs.shape == images.shape and np.allclose(xs, images) and np.array_equal(ys, labels) for xs, ys in known.values()
    )


REHEARSAL_LEVEL, REHEARSAL_SEEDS, SOURCE_TRAINING = 0.85, (0, 1, 2), 800


def _rehearsal_keeps_source(answer: tuple) -> bool:
    """``(store_size, forgetting)``: a store of that many source examples keeps the source accuracy after
    fine-tuning at 0.85 or more on seeds 0, 1 and 2, and a store half its size does not on at
    least one seed: the answer is near the smallest that works, not just any large one."""
    store_size, forgetting = answer
    if not whole_number_in(store_size, 1, SOURCE_TRAINING, "the store size"):
        return False

    def source_after(seed: int, size: int) -> float:
        return forgetting(seed, rehearse=True, store_size=size)["source acc after"]

    return near_smallest(int(store_size), source_after, REHEARSAL_SEEDS, REHEARSAL_LEVEL, "source accuracy, store of")


register(
    "05.frozen_gain",
    "Write frozen_gain(body, seed): the frozen-transfer gain of a trained source body on that seed's 30 labels.",
    _measures_frozen_gain,
    (
        "frozen transfer: the body stays as it is and only a classifier on its features learns the 30 labels; "
        "the gain subtracts the scratch model's accuracy on the same seed.",
        "few_labels(seed) gives the 30 labels, features(body, X) the body's features, LogisticRegression the "
        "classifier, and scratch_acc[seed] the score without transfer.",
        "X_few, y_few = few_labels(seed); probe = LogisticRegression(max_iter=2000).fit(features(body, X_few), "
        "y_few); return probe.score(features(body, X_test), y_test) - scratch_acc[seed]",
    ),
    skill="measure transfer gain",
)
register(
    "05.own_source",
    "Build my_source = (images, labels): a new source task of your own on the 1,000 source images.",
    _valid_new_source,
    (
        "change something about the source images or their labels, as the seven sources do, and keep one "
        "row of 64 pixel values in [0, 1] per image with an integer label.",
        "numpy does the changes: np.roll shifts pixels, slicing flips them, y_src % 3 or y_src < 5 makes "
        "new labels; images of shape (n, 8, 8) go back to (n, 64) with .reshape(-1, 64).",
        "my_source = (np.roll(X_src.reshape(-1, 8, 8), 1, axis=2).reshape(-1, 64), y_src)",
    ),
    skill="design a source task",
)
register(
    "05.rehearsal",
    f"Choose my_store: the smallest number of rehearsed source examples (to within a factor of 2) that keeps the "
    f"source accuracy at {REHEARSAL_LEVEL} or more on seeds {', '.join(map(str, REHEARSAL_SEEDS))}.",
    _rehearsal_keeps_source,
    (
        "more stored examples protect the source skill better but cost memory; find how few are enough.",
        "forgetting(seed, rehearse=True, store_size=n)['source acc after'] measures one choice on one seed: "
        "double the size from 1 until all three seeds hold.",
        "n = 1; while min(forgetting(s, rehearse=True, store_size=n)['source acc after'] for s in (0, 1, 2)) "
        "< 0.85: n *= 2",
    ),
    kind="decision",
    skill="how much rehearsal is enough",
)
