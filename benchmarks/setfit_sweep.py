"""What SetFit with all-MiniLM-L6-v2 reaches on SST-2 on this CPU: pool x pair budget x shots x seeds.

Notebook 04 can afford only a few SetFit runs; this sweep finds the setting it should use, and
the ceiling of the encoder, by measuring. For each combination it trains SetFit
exactly as the notebook does (``setfit.Trainer``, CosineSimilarityLoss, logistic-regression
head) and scores all 872 SST-2 dev sentences. Beside it, on the same shots: the frozen encoder
plus logistic regression (no contrastive step) and zero-shot with label descriptions.

Pools (where the few shots are drawn from):
- ``phrases5``: SST-2 train rows of at least five words. Most are phrases of the parse trees.
- ``sentences``: the training rows no longer row contains, i.e. the whole review sentences,
  like the dev split (``load_sst2("train", whole_sentences=True)``).

Usage: ``python benchmarks/setfit_sweep.py [--pools ...] [--shots 8 16] [--seeds 0 1 2 3 4]
[--steps 10 20 40] [--lr 2e-5]``. Finished runs are kept in ``benchmarks/setfit_sweep.csv``
and skipped when the sweep is run again; the summary goes to ``benchmarks/setfit_sweep.md``.
``make sweep-setfit`` runs the full grid (about an hour on 2 cores).
"""

from __future__ import annotations

import argparse
import itertools
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from datasets import Dataset, disable_progress_bars
from sentence_transformers import SentenceTransformer
from setfit import SetFitModel, Trainer, TrainingArguments
from setfit import logging as setfit_logging
from setfit.losses import SupConLoss
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from transformers.trainer_callback import PrinterCallback
from transformers.utils import logging as hf_logging

from course_utils.data import SST2_LABELS, balanced_sample, load_sst2
from course_utils.models import text_model_path

HERE = Path(__file__).resolve().parent
CSV, REPORT = HERE / "setfit_sweep.csv", HERE / "setfit_sweep.md"
PAIR_BATCH = 16
# Written before looking at any result; the same as notebook 04's.
DESCRIPTIONS = {
    "negative": ["a negative movie review", "this movie is bad"],
    "positive": ["a positive movie review", "this movie is good"],
}


def pools() -> dict[str, pd.DataFrame]:
    return {
        "phrases5": load_sst2("train", min_words=5),
        "sentences": load_sst2("train", whole_sentences=True),
    }


LOSSES = {
    # The paper's: batches of 16 pairs, each pair's cosine similarity pulled towards 1 or 0.
    "cosine": {},
    # Supervised contrastive: batches of 16 sentences grouped by label, every pair in the batch
    # compared; a step encodes 16 sentences instead of 32, and compares 120 pairs instead of 16.
    "supcon": {"loss": SupConLoss},
}


