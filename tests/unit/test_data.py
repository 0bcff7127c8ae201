"""SST-2 loading and the seeded, balanced subsets the text notebooks train on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils.data import balanced_sample, load_mnist_5k, load_sst2, load_tweets
from course_utils.errors import AssetUnavailableError, ParameterError


@pytest.fixture
def sst2(monkeypatch, clean_env, mirror):
    monkeypatch.setenv("COURSE_MIRROR", str(mirror))


def test_sst2_splits_have_glue_sizes_and_labels(sst2):
    dev = load_sst2("dev")
    assert len(dev) == 872 and list(dev.columns) == ["sentence", "label"]
    assert dev.label.value_counts().to_dict() == {1: 444, 0: 428}
    assert dev.sentence[0] == "it 's a charming and often affecting journey ."  # no trailing space
    train = load_sst2("train")
    assert len(train) == 67_349
    sentences = load_sst2("train", min_words=5)
    assert 0 < len(sentences) < len(train) and sentences.sentence.str.split().str.len().min() == 5


def test_whole_sentences_are_the_rows_no_longer_row_contains(sst2):
    whole = load_sst2("train", whole_sentences=True)
    assert len(whole) == 6_872  # the sentence-level SST-2 training set has 6,920 (Socher et al., 2013)
    words = whole.sentence.str.split().str.len()
    dev_words = load_sst2("dev").sentence.str.split().str.len()
    assert abs(words.mean() - dev_words.mean()) < 1  # like the dev split, unlike the phrases
    phrases = {"a copy of a copy", "visually striking"}
    assert not phrases & set(whole.sentence)
    train = load_sst2("train")
    assert phrases <= set(train.sentence)  # they are training rows, just not whole sentences


def test_not_contained_matches_whole_words_only():
    from course_utils.data import _not_contained

    rows = ["a fine film .", "a fine film", "fine film", "a fine filmmaker 's debut .", "so so", "a fine"]
    # "a fine film" sits inside "a fine film ."; "a fine" is inside both but also too short
    assert _not_contained(rows) == [True, False, False, True, False, False]


def test_whole_sentences_must_be_a_bool(sst2):
    with pytest.raises(ParameterError, match="whole_sentences"):
        load_sst2("train", whole_sentences="yes")


@pytest.mark.parametrize("split", ["test", "validation", ""])
def test_unknown_split_names_the_choices(split, sst2):
    with pytest.raises(ParameterError, match="'train', 'dev'"):
        load_sst2(split)


def test_missing_sst2_offline_names_the_fix(clean_env):
    with pytest.raises(AssetUnavailableError, match="sst2"):
        load_sst2("dev")


def test_balanced_sample_is_balanced_seeded_and_shuffled():
    df = pd.DataFrame({"sentence": [f"s{i}" for i in range(100)], "label": [i % 3 == 0 for i in range(100)]})
    a = balanced_sample(df, 10, seed=0)
    assert a.label.value_counts().tolist() == [10, 10]
    assert a.equals(balanced_sample(df, 10, seed=0)) and not a.equals(balanced_sample(df, 10, seed=1))
    assert a.label.tolist() != sorted(a.label.tolist())  # classes interleaved, not in two blocks


@pytest.mark.parametrize("per_class", [0, -1, 2.5, 40])
def test_balanced_sample_rejects_impossible_sizes(per_class):
    df = pd.DataFrame({"sentence": ["x"] * 60, "label": [0] * 30 + [1] * 30})
    with pytest.raises(ParameterError):
        balanced_sample(df, per_class, seed=0)


def test_mnist_5k_is_500_real_digits_per_class(sst2):
    images, labels = load_mnist_5k()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10
    assert images.min() == 0 and images.max() == 255
    assert images[:, 0, :].max() == 0  # ink never reaches the top row: the digits sit inside a border
    assert (images.reshape(5000, -1) > 0).mean(axis=1).min() > 0.05  # every image has some ink
    assert len({img.tobytes() for img in images}) == 5000  # no repeated image


def test_airline_tweets_are_the_crowdflower_set_decoded_and_deduplicated(sst2):
    tweets = load_tweets()
    assert list(tweets.columns) == ["text", "sentiment", "confidence", "label"]
    assert tweets.sentiment.value_counts().to_dict() == {"negative": 9085, "positive": 2275}
    assert (tweets.label == (tweets.sentiment == "positive")).all()  # SST-2's labels: 1 = positive
    assert tweets.text.str.contains("@", regex=False).all() and tweets.text.is_unique
    assert not tweets.text.str.contains("&amp;|\n|\r").any()
    assert tweets.confidence.between(0, 1).all()
    three = load_tweets(binary=False)
    assert three.groupby("sentiment").label.first().to_dict() == {"negative": 0, "neutral": 1, "positive": 2}
    assert len(three) == 14_422 and len(load_tweets("other")) + len(tweets) == len(load_tweets("all"))


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"topic": "airlines"}, "'airline', 'other'"), ({"binary": 1}, "binary")]
)
def test_load_tweets_names_the_choices(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        load_tweets(**kwargs)


def test_missing_tweets_offline_names_the_asset_and_the_fix(clean_env):
    with pytest.raises(AssetUnavailableError, match="crowdflower-sentiment"):
        load_tweets()
