"""Probe behind notebook 03's section 5: fine-tune only the top layers of all-MiniLM-L6-v2 on cached
token vectors, for a few learning rates and seeds, and score on held-out *training-pool* sentences.

The learning rate for the notebook is chosen on those held-out sentences (800, balanced, none of
them in any seed's 1,000-sentence subset), never on the dev split the notebook reports. Dev
accuracy is printed too, for the record. Usage (offline, as the notebooks run):

    python benchmarks/finetune_top_probe.py --top 2 --lrs 1e-4,2e-4,3e-4 --seeds 0,1,2
    python benchmarks/finetune_top_probe.py --top 2 --recipe ulmfit --lrs 3e-4,6e-4,1e-3 --seeds 0,1,2

``--recipe ulmfit`` runs section 6's refinements instead (discriminative rates from the given top rate,
times 0.8 per tier going down; one more tier unfrozen every 1/tiers of the steps), so that their top rate
is chosen the same way as plain fine-tuning's.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup
from transformers.trainer_pt_utils import LengthGroupedSampler
from transformers.utils import logging as hf_logging

from course_utils.data import balanced_sample, load_sst2
from course_utils.models import text_model_path
from course_utils.threads import use_usable_cpus
from course_utils.train import release_memory, seed_everything

EPOCHS, BATCH, PER_CLASS = 2, 16, 500  # as in the notebook
DECAY = 0.8  # notebook 03's discriminative factor per tier


class CachedBottom(nn.Module):
    """Stands in for the embeddings and the frozen lower layers: hands on the cached vectors."""

    def forward(self, inputs_embeds=None, **unused):
        return inputs_embeds


def collate(rows):
    states, labels = zip(*rows, strict=True)
    return {
        "inputs_embeds": pad_sequence(states, batch_first=True),
        "attention_mask": pad_sequence([torch.ones(len(s), dtype=torch.long) for s in states], batch_first=True),
        "labels": torch.tensor(labels),
    }


def cache(encoder, tokenizer, sentences: list[str], layers: list[int], batch_size: int = 64) -> dict[int, list]:
    """Per sentence, its token vectors after each of ``layers`` layers (padding dropped)."""
    order = np.argsort([len(s) for s in sentences])
    out: dict[int, list] = {k: [None] * len(sentences) for k in layers}
    with torch.inference_mode():
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            batch = tokenizer([sentences[j] for j in idx], padding=True, truncation=True, return_tensors="pt")
            hidden = encoder(**batch, output_hidden_states=True).hidden_states
            n = batch["attention_mask"].sum(1)
            for k in layers:
                for row, j in enumerate(idx):
                    out[k][j] = hidden[k][row, : n[row]].clone()
    return out


def accuracy(model, states: list, labels: list[int]) -> float:
    model.eval()
    order = np.argsort([len(s) for s in states])
    pred = torch.empty(len(states), dtype=torch.long)
    with torch.inference_mode():
        for i in range(0, len(order), 64):
            idx = order[i : i + 64]
            batch = collate([(states[j], 0) for j in idx])
            batch.pop("labels")
            pred[idx] = model(**batch).logits.argmax(-1)
    return float((pred.numpy() == np.asarray(labels)).mean())


def tiers(model) -> list[list[nn.Parameter]]:
    """Parameter tiers, top first: head with pooler, then each trained layer going down (notebook 03's)."""
    base = model.base_model
    return [[*model.classifier.parameters(), *base.pooler.parameters()]] + [
        list(layer.parameters()) for layer in reversed(base.encoder.layer)
    ]


def cut_classifier(path, at: int):
    """A fresh 2-class MiniLM whose embeddings and layers below ``at`` are replaced by the cached vectors."""
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    model.base_model.encoder.layer = model.base_model.encoder.layer[at:]
    model.base_model.embeddings = CachedBottom()
    return model


def train(model, optimizer, rows: list, seed: int, epochs: int = EPOCHS, batch: int = BATCH, before_step=None) -> float:
    """Notebook 03's loop: ``epochs`` passes over ``rows`` (cached states, label) in length-grouped batches,
    warmup over the first 10% of the steps then linear decay; ``before_step(step, total)`` runs before
    each step. Returns the seconds it took."""
    g = seed_everything(seed)
    sampler = LengthGroupedSampler(batch, lengths=[len(x) for x, _ in rows], generator=g)
    loader = DataLoader(rows, batch_size=batch, sampler=sampler, collate_fn=collate)
    total = epochs * len(loader)
    scheduler = get_linear_schedule_with_warmup(optimizer, total // 10, total)
    start, step = time.perf_counter(), 0
    model.train()
    for _ in range(epochs):
        for inputs in loader:
            if before_step is not None:
                before_step(step, total)
            step += 1
            loss = model(**inputs).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", default="2", help="comma-separated numbers of top layers to fine-tune")
    parser.add_argument("--lrs", default="1e-4,2e-4,3e-4")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--recipe", choices=("plain", "ulmfit"), default="plain")
    args = parser.parse_args()
    tops = [int(x) for x in args.top.split(",")]
    lrs = [float(x) for x in args.lrs.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]

    hf_logging.set_verbosity_error()
    use_usable_cpus()
    path = text_model_path("all-MiniLM-L6-v2")
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path).eval()
    n_layers = encoder.config.num_hidden_layers
    train_df, dev_df = load_sst2("train", min_words=5), load_sst2("dev")
    subsets = {s: balanced_sample(train_df, PER_CLASS, seed=s) for s in seeds}
    used = set().union(*(set(df.sentence) for df in subsets.values()))
    val_df = balanced_sample(train_df[~train_df.sentence.isin(used)], 400, seed=99)
    layers = sorted({n_layers - t for t in tops})
    start = time.perf_counter()
    cached = {"dev": cache(encoder, tokenizer, dev_df.sentence.tolist(), layers)}
    cached["val"] = cache(encoder, tokenizer, val_df.sentence.tolist(), layers)
    for s, df in subsets.items():
        cached[s] = cache(encoder, tokenizer, df.sentence.tolist(), layers)
    print(f"cache pass {time.perf_counter() - start:.0f} s", flush=True)
    del encoder
    release_memory()

    for top in tops:
        at = n_layers - top
        for lr in lrs:
            for s in seeds:
                seed_everything(s)
                model = cut_classifier(path, at)
                rows = list(zip(cached[s][at], subsets[s].label.tolist(), strict=True))
                groups = tiers(model)
                before_step = None
                if args.recipe == "ulmfit":
                    rates = [{"params": g, "lr": lr * DECAY**depth} for depth, g in enumerate(groups)]
                    optimizer = torch.optim.AdamW(rates, weight_decay=0.01)

                    def before_step(step, total, groups=groups):  # gradual unfreezing: 1 + step * tiers // total
                        k = 1 + step * len(groups) // total
                        for depth, g in enumerate(groups):
                            for p in g:
                                p.requires_grad_(depth < k)
                else:
                    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
                seconds = train(model, optimizer, rows, s, before_step=before_step)
                row = {
                    "recipe": args.recipe,
                    "top": top,
                    "lr": lr,
                    "seed": s,
                    "held_out_train": round(accuracy(model, cached["val"][at], val_df.label.tolist()), 3),
                    "dev": round(accuracy(model, cached["dev"][at], dev_df.label.tolist()), 3),
                    "train_s": round(seconds, 1),
                }
                print(json.dumps(row), flush=True)
                del model, optimizer
                release_memory()


if __name__ == "__main__":
    main()
