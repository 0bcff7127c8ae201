"""Exercises for notebook 01: epochs, batches and iterations."""

from __future__ import annotations

from torch.utils.data import DataLoader, RandomSampler

from ..checks import equals, one_of, register


def _drop_last_loader(loader) -> bool:
    return (
        isinstance(loader, DataLoader)
        and loader.batch_size == 16
        and loader.drop_last
        and isinstance(loader.sampler, RandomSampler)
        and len(loader.dataset) == 150
        and len(loader) == 9
    )


register(
    "01.iterations",
    "How many iterations make one epoch over the 1,257-row digits training split at batch size 64?",
    equals(20),
    "an epoch needs enough batches to cover every row once; the last one may be short. Try math.ceil.",
)
register(
    "01.total_steps",
    "How many optimizer steps do 5 epochs over 1,000 samples at batch size 32 with drop_last=True take?",
    equals(155),
    "with drop_last the short batch is skipped: 1000 // 32 iterations per epoch, then times the epochs.",
)
register(
    "01.loader",
    "Build `loader_3`: a shuffling DataLoader over `small_train` with batch size 16 that drops the short batch.",
    _drop_last_loader,
    "DataLoader(small_train, batch_size=16, shuffle=True, drop_last=True): 150 // 16 = 9 iterations.",
)
register(
    "01.noisier",
    "Which gives a noisier estimate of the loss, a 'small' or a 'large' batch?",
    one_of("small", "small batch", "a small batch"),
    "look at the spread of batch losses in section 4: it shrinks like 1/sqrt(batch size).",
)
