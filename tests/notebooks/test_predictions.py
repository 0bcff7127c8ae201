"""Predictions are asked before anything answers them: no earlier cell (headings, prose, code comments,
printed text in the code) states an outcome. A string test cannot see a paraphrase; it catches the
distinctive phrases, and each prediction was also read by hand."""

from __future__ import annotations

import ast
import json
import re

import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("0*.ipynb"))
# Predictions about something the learner builds: earlier cells discuss the notebook's own cases in the same words.
ABOUT_THE_LEARNERS_OWN = {"05.own_gain": "the gain of a source the learner built; section 2 reports the notebook's"}
PREDICT = re.compile(r'predict\(\s*"(\d\d\.\w+)"\s*,\s*\w+\s*,\s*([\(\[][^\)\]]*[\)\]])\s*\)')


def predictions(path):
    """(cell index, key, choices) for each predict(...) call of a notebook."""
    cells = json.loads(path.read_text())["cells"]
    for i, cell in enumerate(cells):
        for key, choices in PREDICT.findall("".join(cell["source"])):
            yield i, key, [str(c) for c in ast.literal_eval(choices)]


def test_every_notebook_with_an_experiment_asks_for_predictions():
    found = {path.stem[:2] for path in NOTEBOOKS for _ in predictions(path)}
    assert {"01", "02", "03", "04", "05", "06", "08"} <= found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_distinctive_outcome_appears_before_its_prediction(path):
    cells = ["".join(c["source"]).lower() for c in json.loads(path.read_text())["cells"]]
    for index, key, choices in predictions(path):
        if key in ABOUT_THE_LEARNERS_OWN:
            continue
        asking = index - 1  # the cell that asks the question may list the choices
        for choice in choices:
            if len(choice.split()) < 2:  # one word ("yes", "positive") occurs in any prose: read by hand
                continue
            for earlier in range(index):
                if earlier == asking:
                    continue
                assert choice.lower() not in cells[earlier], f"{key}: cell {earlier} already says {choice!r}"
