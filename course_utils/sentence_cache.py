"""A sentence encoder cut in two: a frozen bottom run once and cached, a top that trains on the cache."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from sentence_transformers import SentenceTransformer
from torch import nn


class CachedBottom(nn.Module):
    """Stands in for the embeddings and the frozen layers below the cut: hands on the cached vectors."""

    def forward(self, inputs_embeds=None, **unused):
        return inputs_embeds


def transformer_of(encoder: SentenceTransformer) -> nn.Module:
    """The Hugging Face transformer inside a SentenceTransformer (its first module)."""
    return encoder[0].auto_model


def normalizes(encoder: SentenceTransformer) -> bool:
    """Whether the encoder scales its sentence vectors to length 1 (a ``Normalize`` module)."""
    return any(type(module).__name__ == "Normalize" for module in encoder)


def cache_states(
    encoder: SentenceTransformer, sentences: Sequence[str], cut: int, batch_size: int = 32
) -> tuple[np.ndarray, list[torch.Tensor]]:
    """Run the frozen encoder once: each sentence's vector and its token vectors entering layer ``cut``."""
    model, tokenizer = transformer_of(encoder), encoder.tokenizer
    order = np.argsort([len(s) for s in sentences])  # similar lengths together: little padding
    vectors, states = [None] * len(sentences), [None] * len(sentences)
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(sentences), batch_size):
            rows = order[start : start + batch_size]
            batch = tokenizer([sentences[i] for i in rows], padding=True, truncation=True, return_tensors="pt")
            out = model(**batch, output_hidden_states=True)
            pooled = mean_pool(out.last_hidden_state, batch["attention_mask"])
            if normalizes(encoder):
                pooled = nn.functional.normalize(pooled, dim=1)
            for j, i in enumerate(rows):
                length = int(batch["attention_mask"][j].sum())
                vectors[i] = pooled[j].numpy()
                states[i] = out.hidden_states[cut][j, :length].clone()  # without the padding
    return np.stack(vectors), states


def mean_pool(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The average of each sentence's token vectors, padding left out (SentenceTransformer's mean pooling)."""
    mask = mask.unsqueeze(-1).to(tokens.dtype)
    return (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def top_of(encoder: SentenceTransformer, cut: int) -> nn.Module:
    """A trainable copy of the encoder's layers from ``cut`` up, reading cached token vectors."""
    whole = transformer_of(encoder)
    saved = whole.embeddings, whole.encoder.layer
    whole.embeddings, whole.encoder.layer = CachedBottom(), saved[1][cut:]
    try:
        top = copy.deepcopy(whole)  # copies only the top layers: the bottom is detached for the moment
    finally:
        whole.embeddings, whole.encoder.layer = saved
    return top.train()


def pad(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Cached token vectors of several sentences as one padded batch and its attention mask."""
    batch = nn.utils.rnn.pad_sequence(list(states), batch_first=True)
    mask = torch.zeros(batch.shape[:2], dtype=torch.long)
    for i, s in enumerate(states):
        mask[i, : len(s)] = 1
    return batch, mask


def embed(top: nn.Module, states: Sequence[torch.Tensor], normalize: bool = True) -> torch.Tensor:
    """Sentence vectors from cached token vectors through ``top`` (gradients flow when training)."""
    batch, mask = pad(states)
    pooled = mean_pool(top(inputs_embeds=batch, attention_mask=mask).last_hidden_state, mask)
    return nn.functional.normalize(pooled, dim=1) if normalize else pooled


def embed_all(top: nn.Module, states: Sequence[torch.Tensor], normalize: bool = True, batch_size: int = 64):
    """``embed`` over many sentences without gradients, in length order; one numpy row per sentence."""
    order = np.argsort([len(s) for s in states])
    out = np.empty((len(states), top.config.hidden_size), dtype=np.float32)
    top.eval()
    with torch.inference_mode():
        for start in range(0, len(states), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = embed(top, [states[i] for i in rows], normalize).numpy()
    return out
