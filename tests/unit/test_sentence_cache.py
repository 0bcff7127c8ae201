"""A sentence encoder cut in two must give the sentence vectors the whole encoder gives."""

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer

from course_utils import sentence_cache
from course_utils.models import text_model_path

SENTENCES = [
    "a gorgeous , witty , seductive movie .",
    "it 's a bad sign when you 're rooting for the film to end .",
    "not bad .",
    "the acting , costumes , music , cinematography and sound are all astounding given the production 's budget .",
]


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformer:
    return SentenceTransformer(text_model_path("all-MiniLM-L6-v2"), device="cpu")


@pytest.mark.parametrize("cut", [0, 2, 5])
def test_the_top_on_cached_vectors_gives_the_whole_encoders_sentence_vectors(encoder, cut):
    vectors, states = sentence_cache.cache_states(encoder, SENTENCES, cut, batch_size=3)
    whole = encoder.encode(SENTENCES)
    assert np.allclose(vectors, whole, atol=1e-5)
    assert [len(s) for s in states] == [len(encoder.tokenizer(s)["input_ids"]) for s in SENTENCES]  # no padding kept
    top = sentence_cache.top_of(encoder, cut)
    assert len(top.encoder.layer) == 6 - cut
    assert np.allclose(sentence_cache.embed_all(top, states, batch_size=2), whole, atol=1e-5)


def test_the_top_is_a_copy_and_the_encoder_is_left_whole(encoder):
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    top = sentence_cache.top_of(encoder, 4)
    _, states = sentence_cache.cache_states(encoder, SENTENCES[:2], 4)
    loss = sentence_cache.embed(top.train(), states).sum()
    loss.backward()
    torch.optim.SGD(top.parameters(), lr=1.0).step()
    assert len(sentence_cache.transformer_of(encoder).encoder.layer) == 6
    assert all(torch.equal(before[k], v) for k, v in encoder.state_dict().items())  # training the top changed nothing
    assert all(p.grad is not None for p in top.encoder.layer.parameters())
    assert not hasattr(top.embeddings, "word_embeddings")  # the bottom is not in the copy


def test_padding_is_masked_out_of_the_mean():
    tokens = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert torch.equal(sentence_cache.mean_pool(tokens, mask), torch.tensor([[2.0, 2.0]]))
    batch, mask = sentence_cache.pad([torch.ones(2, 3), torch.ones(4, 3)])
    assert batch.shape == (2, 4, 3) and mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]
