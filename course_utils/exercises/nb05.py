"""Exercises for notebook 05: negative transfer and forgetting."""

from __future__ import annotations

from ..checks import close_to, one_of, register

register(
    "05.gain",
    "Transfer gives 0.71 on the target, training from scratch gives 0.78. What is the transfer gain?",
    close_to(-0.07, abs_=1e-6),
    "gain = score with transfer - score without; a negative number means negative transfer.",
)
register(
    "05.sign",
    "A new source scores 0.85 on the similarity measure. Positive or negative transfer gain?",
    one_of("positive", "+"),
    "look at the gains of the sources whose similarity score is above 0.75 in section 3's table.",
)
register(
    "05.lower_lr",
    "For the negative sources, did a 10x lower fine-tuning learning rate help or hurt?",
    one_of("hurt", "it hurt", "hurts"),
    "compare the 'fine-tune' and 'fine-tune, lr / 10' columns of the remedies table.",
)
