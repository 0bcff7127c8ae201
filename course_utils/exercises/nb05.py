"""Exercises for notebook 05: negative transfer and forgetting."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import close_to, one_of, register, whole_number_in

register(
    "05.gain",
    "Transfer gives 0.71 on the target, training from scratch gives 0.78. What is the transfer gain?",
    close_to(-0.07, abs_=1e-6),
    (
        "the gain compares the score with transfer to the score without it.",
        "gain = score with transfer - score without; a negative number means negative transfer.",
    ),
)
register(
    "05.sign",
    "A new source scores 0.85 on the similarity measure. Positive or negative transfer gain?",
    one_of("positive", "+"),
    (
        "section 3 found that the similarity score ranks the sources as their gains do.",
        "look at the gains of the sources whose similarity score is above 0.75 in section 3's table.",
    ),
)
register(
    "05.lower_lr",
    "For the negative sources, did a 10x lower fine-tuning learning rate help or hurt?",
    one_of("hurt", "it hurt", "hurts"),
    (
        "a lower learning rate keeps the weights nearer where they started. Is that start good here?",
        "compare the 'fine-tune' and 'fine-tune, lr / 10' columns of the remedies table.",
    ),
)


def _measures_frozen_gain(answer: tuple) -> bool:
    """``(frozen_gain, source_bodies, runs)``: the learner's function reproduces section 2's frozen gain
    for a related and an unrelated source on seed 0 and a related one on seed 1 (to 2 points: a probe's
    settings may differ)."""
    frozen_gain, bodies, runs = answer
    for name, seed in (("digits, other images", 0), ("pixel-shuffled digits", 0), ("digits, other images", 1)):
        expected = runs[(runs.source == name) & (runs.seed == seed)]["gain, frozen"].item()
        measured = float(frozen_gain(bodies[name, seed], seed))
        print(f"{name}, seed {seed}: your frozen_gain {measured:+.3f}, section 2 measured {expected:+.3f}")
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


REHEARSAL_LEVEL, REHEARSAL_CAP, REHEARSAL_SEEDS = 0.85, 25, (0, 1, 2)


def _rehearsal_keeps_source(answer: tuple) -> bool:
    """``(store_size, forgetting)``: a store of at most REHEARSAL_CAP source examples keeps the source
    accuracy after fine-tuning at REHEARSAL_LEVEL or more on each of REHEARSAL_SEEDS."""
    store_size, forgetting = answer
    if not whole_number_in(store_size, 1, REHEARSAL_CAP, "the store size"):
        return False
    runs = [forgetting(seed, rehearse=True, store_size=int(store_size)) for seed in REHEARSAL_SEEDS]
    after = [run["source acc after"] for run in runs]
    print(f"source accuracy after fine-tuning with a store of {store_size}: " + ", ".join(f"{a:.3f}" for a in after))
    return min(after) >= REHEARSAL_LEVEL


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
)
register(
    "05.rehearsal",
    f"Choose my_store: at most {REHEARSAL_CAP} rehearsed source examples that keep the source accuracy at "
    f"{REHEARSAL_LEVEL} or more on seeds {', '.join(map(str, REHEARSAL_SEEDS))}.",
    _rehearsal_keeps_source,
    (
        "more stored examples protect the source skill better but cost memory; find how few are enough.",
        "forgetting(seed, rehearse=True, store_size=n)['source acc after'] measures one choice on one seed: "
        "try a few sizes on the three seeds.",
        "for n in (10, 20): print(n, [forgetting(s, rehearse=True, store_size=n)['source acc after'] "
        "for s in (0, 1, 2)])",
    ),
)
