"""course_utils.predictor and ``python -m course_utils predict``: one input classified by a model in memory,
and a saved model folder that gives the same predictions back, is refused clearly when damaged, and never
unpickles anything."""

from __future__ import annotations

import json
import pickle
import sys

import numpy as np
import pytest
import torch
from conftest import course_cli
from PIL import Image
from sklearn.linear_model import LogisticRegression
from torch import nn
from torchvision import transforms

from course_utils.errors import InputError
from course_utils.models import build_architecture, efficientnet_lite0_transform
from course_utils.predictor import (
    Prediction,
    classify_image,
    classify_text,
    linear_head,
    load_predictor,
    save_image_predictor,
    verify,
)

LABELS = ["ants", "bees"]


@pytest.mark.parametrize("classes", [2, 3])
def test_a_scikit_learn_head_becomes_a_layer_with_the_same_probabilities(classes):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 5)), np.arange(60) % classes
    clf = LogisticRegression(max_iter=500).fit(x, y)
    layer = linear_head(clf.coef_, clf.intercept_)
    ours = layer(torch.as_tensor(x, dtype=torch.float32)).softmax(-1).detach().numpy()
    np.testing.assert_allclose(ours, clf.predict_proba(x), atol=1e-5)


@pytest.fixture(scope="module")
def image_model(tmp_path_factory):
    """An EfficientNet-Lite0 with a two-class head (random weights: this checks the mechanics)."""
    torch.manual_seed(0)
    model = build_architecture("efficientnet_lite0", num_classes=2).eval()
    folder = tmp_path_factory.mktemp("saved") / "ants-vs-bees"
    save_image_predictor(folder, model, "efficientnet_lite0", LABELS, (0.5,) * 3, (0.5,) * 3, {"accuracy": 0.9})
    photos = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(1)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)).save(photos / f"p{i}.jpg")
    (photos / "notes.txt").write_text("not a photo")
    return model, folder, photos


@pytest.mark.mechanics
def test_a_saved_image_model_predicts_exactly_what_it_did_before_saving(image_model):
    model, folder, photos = image_model
    info = verify(folder)
    assert info["kind"] == "image" and info["labels"] == LABELS and info["metrics"] == {"accuracy": 0.9}
    assert sorted(info["files"]) == ["model.safetensors"]
    loaded = load_predictor(folder)
    predictions = loaded.predict([photos / "p0.jpg", photos / "p1.jpg"])
    transform = efficientnet_lite0_transform()
    with torch.inference_mode():
        batch = torch.stack([transform(Image.open(photos / f"p{i}.jpg").convert("RGB")) for i in range(2)])
        expected = model(batch).softmax(-1)
    np.testing.assert_allclose([p.probabilities for p in predictions], expected.numpy(), atol=1e-5)


@pytest.mark.mechanics
def test_the_predict_command_prints_label_and_probability_and_explains_a_bad_input(image_model):
    _, folder, photos = image_model
    done = course_cli("predict", str(folder), str(photos / "p0.jpg"), str(photos / "notes.txt"))
    assert done.returncode == 1  # one input failed
    label, probability, path = done.stdout.strip().split("\t")
    assert label in LABELS and 0.5 <= float(probability) <= 1 and path.endswith("p0.jpg")
    assert "notes.txt" in done.stderr and "not an image file" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.mechanics
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "model.safetensors").write_bytes(b"\0" * 64), "does not match its checksum"),
        (lambda f: (f / "model.safetensors").unlink(), "is incomplete: model.safetensors is missing"),
        (lambda f: (f / "extra.pkl").write_bytes(pickle.dumps({"x": 1})), "extra.pkl, which was not saved"),
        (lambda f: (f / "predictor.json").write_text("{not json"), "is damaged"),
        (lambda f: (f / "predictor.json").unlink(), "has no predictor.json"),
    ],
)
def test_a_damaged_or_tampered_folder_is_refused_in_one_sentence(image_model, tmp_path, damage, message):
    import shutil

    _, folder, photos = image_model
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    damage(copy)
    with pytest.raises(InputError, match=message):
        load_predictor(copy)
    done = course_cli("predict", str(copy), str(photos / "p0.jpg"))
    assert done.returncode == 1 and message.split("(")[0][:20] in done.stderr and "Traceback" not in done.stderr


@pytest.mark.mechanics
def test_loading_never_unpickles(image_model, monkeypatch):
    _, folder, _ = image_model

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    assert load_predictor(folder).labels == LABELS


def test_saving_into_a_folder_that_holds_files_is_refused(image_model, tmp_path):
    model, _, _ = image_model
    (tmp_path / "mine.txt").write_text("the learner's")
    with pytest.raises(InputError, match="already exists and is not empty"):
        save_image_predictor(tmp_path, model, "efficientnet_lite0", LABELS, (0.5,) * 3, (0.5,) * 3)
    assert (tmp_path / "mine.txt").read_text() == "the learner's"


