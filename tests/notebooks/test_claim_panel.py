"""A claim that fails in a learner's notebook shows a panel and the next cells run; in CI it stops the run."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELLS = [
    "from course_utils.claims import claim",
    'claim(0.41 > 0.48, "fine-tuning beats training from scratch", measured="fine-tuning 0.41, scratch 0.48")',
    'print("the next cell ran")',
]


def run(env: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def test_a_learner_sees_the_panel_and_run_all_goes_on(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    nb = run({"COURSE_STRICT": "0"})
    panel = nb.cells[1].outputs
    assert len(panel) == 1 and panel[0].output_type == "display_data"
    html = panel[0].data["text/html"]
    assert (
        "This run differs from the notebook&#x27;s text." in html
        or "This run differs from the notebook's text." in html
    )
    assert "fine-tuning 0.41, scratch 0.48" in html and "What to do" in html
    assert "The text says: fine-tuning beats training from scratch" in panel[0].data["text/plain"]
    assert nb.cells[2].outputs[0].text == "the next cell ran\n"


def test_in_ci_the_same_claim_stops_the_run():
    with pytest.raises(CellExecutionError, match="fine-tuning beats training from scratch"):
        run({"COURSE_STRICT": "1"})
