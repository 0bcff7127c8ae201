"""After a full run, every cell runs again without an error (course issue 23).

Learners re-run cells: after editing an exercise, after changing a setting, or by pressing
Shift-Enter twice. A cell that deletes what another cell needs, or that only works on a fresh
kernel, breaks that. This test runs a notebook top to bottom, then runs every code cell a second
time in order in the same kernel.

It covers the notebooks that take under a minute (00 and 01): a second pass of the heavy ones
would add minutes of CI. Those are not covered yet: notebook 03's fine-tuning cell begins by
deleting the frozen encoder, so that one cell fails when re-run on its own.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import REPO
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

SHORT = ["00_start_here", "01_epochs_and_batches"]


@pytest.mark.parametrize("stem", SHORT)
def test_every_cell_runs_again_after_a_full_run(stem):
    nb = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",  # the virtual environment's own kernel (its share/jupyter/kernels)
        resources={"metadata": {"path": str(REPO / "notebooks")}},
    )
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                pytest.fail(f"{stem}: cell {index} fails when run a second time:\n{str(error)[-1500:]}")
