"""Exercises for notebook 06: domain shift and domain adaptation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..checks import close_to, near_smallest, register, whole_number_in

register(
    "06.proxy_a",
    "A domain classifier tells source from target with accuracy 0.9. What is the proxy A-distance?",
    close_to(1.6, abs_=1e-6),
    (
        "the proxy A-distance is computed from the classifier's error, not its accuracy.",
        "error = 1 - accuracy; proxy A-distance = 2 * (1 - 2 * error).",
    ),
    kind="warm-up",
    skill="read a domain classifier as a distance",
)


def _reverses_gradients(answer: tuple) -> bool:
    """``(reverse_gradient,)``: the identity going forwards and the gradient times ``-lam`` going backwards,
    for two values of ``lam``, and built without ``torch.autograd.Function`` (the notebook already shows
    that way)."""
    import torch

    (reverse_gradient,) = answer
    generator = torch.Generator().manual_seed(0)
    for lam in (0.3, 1.0):
        x = torch.randn(5, 4, generator=generator, requires_grad=True)
        weights = torch.randn(5, 4, generator=generator)
        y = reverse_gradient(x, lam)
        if not isinstance(y, torch.Tensor) or y.shape != x.shape:
            print(f"reverse_gradient(x, {lam}) should return a tensor shaped like x")
            return False
        if isinstance(y.grad_fn, torch.autograd.function.BackwardCFunction):
            print("that is a torch.autograd.Function, as in section 4.2: build it from detach() instead")
            return False
        if not torch.allclose(y, x, atol=1e-6):
            print(f"going forwards, reverse_gradient(x, {lam}) must return x unchanged")
            return False
        (y * weights).sum().backward()
        if x.grad is None or not torch.allclose(x.grad, -lam * weights, atol=1e-5):
            print(f"going backwards, the gradient must be -{lam} times the incoming one")
            return False
    return True


register(
    "06.reverse",
    "Write reverse_gradient(x, lam) with detach() instead of torch.autograd.Function.",
    _reverses_gradients,
    (
        "detach() makes a tensor that has the same value but passes no gradient back: "
        "combine a detached term and an ordinary term.",
        "you need a value of x going forwards and -lam * x's gradient going backwards: add to -lam * x "
        "a detached term that makes the forward value x again.",
        "return x.detach() + lam * (x.detach() - x)",
    ),
    skill="write a gradient reversal layer",
)

LABELS_GAIN, LABELS_SEEDS, LABELS_POOL = 0.02, (0, 1, 2), 50


def _labels_beat_source(answer: tuple) -> bool:
    """``(n, label_gain)``: ``n`` labelled tweets added to the reviews gain 0.02 or more over source only on
    seeds 0, 1 and 2, as ``label_gain(seed, n)`` measures it, and half as many do not on at least one seed:
    the answer is near the smallest number that pays, not just any large one."""
    n, label_gain = answer
    if not whole_number_in(n, 1, LABELS_POOL, "the number of labelled tweets"):
        return False
    return near_smallest(int(n), label_gain, LABELS_SEEDS, LABELS_GAIN, "gain over source only, labels:")


register(
    "06.labels",
    f"Choose my_labels: the smallest number of labelled tweets (to within a factor of 2) whose gain over source only "
    f"is {LABELS_GAIN:.2f} or more on seeds {', '.join(map(str, LABELS_SEEDS))}.",
    _labels_beat_source,
    (
        "fewer labels cost less to collect; find how few are enough, on all three seeds.",
        "label_gain(seed, n) measures one choice on one seed: try sizes in steps, or double from 1.",
        "n = 1; while min(label_gain(s, n) for s in (0, 1, 2)) < 0.02: n *= 2",
    ),
    kind="decision",
    skill="price labels against adaptation",
)


def _adjusts_to_priors(adjust: Callable) -> bool:
    """``adjust(probabilities, source_prior, target_prior)`` on probability tables drawn at check time (2 to 4
    classes): each class's probability times target_prior / source_prior, each row renormalised to sum to 1
    (Saerens et al., 2002, with known priors)."""
    rng = np.random.default_rng()
    for classes in (2, 3, 4):
        probabilities = rng.dirichlet(np.ones(classes), size=20)
        source_prior, target_prior = rng.dirichlet(np.ones(classes)), rng.dirichlet(np.ones(classes))
        expected = probabilities * (target_prior / source_prior)
        expected /= expected.sum(1, keepdims=True)
        given = np.asarray(adjust(probabilities.copy(), source_prior.copy(), target_prior.copy()), dtype=float)
        if given.shape != expected.shape or not np.allclose(given, expected, atol=1e-6):
            print(f"with {classes} classes, your probabilities differ from the corrected ones")
            return False
    return True


register(
    "06.priors",
    "Write adjust_to_priors(probabilities, source_prior, target_prior): a classifier's probabilities moved from "
    "the class proportions it was trained on to the target's.",
    _adjusts_to_priors,
    (
        "Bayes' rule: p(class | x) is proportional to p(x | class) p(class). The features' evidence stays the "
        "same; only the prior changes.",
        "multiply each column by target_prior / source_prior (numpy broadcasts a row over every row), then make "
        "each row sum to 1 again.",
        "adjusted = probabilities * (target_prior / source_prior); return adjusted / adjusted.sum(1, keepdims=True)",
    ),
    skill="correct for label shift",
)
