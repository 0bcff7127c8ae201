"""How far unsupervised domain adaptation gets on two real shifts, on this CPU.

Measured before notebook 06 is written, so that its lesson, its methods and its time budget
come from numbers, not hopes. Two shifts, real data on both sides:

- **Digits**: 5,000 MNIST digits (source, labelled) -> scikit-learn's 1,797 UCI digits
  (target: 8 x 8 images, counts of ink pixels in 4 x 4 blocks of a 32 x 32 bitmap, 0-16).
- **Sentiment**: SST-2 movie-review sentences (source, labelled) -> CrowdFlower's airline tweets
  (target), both as frozen all-MiniLM-L6-v2 sentence embeddings.

Protocol, per seed: the target is split in half, stratified. The first half is the unlabelled
target data the adaptation methods may look at; the second half is the test set, whose labels
only score. "Target-trained" (the ceiling) trains on the first half *with* its labels. Every
hyper-parameter is a fixed default from the method's paper or chosen on source data; none is
tuned on target labels.

Usage: ``python benchmarks/domain_shift_probe.py [--seeds 0 1 2] [--parts digits text]``;
writes ``benchmarks/domain_shift_probe.md``.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from course_utils.data import load_mnist_5k, load_sst2, load_tweets

OUT = Path(__file__).with_suffix(".md")


# ----------------------------------------------------------------------------- preprocessing


def naive_8x8(images: np.ndarray) -> np.ndarray:
    """MNIST shrunk to 8 x 8 as is: the digit keeps MNIST's border, scaled to 0-16."""
    return np.stack([np.asarray(Image.fromarray(img).resize((8, 8), Image.BILINEAR)) for img in images]) / 255 * 16


