"""Backbones: the offline one is a real ImageNet classifier; ResNet-50 is wired to the standard API."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from course_utils import models
from course_utils.errors import AssetUnavailableError, ParameterError
from course_utils.models import text_model_path


def test_backbone_choice_follows_argument_then_environment(monkeypatch):
    monkeypatch.delenv("COURSE_BACKBONE", raising=False)
    assert models.choose_backbone() == ("resnet50", "the course default")
    monkeypatch.setenv("COURSE_BACKBONE", "efficientnet_lite0")
    name, reason = models.choose_backbone()
    assert name == "efficientnet_lite0" and "COURSE_BACKBONE" in reason
    assert models.choose_backbone("resnet50")[0] == "resnet50"


def test_unknown_backbone_is_a_clear_parameter_error(monkeypatch):
    with pytest.raises(ParameterError, match="resnet50, efficientnet_lite0"):
        models.load_backbone("resnet18")
    monkeypatch.setenv("COURSE_BACKBONE", "vgg")
    with pytest.raises(ParameterError, match="'vgg'"):
        models.choose_backbone()


def test_resnet50_without_its_weights_says_how_to_get_them(clean_env):
    with pytest.raises(AssetUnavailableError, match="resnet50-imagenet") as err:
        models.load_backbone("resnet50")
    assert "python -m course_utils fetch resnet50-imagenet" in str(err.value)
    # offline, the one fix that works is the backbone whose weights are in the mirror
    assert "COURSE_BACKBONE=efficientnet_lite0" in str(err.value)


def test_timing_only_backbone_is_random_labelled_and_needs_no_weights(clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_TIMING_ONLY", "1")
    backbone = models.load_backbone("resnet50")  # clean_env has no weights anywhere: nothing is fetched
    assert "RANDOM" in backbone.weights and "COURSE_TIMING_ONLY" in backbone.reason
    assert sum(p.numel() for p in backbone.model.parameters()) == 25_557_032 and not backbone.model.training
    assert backbone.transform(Image.new("RGB", (300, 260))).shape == (3, 224, 224)
    from course_utils.doctor import needed_assets

    monkeypatch.setenv("COURSE_BACKBONE", "resnet50")
    assert "resnet50-imagenet" not in needed_assets()  # notebook 00 fetches what a run needs: not these


def test_imagenet_categories_include_ant_and_bee():
    cats = models.imagenet_categories()
    assert len(cats) == 1000 and cats[310] == "ant" and cats[309] == "bee"


@pytest.fixture
def lite0(clean_env, monkeypatch, mirror):
    monkeypatch.setenv("COURSE_MIRROR", str(mirror))
    return models.load_backbone("efficientnet_lite0")


def test_efficientnet_lite0_loads_every_tensor(lite0, mirror):
    source = torch.load(mirror / "efficientnet-lite0-57934424.pth", map_location="cpu", weights_only=True)
    loaded = lite0.model.state_dict()
    assert all(torch.equal(a, b) for a, b in zip(source.values(), loaded.values(), strict=True))
    assert (lite0.feature_dim, lite0.head_attr) == (1280, "classifier")
    assert sum(p.numel() for p in lite0.model.parameters()) == 4_652_008
    assert not lite0.model.training and "0x" not in repr(lite0)


def test_efficientnet_lite0_recognises_ants_and_bees_zero_shot(lite0, clean_env, mirror):
    """The documented check: 58/70 ants -> 'ant' and 70/83 bees -> 'bee' with mean = std = 0.5."""
    from torchvision.datasets import ImageFolder

    from course_utils import assets

    val = ImageFolder(assets.fetch("hymenoptera") / "val", transform=lite0.transform)
    loader = torch.utils.data.DataLoader(val, batch_size=50)
    with torch.inference_mode():
        pairs = [(lite0.model(x).argmax(1), y) for x, y in loader]
    pred, y = torch.cat([p for p, _ in pairs]), torch.cat([t for _, t in pairs])
    ant, bee = lite0.categories.index("ant"), lite0.categories.index("bee")
    assert int(((pred == ant) & (y == 0)).sum()) == 58 and int((y == 0).sum()) == 70
    assert int(((pred == bee) & (y == 1)).sum()) == 70 and int((y == 1).sum()) == 83


def test_resnet50_architecture_metadata():
    """Architecture only (random init): feature width and head for the ResNet-50 path."""
    from torchvision.models import resnet50

    model = resnet50(weights=None)
    assert model.fc.in_features == 2048
    assert sum(p.numel() for p in model.parameters()) == 25_557_032


@pytest.mark.parametrize("name", ["resnet50", "efficientnet_lite0"])
def test_stages_then_pool_then_head_is_the_forward_pass(name):
    """Architecture only (random init): the stage split reproduces the model's own output."""
    import timm
    from torchvision.models import resnet50

    model = resnet50(weights=None) if name == "resnet50" else timm.create_model("tf_efficientnet_lite0")
    head = "fc" if name == "resnet50" else "classifier"
    backbone = models.Backbone(name, model.eval(), None, getattr(model, head).in_features, head, [])
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        h = x
        for _, stage in backbone.stages():
            h = stage(h)
        out = getattr(model, head)(backbone.pool(h))
        assert torch.allclose(out, model(x), atol=1e-5)
    owned = {id(p) for _, s in backbone.stages() for p in s.parameters()} | {
        id(p) for p in getattr(model, head).parameters()
    }
    assert owned == {id(p) for p in model.parameters()}  # every parameter belongs to a stage or the head


def test_text_model_path_resolves_course_assets_offline(clean_env, monkeypatch, mirror):
    monkeypatch.setenv("COURSE_MIRROR", str(mirror))
    path = text_model_path("all-MiniLM-L6-v2")
    assert (Path(path) / "config.json").is_file() and Path(path).is_relative_to(clean_env)


def test_text_model_path_passes_hub_ids_through_when_online(monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert text_model_path("bert-base-uncased") == "bert-base-uncased"


def test_uncached_hub_model_offline_is_a_clear_error(clean_env, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(clean_env / "hf" / "hub"))
    with pytest.raises(AssetUnavailableError, match="bert-base-uncased.*all-MiniLM-L6-v2"):
        text_model_path("bert-base-uncased")


@pytest.mark.parametrize("bad", ["", "  ", None, 3])
def test_text_model_path_rejects_non_names(bad):
    with pytest.raises(ParameterError):
        text_model_path(bad)


def test_a_text_notebook_importing_text_model_path_does_not_load_torchvision():
    """torchvision's import pulls in torch._dynamo: 160 MiB of a 2 GiB kernel that notebooks 03 and 07 never use."""
    import subprocess
    import sys

    code = "import sys, course_utils.models; print('torchvision' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
