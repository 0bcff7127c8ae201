"""torch.compile on notebook 07's classifier: how long compiling takes, and what it buys afterwards.

Compilation takes longer than notebook 07's whole budget, so the notebook cites this measurement
instead of running it. Writes benchmarks/deployment.md (run: `make bench-compile`).

The model is notebook 07's: all-MiniLM-L6-v2, mean pooling scaled to length 1, a linear head (here
with random weights: time does not depend on their values). Timed on a fixed batch of 32 SST-2 dev
sentences and on one sentence, with course_utils.inference_speed.measure, eager first, then compiled.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoModel, AutoTokenizer

from course_utils.data import load_sst2
from course_utils.inference_speed import cpu_features, cpu_name, measure
from course_utils.models import text_model_path
from course_utils.threads import use_usable_cpus

REPO = Path(__file__).resolve().parents[1]


class Classifier(nn.Module):
    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.hidden_size, 2)

    def forward(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return self.head(F.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "deployment.md")
    args = parser.parse_args()
    threads = use_usable_cpus()
    path = text_model_path("all-MiniLM-L6-v2")
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = Classifier(AutoModel.from_pretrained(path)).eval()
    sentences = load_sst2("dev").sentence.tolist()
    batches = {
        32: tokenizer(sentences[:32], padding=True, truncation=True, max_length=128, return_tensors="pt"),
        1: tokenizer(sentences[:1], return_tensors="pt"),
    }

    def runner(module):
        @torch.inference_mode()
        def run(batch):
            return module(batch["input_ids"], batch["attention_mask"])

        return run

    eager = {n: measure(runner(model), b, n, threads=threads) for n, b in batches.items()}
    compiled_model = torch.compile(model)
    start = time.perf_counter()
    runner(compiled_model)(batches[32])
    first_32 = time.perf_counter() - start
    start = time.perf_counter()
    runner(compiled_model)(batches[1])  # a new shape: compiles again (with dynamic shapes this time)
    first_1 = time.perf_counter() - start
    compiled = {n: measure(runner(compiled_model), b, n, threads=threads) for n, b in batches.items()}
    flags = ", ".join(name for name, present in cpu_features().items() if present) or "none found"
    lines = [
        "# torch.compile on notebook 07's classifier",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} by `benchmarks/compile_probe.py` on {cpu_name()} ({flags}), "
        f"{threads} threads; Python {platform.python_version()}, torch {torch.__version__}.",
        "",
        "| | batch 32 | batch 1 |",
        "|---|---|---|",
        f"| first call (compiles) | {first_32:.1f} s | {first_1:.1f} s |",
        f"| eager, median | {eager[32].latency_ms:.1f} ms | {eager[1].latency_ms:.2f} ms |",
        f"| compiled, median | {compiled[32].latency_ms:.1f} ms | {compiled[1].latency_ms:.2f} ms |",
        f"| speed-up | {eager[32].median_s / compiled[32].median_s:.2f}x "
        f"| {eager[1].median_s / compiled[1].median_s:.2f}x |",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
