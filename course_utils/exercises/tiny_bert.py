"""Small BERT classifiers with random weights for the checkers: MiniLM's module names, built in milliseconds."""

from __future__ import annotations

import torch


def tiny_classifier(layers: int = 4, hidden: int = 8, heads: int = 2) -> torch.nn.Module:
    """A ``BertForSequenceClassification`` with ``layers`` layers of width ``hidden`` and fixed random weights."""
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=50,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=2 * hidden,
        num_labels=2,
    )
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return BertForSequenceClassification(config)