def uci_like_8x8(images: np.ndarray) -> np.ndarray:
    """MNIST made the way the UCI digits were: crop to the ink, scale into 32 x 32, threshold,
    count ink pixels per 4 x 4 block (0-16)."""
    out = []
    for img in images:
        rows, cols = np.nonzero(img > 0)
        crop = img[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        big = np.asarray(Image.fromarray(crop).resize((32, 32), Image.BILINEAR)) > 127
        out.append(big.reshape(8, 4, 8, 4).sum(axis=(1, 3)))
    return np.stack(out).astype(float)


# ----------------------------------------------------------------------------- methods


def coral(source: np.ndarray, target: np.ndarray, eps: float = 1.0) -> np.ndarray:
    """CORAL (Sun, Feng & Saenko, 2016): whiten the source features, re-colour them with the
    target's covariance. ``eps`` is the paper's regulariser (an identity added to both)."""

    def power(cov: np.ndarray, p: float) -> np.ndarray:
        vals, vecs = np.linalg.eigh(cov)
        return vecs @ np.diag(np.clip(vals, 1e-12, None) ** p) @ vecs.T

    cs = np.cov(source, rowvar=False) + eps * np.eye(source.shape[1])
    ct = np.cov(target, rowvar=False) + eps * np.eye(target.shape[1])
    return (source - source.mean(0)) @ power(cs, -0.5) @ power(ct, 0.5) + target.mean(0)


def logreg(xs: np.ndarray, ys: np.ndarray, xt_test: np.ndarray, yt_test: np.ndarray) -> float:
    return LogisticRegression(max_iter=3000).fit(xs, ys).score(xt_test, yt_test)


class GradReverse(torch.autograd.Function):
    """Identity forwards; multiplies the gradient by -lambda backwards (Ganin et al., 2016)."""

    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


def coral_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Deep CORAL (Sun & Saenko, 2016): squared Frobenius distance of the two covariances / 4d^2."""
    d = a.shape[1]
    ca, cb = torch.cov(a.T), torch.cov(b.T)
    return ((ca - cb) ** 2).sum() / (4 * d * d)


def train_mlp(xs, ys, xt_unlabelled, seed, mode="source", epochs=30, hidden=128, weight=1.0):
    """A one-hidden-layer MLP on the source; ``mode`` adds a Deep CORAL or a DANN term on the
    unlabelled target batch. Returns a predict function."""
    torch.manual_seed(seed)
    n_classes = int(ys.max()) + 1
    body = nn.Sequential(nn.Linear(xs.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
    head = nn.Linear(hidden, n_classes)
    critic = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    params = [*body.parameters(), *head.parameters(), *(critic.parameters() if mode == "dann" else [])]
    opt = torch.optim.Adam(params, lr=1e-3)
    xs_t, ys_t = torch.tensor(xs, dtype=torch.float32), torch.tensor(ys)
    xt_t = torch.tensor(xt_unlabelled, dtype=torch.float32)
    g = torch.Generator().manual_seed(seed)
    steps = epochs * (len(xs) // 64)
    for step in range(steps):
        i = torch.randint(len(xs), (64,), generator=g)
        j = torch.randint(len(xt_t), (64,), generator=g)
        fs, ft = body(xs_t[i]), body(xt_t[j])
        loss = nn.functional.cross_entropy(head(fs), ys_t[i])
        if mode == "coral":
            loss = loss + weight * coral_loss(fs, ft)
        elif mode == "dann":
            p = step / steps
            lam = 2 / (1 + np.exp(-10 * p)) - 1  # the paper's schedule: 0 at the start, 1 at the end
            domain = critic(GradReverse.apply(torch.cat([fs, ft]), lam))
            loss = loss + nn.functional.cross_entropy(domain, torch.cat([torch.zeros(64), torch.ones(64)]).long())
        opt.zero_grad()
        loss.backward()
        opt.step()

    def predict(x):
        with torch.no_grad():
            return head(body(torch.tensor(x, dtype=torch.float32))).argmax(1).numpy()

    return predict


# ----------------------------------------------------------------------------- experiments


def run_pair(name, xs, ys, xt, yt, seed, rows):
    """Every method on one source/target pair and seed; appends one row per method to ``rows``."""
    xt_a, xt_test, yt_a, yt_test = train_test_split(xt, yt, test_size=0.5, stratify=yt, random_state=seed)

    def add(method, acc, start):
        rows.append({"pair": name, "method": method, "seed": seed, "acc": acc, "s": time.perf_counter() - start})

    t = time.perf_counter()
    add("source only, logistic regression", logreg(xs, ys, xt_test, yt_test), t)
    t = time.perf_counter()
    s_sc, t_sc = StandardScaler().fit(xs), StandardScaler().fit(xt_a)  # each domain its own statistics
    zs, za, ztest = s_sc.transform(xs), t_sc.transform(xt_a), t_sc.transform(xt_test)
    add("per-domain standardisation + LR", logreg(zs, ys, ztest, yt_test), t)
    t = time.perf_counter()
    add("CORAL + LR", logreg(coral(zs, za), ys, ztest, yt_test), t)
    for mode, label in (("source", "MLP, source only"), ("coral", "MLP + Deep CORAL"), ("dann", "MLP + DANN")):
        t = time.perf_counter()
        predict = train_mlp(zs, ys, za, seed, mode=mode)
        add(label, float((predict(ztest) == yt_test).mean()), t)
    t = time.perf_counter()
    add("target-trained LR (labels: the ceiling)", logreg(za, yt_a, ztest, yt_test), t)


def digits(seeds, rows):
    images, ys = load_mnist_5k()
    uci = load_digits()
    xt, yt = uci.data, uci.target
    for seed in seeds:
        for name, prep in (("MNIST (shrunk as is) -> UCI", naive_8x8), ("MNIST (made UCI-like) -> UCI", uci_like_8x8)):
            xs = prep(images).reshape(len(images), -1)
            run_pair(name, xs, ys, xt, yt, seed, rows)
            print(rows[-1], flush=True)


def text(seeds, rows, n_source=3000):
    from sentence_transformers import SentenceTransformer

    from course_utils.models import text_model_path

    sst = load_sst2("train", whole_sentences=True)
    tweets = load_tweets()
    encoder = SentenceTransformer(text_model_path("all-MiniLM-L6-v2"))
    for seed in seeds:
        src = sst.sample(n_source, random_state=seed)
        tgt = tweets.sample(3000, random_state=seed)
        start = time.perf_counter()
        xs = encoder.encode(src.sentence.tolist(), batch_size=64)
        xt = encoder.encode(tgt.text.tolist(), batch_size=64)
        print(f"encoded {len(xs) + len(xt)} sentences in {time.perf_counter() - start:.0f} s", flush=True)
        run_pair("SST-2 -> airline tweets", xs, src.label.values, xt, tgt.label.values, seed, rows)
        print(rows[-1], flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--parts", nargs="+", default=["digits", "text"], choices=["digits", "text"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows: list[dict] = []
    if "digits" in args.parts:
        digits(args.seeds, rows)
    if "text" in args.parts:
        text(args.seeds, rows)
    df = pd.DataFrame(rows)
    table = df.pivot_table(index=["pair", "method"], columns="seed", values="acc", sort=False)
    table["mean"] = table.mean(axis=1)
    seconds = df.groupby(["pair", "method"], sort=False)["s"].mean().rename("s per seed")
    report = table.join(seconds).round(3)
    head = (
        "# Domain-shift probe: how far adaptation gets on two real shifts\n\n"
        f"Measured {time.strftime('%Y-%m-%d')} by `benchmarks/domain_shift_probe.py` "
        f"on {platform.machine()}, {torch.get_num_threads()} PyTorch thread; accuracy on the held-out half of the "
        "target, seeds as columns.\n\n"
    )
    print(report.to_string())
    lines = [
        "| pair | method | " + " | ".join(map(str, report.columns)) + " |",
        "|---|---|" + "---|" * len(report.columns),
    ]
    lines += [
        f"| {pair} | {method} | " + " | ".join(f"{v:.3f}" for v in row) + " |"
        for (pair, method), row in report.iterrows()
    ]
    OUT.write_text(head + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
