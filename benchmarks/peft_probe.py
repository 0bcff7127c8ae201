"""Probe behind notebook 09: fine-tune all-MiniLM-L6-v2's top layers on cached token vectors, either
every weight of them ("top") or LoRA adapters on their attention's query and value ("lora"), for a
grid of learning rates and seeds, and score on held-out *training-pool* sentences.

Each recipe gets the same tuning effort: the same number of rates, the same seeds, the same 800
held-out sentences (balanced, none in any seed's subset); the notebook uses the rate with the highest
mean over the seeds. Dev accuracy is printed for the record only. Usage (offline, as the notebooks run):

    python benchmarks/peft_probe.py --recipe top --lrs 1e-4,2e-4,3e-4,6e-4,1e-3,2e-3,3e-3
    python benchmarks/peft_probe.py --recipe lora --rank 8 --lrs 3e-4,6e-4,1e-3,2e-3,3e-3,6e-3,1e-2
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from finetune_top_probe import accuracy, cache, cut_classifier, train
from peft import LoraConfig, get_peft_model
from transformers import AutoModel, AutoTokenizer
from transformers.utils import logging as hf_logging

from course_utils.data import balanced_sample, load_sst2
from course_utils.models import text_model_path
from course_utils.threads import use_usable_cpus
from course_utils.train import release_memory, seed_everything


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", choices=("top", "lora"), default="lora")
    parser.add_argument("--rank", default="8", help="comma-separated LoRA ranks")
    parser.add_argument("--alpha", type=float, default=16.0, help="LoRA's alpha (scaling alpha / rank)")
    parser.add_argument("--top", type=int, default=2, help="how many top layers train (or carry adapters)")
    parser.add_argument("--lrs", default="3e-4,1e-3,3e-3")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--per-class", type=int, default=250)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    lrs = [float(x) for x in args.lrs.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    ranks = [int(x) for x in args.rank.split(",")] if args.recipe == "lora" else [0]

    hf_logging.set_verbosity_error()
    use_usable_cpus()
    path = text_model_path("all-MiniLM-L6-v2")
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path).eval()
    at = encoder.config.num_hidden_layers - args.top
    train_df, dev_df = load_sst2("train", min_words=5), load_sst2("dev")
    subsets = {s: balanced_sample(train_df, args.per_class, seed=s) for s in seeds}
    # Held out from the largest subsets any seed could draw (500 per class, notebook 03's), so that the
    # same 800 sentences serve every setting.
    used = set().union(*(set(balanced_sample(train_df, 500, seed=s).sentence) for s in (0, 1, 2)))
    val_df = balanced_sample(train_df[~train_df.sentence.isin(used)], 400, seed=99)
    start = time.perf_counter()
    cached = {"dev": cache(encoder, tokenizer, dev_df.sentence.tolist(), [at])[at]}
    cached["val"] = cache(encoder, tokenizer, val_df.sentence.tolist(), [at])[at]
    for s, df in subsets.items():
        cached[s] = cache(encoder, tokenizer, df.sentence.tolist(), [at])[at]
    print(f"cache pass {time.perf_counter() - start:.0f} s", flush=True)
    del encoder
    release_memory()

    for rank in ranks:
        for lr in lrs:
            for s in seeds:
                seed_everything(s)
                model = cut_classifier(path, at)
                if args.recipe == "lora":
                    config = LoraConfig(
                        task_type="SEQ_CLS", r=rank, lora_alpha=args.alpha, lora_dropout=0.1,
                        target_modules=["query", "value"],
                    )  # fmt: skip
                    model = get_peft_model(model, config)
                trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
                rows = list(zip(cached[s], subsets[s].label.tolist(), strict=True))
                optimizer = torch.optim.AdamW(
                    [p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01
                )
                seconds = train(model, optimizer, rows, s, epochs=args.epochs, batch=args.batch)
                row = {
                    "recipe": args.recipe,
                    "rank": rank,
                    "lr": lr,
                    "seed": s,
                    "trainable": trainable,
                    "held_out_train": round(accuracy(model, cached["val"], val_df.label.tolist()), 3),
                    "dev": round(accuracy(model, cached["dev"], dev_df.label.tolist()), 3),
                    "train_s": round(seconds, 1),
                }
                print(json.dumps(row), flush=True)
                del model, optimizer
                release_memory()


if __name__ == "__main__":
    main()