def test_the_predict_command_names_a_missing_folder():
    done = course_cli("predict", "/nonexistent/model", "x.jpg")
    assert done.returncode == 1 and "is not there" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def text_folder(tmp_path_factory):
    from conftest import real_mirror

    if real_mirror() is None:
        pytest.skip("the course's asset mirror (../shared/assets) is not beside this checkout")
    from sentence_transformers import SentenceTransformer

    from course_utils.models import text_model_path

    encoder = SentenceTransformer(text_model_path("all-MiniLM-L6-v2"), device="cpu")
    texts = ["a wonderful, moving film", "dull and far too long", "I loved every minute", "a waste of time"]
    x = encoder.encode(texts, normalize_embeddings=True)
    clf = LogisticRegression(C=10).fit(x, [1, 0, 1, 0])
    from course_utils.predictor import save_text_predictor

    folder = tmp_path_factory.mktemp("saved") / "reviews"
    save_text_predictor(folder, encoder, linear_head(clf.coef_, clf.intercept_), ["negative", "positive"])
    return folder, clf.predict_proba(encoder.encode(["what a delight"], normalize_embeddings=True))[0]


def test_a_saved_text_model_predicts_what_it_did_and_the_command_reads_texts(text_folder):
    folder, expected = text_folder
    info = verify(folder)
    assert info["kind"] == "text" and any(name.endswith(".safetensors") for name in info["files"] if "encoder" in name)
    assert not any(name.endswith((".bin", ".pkl", ".pt", ".pth")) for name in info["files"])
    (prediction,) = load_predictor(folder).predict(["what a delight"])
    np.testing.assert_allclose(prediction.probabilities, expected, atol=1e-4)
    done = course_cli("predict", str(folder), "what a delight", "   ")
    assert done.returncode == 1
    assert done.stdout.startswith(f"{prediction.label}\t") and "is empty" in done.stderr
    assert json.loads((folder / "predictor.json").read_text())["course_version"]
    assert sys.modules["course_utils"].__version__ == info["course_version"]


# ----------------------------------------------------------------------------- one input, a model in memory


def _photo(mode: str = "RGB", size: tuple[int, int] = (320, 240)) -> Image.Image:
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")
    return rgb if mode == "RGB" else rgb.convert(mode)


def _tiny_image_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 2))
    transform = transforms.Compose([transforms.Resize((16, 16)), transforms.ToTensor()])
    return model, transform


def test_classify_image_returns_probabilities_for_the_labels(tmp_path):
    model, transform = _tiny_image_model()
    cmyk = tmp_path / "cmyk.jpg"
    _photo("CMYK").save(cmyk)
    prediction = classify_image(model, transform, ["ants", "bees"], cmyk)
    assert isinstance(prediction, Prediction) and prediction.label in ("ants", "bees")
    assert abs(sum(prediction.probabilities) - 1) < 1e-5
    assert "%" in repr(prediction) and "0x" not in repr(prediction) and "<table>" in prediction._repr_html_()
    with pytest.raises(InputError, match="2 outputs but 3 labels"):
        classify_image(model, transform, ["a", "b", "c"], cmyk)


class _WordTokenizer:
    """Enough of a Hugging Face tokenizer for classify_text: one id per word, CLS and SEP added."""

    model_max_length = 8

    def __call__(self, text, truncation=False, max_length=None, return_tensors=None, verbose=True):
        ids = [1] + [2 + len(word) % 5 for word in text.split()] + [3]
        if truncation and max_length:
            ids = ids[: max_length - 1] + [3]
        if return_tensors == "pt":
            return {"input_ids": torch.tensor([ids]), "attention_mask": torch.ones(1, len(ids), dtype=torch.long)}
        return {"input_ids": ids}


class _BagModel(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed, self.head = nn.EmbeddingBag(8, 4), nn.Linear(4, 2)

    def forward(self, input_ids, attention_mask):
        class Out:
            logits = self.head(self.embed(input_ids))

        return Out


def test_classify_text_handles_empty_long_and_wrong_kinds_of_input():
    model, tokenizer = _BagModel(), _WordTokenizer()
    prediction = classify_text(model, tokenizer, ["negative", "positive"], "  a warm and   funny film ")
    assert prediction.label in ("negative", "positive") and not prediction.notes
    long = classify_text(model, tokenizer, ["negative", "positive"], "word " * 40)
    assert long.notes == ("only the first 8 of its 42 tokens were read",)
    for bad, words in (("", "is empty"), (" \n\t ", "is empty"), (None, "Expected a sentence"), (["a"], "a str")):
        with pytest.raises(InputError, match=words):
            classify_text(model, tokenizer, ["negative", "positive"], bad)
