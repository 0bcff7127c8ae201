"""Exercises for notebook 06: domain shift and domain adaptation."""

from __future__ import annotations

from ..checks import close_to, register, whole_number_in

register(
    "06.proxy_a",
    "A domain classifier tells source from target with accuracy 0.9. What is the proxy A-distance?",
    close_to(1.6, abs_=1e-6),
    (
        "the proxy A-distance is computed from the classifier's error, not its accuracy.",
        "error = 1 - accuracy; proxy A-distance = 2 * (1 - 2 * error).",
    ),
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
)

LABELS_CAP, LABELS_GAIN, LABELS_SEEDS = 50, 0.02, (0, 1, 2)


def _labels_beat_source(answer: tuple) -> bool:
    """``(n, label_gain)``: ``n`` labelled tweets (at most LABELS_CAP) added to the reviews gain LABELS_GAIN
    or more over source only on each of LABELS_SEEDS, as ``label_gain(seed, n)`` measures it."""
    n, label_gain = answer
    if not whole_number_in(n, 1, LABELS_CAP, "the number of labelled tweets"):
        return False
    gains = [label_gain(seed, int(n)) for seed in LABELS_SEEDS]
    print(f"gain of {n} labelled tweets over source only: " + ", ".join(f"{g:+.3f}" for g in gains))
    return min(gains) >= LABELS_GAIN


register(
    "06.labels",
    f"Choose my_labels: at most {LABELS_CAP} labelled tweets whose gain over source only is "
    f"{LABELS_GAIN:.2f} or more on seeds {', '.join(map(str, LABELS_SEEDS))}.",
    _labels_beat_source,
    (
        "fewer labels cost less to collect; find how few are enough, on all three seeds.",
        "label_gain(seed, n) measures one choice on one seed: try a few sizes on the three seeds.",
        "for n in (10, 20, 30): print(n, [round(label_gain(s, n), 3) for s in (0, 1, 2)])",
    ),
)