def setfit_accuracy(
    model_path: str, df: pd.DataFrame, dev: pd.DataFrame, seed: int, steps: int, lr: float, loss: str, workdir: str
) -> tuple[float, float, float]:
    """Train SetFit on ``df`` for ``steps`` steps of 16; return (dev accuracy, train s, predict s)."""
    model = SetFitModel.from_pretrained(model_path)
    args = TrainingArguments(
        output_dir=workdir,
        batch_size=PAIR_BATCH,
        max_steps=steps,
        body_learning_rate=lr,
        seed=seed,
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        show_progress_bar=False,
        **LOSSES[loss],
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_pandas(df),
        metric=lambda y_pred, y_true: {"accuracy": accuracy_score(y_true, y_pred)},
        column_mapping={"sentence": "text", "label": "label"},
    )
    trainer.remove_callback(PrinterCallback)
    start = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    acc = accuracy_score(dev.label.values, model.predict(dev.sentence.tolist(), batch_size=64))
    return acc, train_s, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", nargs="+", default=["phrases5", "sentences"])
    parser.add_argument("--shots", nargs="+", type=int, default=[8, 16])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    # No steps at all (--steps with nothing after it): only the frozen encoder, e.g. with
    # --shots 1000 for the encoder's ceiling with many labels.
    parser.add_argument("--steps", nargs="*", type=int, default=[10, 20, 40])
    parser.add_argument("--lr", nargs="+", type=float, default=[2e-5])
    parser.add_argument("--loss", nargs="+", default=["cosine"], choices=sorted(LOSSES))
    parser.add_argument("--threads", type=int, default=2)
    opts = parser.parse_args()

    torch.set_num_threads(opts.threads)
    for quiet in (hf_logging, setfit_logging):
        quiet.set_verbosity_error()
        quiet.disable_progress_bar()
    disable_progress_bars()

    done = pd.read_csv(CSV) if CSV.exists() else pd.DataFrame()
    if len(done) and "loss" not in done:
        done["loss"] = np.where(done.method == "SetFit", "cosine", "")
    key = ["method", "pool", "shots", "seed", "steps", "lr", "loss"]
    seen = set(map(tuple, done[key].fillna("").astype(str).values)) if len(done) else set()
    rows = done.to_dict("records")

    model_path = text_model_path("all-MiniLM-L6-v2")
    dev = load_sst2("dev")
    y_dev = dev.label.values
    encoder = SentenceTransformer(model_path)
    dev_emb = encoder.encode(dev.sentence.tolist(), batch_size=64)
    label_emb = np.stack([encoder.encode(DESCRIPTIONS[name]).mean(0) for name in SST2_LABELS])
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    zero_shot = accuracy_score(y_dev, (unit(dev_emb) @ unit(label_emb).T).argmax(1))

    def record(row: dict) -> None:
        rows.append(row)
        pd.DataFrame(rows).to_csv(CSV, index=False)
        print({k: (f"{v:.3g}" if isinstance(v, float) else v) for k, v in row.items()}, flush=True)

    with tempfile.TemporaryDirectory() as workdir:
        for pool_name, pool in pools().items():
            if pool_name not in opts.pools:
                continue
            for k in opts.shots:
                for seed in opts.seeds:
                    df = balanced_sample(pool, k, seed=seed)
                    base = {"pool": pool_name, "shots": k, "seed": seed}
                    if ("frozen+LR", pool_name, str(k), str(seed), "0", "0.0", "") not in seen:
                        X = encoder.encode(df.sentence.tolist(), batch_size=64)
                        acc = LogisticRegression(max_iter=1000).fit(X, df.label).score(dev_emb, y_dev)
                        frozen = {"method": "frozen+LR", **base, "steps": 0, "lr": 0.0, "loss": ""}
                        record({**frozen, "acc": acc, "train_s": 0.0, "predict_s": 0.0})
                    for steps, lr, loss in itertools.product(opts.steps, opts.lr, opts.loss):
                        if ("SetFit", pool_name, str(k), str(seed), str(steps), str(lr), loss) in seen:
                            continue
                        acc, train_s, predict_s = setfit_accuracy(model_path, df, dev, seed, steps, lr, loss, workdir)
                        setting = {"method": "SetFit", **base, "steps": steps, "lr": lr, "loss": loss}
                        record({**setting, "acc": acc, "train_s": train_s, "predict_s": predict_s})
    write_report(pd.DataFrame(rows), zero_shot)


def markdown_table(table: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table, floats to 3 decimals (pandas' own needs ``tabulate``)."""
    cell = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def write_report(results: pd.DataFrame, zero_shot: float) -> None:
    """Mean, std, min, max over seeds per setting, and time per run, as a Markdown table."""
    # Pairs compared per run: 16 per step for the cosine loss, every in-batch pair for SupCon.
    in_batch = results.shots.clip(upper=PAIR_BATCH // 2) * 2  # sentences per batch
    per_step = np.where(results.loss == "supcon", in_batch * (in_batch - 1) // 2, PAIR_BATCH)
    results = results.assign(pairs=results.steps * per_step)
    table = (
        results.fillna({"loss": ""})
        .groupby(["method", "pool", "shots", "loss", "steps", "pairs", "lr"])
        .agg(
            seeds=("seed", "nunique"),
            mean=("acc", "mean"),
            std=("acc", "std"),
            min=("acc", "min"),
            max=("acc", "max"),
            train_s=("train_s", "mean"),
            predict_s=("predict_s", "mean"),
        )
        .reset_index()
        .sort_values(["shots", "pool", "method", "loss", "pairs", "lr"])
    )
    table["lr"] = table["lr"].map(lambda v: f"{v:g}" if v else "")
    table["std"] = table["std"].fillna(0.0)  # one seed: no spread
    lines = [
        "# SetFit on SST-2 with all-MiniLM-L6-v2: pool x pair budget x shots (`make sweep-setfit`)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}. Accuracy on all 872 SST-2 dev sentences; seeds as listed; "
        "time per run in seconds (train: contrastive step plus head; predict: the 872 dev sentences).",
        "",
        f"Zero-shot with notebook 04's label descriptions (no training, no seed): **{zero_shot:.3f}**.",
        "",
        "Pools: `sentences` = the whole review sentences of SST-2's training split; `phrases5` = every",
        "training row of at least five words (mostly parse-tree phrases). Losses: `cosine` = SetFit's",
        "default CosineSimilarityLoss on batches of 16 pairs (the paper's); `supcon` = SupConLoss on",
        "batches of 16 sentences, every pair in the batch compared. `pairs` = pairs compared in all.",
        "The paper's budget for 8 shots per class (R = 20 same- and 20 different-class pairs per",
        "sentence) is 640 pairs. A frozen+LR row with 1000 shots is the encoder with plenty of labels.",
        "The targets the sweep was set, mean over 5 seeds: 0.78 at 8 shots, 0.80 at 16 shots.",
        "",
        markdown_table(table),
        "",
    ]
    REPORT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
