"""Notebook 02's exercises: right answers pass, wrong ones are refused."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercises import load_exercises

load_exercises("02")


def test_notebook_02_checkers_accept_the_reference_answers_and_reject_others():
    from torch import nn

    def model_with_head():
        model = nn.Sequential()
        model.body = nn.Linear(4, 4)
        model.fc = nn.Linear(4, 2)
        return model

    assert checks.check("02.head_params", 10245) and not checks.check("02.head_params", 4098)
    assert not checks.check("02.head_params", 10240)
    frozen = model_with_head()
    frozen.body.requires_grad_(False)
    assert checks.check("02.freeze", frozen)
    assert not checks.check("02.freeze", model_with_head())  # nothing frozen
    everything_frozen = model_with_head().requires_grad_(False)
    assert not checks.check("02.freeze", everything_frozen)  # head frozen too
    assert checks.check("02.bn_mode", "eval") and checks.check("02.bn_mode", " Eval ")
    assert not checks.check("02.bn_mode", "train")

    # A head that separates the classes passes; an untrained one, a non-model and a placeholder do not.
    import torch

    features = torch.cat([torch.full((50, 4), -1.0), torch.full((50, 4), 1.0)])
    labels = torch.cat([torch.zeros(50, dtype=torch.long), torch.ones(50, dtype=torch.long)])
    good = nn.Linear(4, 2)
    with torch.no_grad():
        good.weight.copy_(torch.tensor([[-1.0] * 4, [1.0] * 4]))
        good.bias.zero_()
    constant = nn.Linear(4, 2)
    with torch.no_grad():
        constant.weight.zero_()
        constant.bias.copy_(torch.tensor([1.0, 0.0]))  # always class 0: 50%
    assert checks.check("02.trained_head", (good, features, labels)).status == "correct"
    assert checks.check("02.trained_head", (constant, features, labels)).status == "wrong"
    assert checks.check("02.trained_head", ("a head", features, labels)).status == "wrong"
    assert checks.check("02.trained_head", (..., features, labels)).status == "unanswered"


def test_notebook_02_new_head_is_checked_on_both_architectures():
    from torch import nn

    def reference(model, head_attr, num_classes):
        setattr(model, head_attr, nn.Linear(getattr(model, head_attr).in_features, num_classes))
        return model

    def in_place(model, head_attr, num_classes):  # returns nothing: changing the model is enough
        reference(model, head_attr, num_classes)

    def fixed_width(model, head_attr, num_classes):
        setattr(model, head_attr, nn.Linear(2048, num_classes))  # right for ResNet-50 only

    def fc_only(model, head_attr, num_classes):
        model.fc = nn.Linear(2048, num_classes)

    def resets_everything(model, head_attr, num_classes):
        for p in model.parameters():
            nn.init.zeros_(p)
        return reference(model, head_attr, num_classes)

    def extra_layer(model, head_attr, num_classes):
        width = getattr(model, head_attr).in_features
        setattr(model, head_attr, nn.Sequential(nn.Linear(width, 64), nn.Linear(64, num_classes)))

    assert checks.check("02.new_head", reference).status == "correct"
    assert checks.check("02.new_head", in_place).status == "correct"
    for wrong in (fixed_width, fc_only, resets_everything, extra_layer):
        assert checks.check("02.new_head", wrong).status == "wrong", wrong.__name__
