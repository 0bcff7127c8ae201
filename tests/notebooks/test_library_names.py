"""Settings the notebooks' prose names for a library's classes exist in the version the course pins.

Prose is not executed, so a renamed argument goes stale silently: notebook 03 once told learners
to pass ``TrainingArguments(group_by_length=True)``, which transformers 5 replaced with
``train_sampling_strategy="group_by_length"``.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MENTION = re.compile(r"`TrainingArguments\(([^`]*)\)`")


def prose(path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def mentioned_settings() -> list[tuple[str, str]]:
    found = []
    for path in NOTEBOOKS:
        for arguments in MENTION.findall(prose(path)):
            found += [(path.name, name) for name in re.findall(r"(\w+)\s*=", arguments)]
    return found


def test_the_prose_names_training_arguments():
    assert ("03_bert_sentiment.ipynb", "train_sampling_strategy") in mentioned_settings()


@pytest.mark.parametrize(("notebook", "name"), mentioned_settings())
def test_each_named_training_argument_exists(notebook, name):
    from transformers import TrainingArguments

    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    assert name in fields, f"{notebook} names TrainingArguments({name}=...), which this transformers lacks"
