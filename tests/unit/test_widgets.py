"""The batch explorer's arithmetic, and its static rendering where widgets are not shown; the classify box
shows a prediction or the problem, and keeps working after a bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchvision import transforms

from course_utils.errors import CourseError, ParameterError
from course_utils.learner_input import read_text
from course_utils.predictor import Prediction, classify_image
from course_utils.widgets import BatchExplorer, BatchPlan, ClassifyBox


@pytest.mark.parametrize(
    "n,b,drop",
    [
        (1000, 100, False),
        (1000, 300, False),
        (1000, 300, True),
        (7, 10, False),
        (7, 10, True),
        (1, 1, False),
        (1257, 64, False),
    ],
)
def test_plan_matches_what_a_dataloader_does(n, b, drop):
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=b, drop_last=drop)
    plan = BatchPlan(n, b, epochs=3, drop_last=drop)
    assert plan.iterations_per_epoch == len(loader)
    assert plan.batch_sizes == [len(x) for (x,) in loader]
    assert plan.total_steps == 3 * len(loader)
    assert plan.iterations_per_epoch == (n // b if drop else math.ceil(n / b))


def test_the_issue_examples():
    assert BatchPlan(1000, 100).iterations_per_epoch == 10
    assert BatchPlan(1000, 300).iterations_per_epoch == 4
    assert BatchPlan(1000, 300, drop_last=True).iterations_per_epoch == 3


@pytest.mark.parametrize("bad", [0, -5, 2.5, "10", True])
def test_bad_values_are_clear_errors(bad):
    with pytest.raises(ParameterError, match="batch_size must be a whole number"):
        BatchPlan(1000, bad)


def test_static_rendering_carries_the_numbers():
    explorer = BatchExplorer(1000, 300, epochs=2)
    bundle = explorer._repr_mimebundle_()
    assert (
        bundle["text/plain"]
        == "1000 samples / batch size 300 -> 4 iterations per epoch x 2 epochs = 8 steps (last batch holds 100)"
    )
    assert 'class="iterations-per-epoch">4<' in bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "0x" not in bundle["text/plain"]


def test_moving_a_slider_updates_the_plan():
    explorer = BatchExplorer(1000, 100, epochs=3)
    assert explorer.widget is not None  # builds the controls
    explorer.batch_size.value = 250
    assert explorer.plan.iterations_per_epoch == 4
    assert 'class="iterations-per-epoch">4<' in explorer.view.value
    explorer.drop_last.value = True
    explorer.n_samples.value = 1100
    assert explorer.plan.iterations_per_epoch == 4 and "dropped" in explorer.plan.summary()


# ----------------------------------------------------------------------------- the classify box


@pytest.fixture
def good_files(tmp_path):
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), "RGB")
    sixteen = Image.fromarray((np.linspace(0, 65535, 200 * 100).reshape(100, 200)).astype(np.uint16))
    files = {"rgba.png": rgb.convert("RGBA"), "grey.png": rgb.convert("L"), "16bit.png": sixteen}
    for name, image in files.items():
        image.save(tmp_path / name)
    return {name: tmp_path / name for name in files}


def _tiny_image_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 2))
    transform = transforms.Compose([transforms.Resize((16, 16)), transforms.ToTensor()])
    return model, transform


def test_classify_box_shows_a_prediction_or_the_problem_and_keeps_working(tmp_path, good_files):
    model, transform = _tiny_image_model()
    box = ClassifyBox(lambda source: classify_image(model, transform, ["ants", "bees"], source), kind="image")
    assert "<table>" in box.submit(good_files["rgba.png"])
    shown = box.submit(tmp_path / "no such photo.jpg")
    assert "There is no file" in shown and "Traceback" not in shown
    assert "<table>" in box.submit(good_files["16bit.png"].read_bytes())  # still works after a bad input
    bundle = box._repr_mimebundle_()
    assert "0x" not in bundle["text/plain"] and "upload a photo" in bundle["text/plain"]


def test_classify_box_reacts_to_an_upload_and_a_typed_path(good_files, tmp_path):
    pytest.importorskip("ipywidgets")
    model, transform = _tiny_image_model()
    box = ClassifyBox(lambda source: classify_image(model, transform, ["ants", "bees"], source), kind="image")
    box.widget  # noqa: B018  (builds the live controls)
    content = good_files["grey.png"].read_bytes()
    upload = {"name": "grey.png", "type": "image/png", "size": len(content), "content": memoryview(content)}
    box._on_upload({"new": (upload,)})
    assert "<table>" in box.view.value
    box.path.value = str(tmp_path / "missing.jpg")
    assert "There is no file" in box.view.value


def test_classify_box_for_text_uses_its_button():
    pytest.importorskip("ipywidgets")

    def sentiment(text):  # a stand-in classifier: what the box shows is under test, not a model
        return Prediction(["negative", "positive"], [0.2, 0.8] if "fine" in read_text(text) else [0.7, 0.3])

    box = ClassifyBox(sentiment, kind="text")
    box.widget  # noqa: B018
    box.text.value = ""
    box.button.click()
    assert "is empty" in box.view.value
    box.text.value = "a fine film"
    box.button.click()
    assert "<table>" in box.view.value
    with pytest.raises(CourseError):
        ClassifyBox(print, kind="video")
