"""Notebook 07's IPEX cell and PyTorch's native CPU paths, measured on notebook 07's classifier.

`benchmarks/ipex_bench.py` (`make ipex`) runs this script twice: in the course's environment
(PyTorch 2.14, no IPEX) and in the IPEX one (PyTorch 2.8 with intel-extension-for-pytorch 2.8).
In both it builds notebook 07's classifier the notebook's way (all-MiniLM-L6-v2, mean pooling
scaled to length 1, a logistic-regression head fitted on 1,000 SST-2 training sentences), adds
the eager float32 row, then runs the notebook's IPEX cell (tagged ``ipex``) unchanged. Where
IPEX is importable that cell adds its rows; where it is not, this script adds what replaced it
in PyTorch: ``torch.compile`` with ``freezing=True`` and, on a CPU with bfloat16 instructions,
``torch.autocast``. Every row: accuracy and agreement with eager float32 on the 872 SST-2 dev
sentences, latency at batch 1, throughput at batch 32, with ``inference_speed.measure``.
Writes the rows and the environment as JSON.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np
import torch
import torch._inductor.config
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from torch import nn
from transformers import AutoModel, AutoTokenizer

from course_utils.data import balanced_sample, load_sst2
from course_utils.inference_speed import cpu_features, cpu_name, measure, size_mb
from course_utils.models import text_model_path
from course_utils.threads import use_usable_cpus
from course_utils.train import seed_everything

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "07_cpu_deployment.ipynb"
SEED = 0


def ipex_cell(notebook: Path = NOTEBOOK) -> str:
    """The source of the notebook's one code cell tagged ``ipex``."""
    cells = [
        c.source
        for c in nbformat.read(notebook, as_version=4).cells
        if c.cell_type == "code" and "ipex" in c.metadata.get("tags", [])
    ]
    if len(cells) != 1:
        raise SystemExit(f"{notebook.name}: expected one code cell tagged 'ipex', found {len(cells)}")
    return cells[0]


class SentimentClassifier(nn.Module):
    """Notebook 07's deployed model: encoder, normalised mean pooling, a two-logit linear head."""

    def __init__(self, encoder: nn.Module, probe: LogisticRegression):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(probe.coef_.shape[1], 2)
        w, b = torch.tensor(probe.coef_[0], dtype=torch.float32), float(probe.intercept_[0])
        with torch.no_grad():
            self.head.weight.copy_(torch.stack([-w / 2, w / 2]))
            self.head.bias.copy_(torch.tensor([-b / 2, b / 2]))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(pool(hidden, attention_mask))


def pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    return F.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1), dim=1)


def torch_runner(module: Callable) -> Callable:
    @torch.inference_mode()
    def run(batch):
        return module(batch["input_ids"], batch["attention_mask"]).float().numpy()

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the rows")
    parser.add_argument("--skip-native", action="store_true", help="only eager float32 and the notebook's cell")
    args = parser.parse_args()
    threads = use_usable_cpus()
    seed_everything(SEED)
    path = text_model_path("all-MiniLM-L6-v2")
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path).eval()

    def batches_of(sentences: list[str], size: int = 64):
        order = np.argsort([len(s) for s in sentences], kind="stable")
        return order, [
            tokenizer([sentences[i] for i in order[k : k + size]], padding=True, truncation=True,
                      max_length=128, return_tensors="pt")
            for k in range(0, len(sentences), size)
        ]  # fmt: skip

    train = balanced_sample(load_sst2("train", whole_sentences=True), 500, seed=SEED)
    order, train_batches = batches_of(train.sentence.tolist())
    with torch.inference_mode():
        vectors = torch.cat([pool(encoder(**b).last_hidden_state, b["attention_mask"]) for b in train_batches])
    X_train = vectors[torch.as_tensor(np.argsort(order))].numpy()
    model = SentimentClassifier(encoder, LogisticRegression(max_iter=2000).fit(X_train, train.label)).eval()

    dev = load_sst2("dev")
    y_dev = dev.label.values
    dev_order, dev_batches = batches_of(dev.sentence.tolist())
    batch_32 = tokenizer(dev.sentence.tolist()[:32], padding=True, truncation=True, max_length=128,
                         return_tensors="pt")  # fmt: skip
    batch_1 = tokenizer(dev.sentence.tolist()[:1], return_tensors="pt")

    def predict_dev(run):
        predictions = np.concatenate([np.asarray(run(b)).argmax(1) for b in dev_batches])
        return predictions[np.argsort(dev_order)]

    rows: dict[str, dict] = {}
    reference: dict[str, np.ndarray] = {}

    def add_row(name, run, size, predictions=None):
        # The notebook's add_row: the same columns, measured the same way.
        start = time.perf_counter()
        predictions = predict_dev(run) if predictions is None else predictions
        first_pass_s = time.perf_counter() - start
        reference.setdefault("fp32", predictions)
        one = measure(run, batch_1, 1, repeats=15, threads=threads)
        many = measure(run, batch_32, 32, warmup=1, repeats=5, threads=threads)
        rows[name] = {
            "accuracy": float((predictions == y_dev).mean()),
            "agreement with float32": float((predictions == reference["fp32"]).mean()),
            "size (MB)": size,
            "latency (ms, batch 1)": one.latency_ms,
            "throughput (sentences/s, batch 32)": many.throughput,
            "spread": max(one.spread, many.spread),
            "dev pass (s)": first_pass_s,
        }
        print(f"{name}: " + ", ".join(f"{k} {v:.3g}" for k, v in rows[name].items()), flush=True)

    add_row("float32 (eager)", torch_runner(model), size_mb(model))
    namespace = {
        "copy": copy, "torch": torch, "model": model, "batch_32": batch_32, "batch_1": batch_1,
        "add_row": add_row, "torch_runner": torch_runner, "size_mb": size_mb, "rows": rows,
    }  # fmt: skip
    exec(compile(ipex_cell(), f"{NOTEBOOK.name}[ipex]", "exec"), namespace)
    ipex_version = getattr(namespace.get("ipex"), "__version__", None)

    bf16_hardware = cpu_features()["avx512_bf16"] or cpu_features()["amx"]
    if ipex_version is not None and bf16_hardware and not args.skip_native:
        ipex = namespace["ipex"]
        bf16_model = ipex.optimize(copy.deepcopy(model).eval(), dtype=torch.bfloat16)

        def ipex_bf16_runner(batch):
            with torch.autocast("cpu", dtype=torch.bfloat16), torch.inference_mode():
                return bf16_model(batch["input_ids"], batch["attention_mask"]).float().numpy()

        add_row("IPEX optimize (bfloat16)", ipex_bf16_runner, size_mb(model))
    if ipex_version is None and not args.skip_native:
        # What replaced IPEX: inductor's freezing folds the weights into the graph and prepacks them
        # for oneDNN, as ipex.optimize did. The first calls compile; the dev pass includes them.
        torch._inductor.config.freezing = True
        compiled = torch.compile(model)
        add_row("torch.compile, freezing (inductor, float32)", torch_runner(compiled), size_mb(model))
        if bf16_hardware:

            def autocast_runner(batch):
                with torch.autocast("cpu", dtype=torch.bfloat16), torch.inference_mode():
                    return model(batch["input_ids"], batch["attention_mask"]).float().numpy()

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                add_row("bfloat16 autocast (eager)", autocast_runner, size_mb(model))

    result = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": cpu_name(),
        "cpu_features": cpu_features(),
        "threads": threads,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "ipex": ipex_version,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
