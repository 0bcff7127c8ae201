"""After a full run, every cell runs again without an error (course issue 23).

The second run itself happens in the notebook tests: the plugin ``tests/nbval_second_run.py``
appends to nbval's run of each notebook a second pass over its code cells, in order, in the same
kernel. Notebooks 00 and 01 run every cell twice. In 02-09 the cells tagged ``heavy`` run once:

- 02: the stage-by-stage feature pass, the fine-tuning seeds with and without augmentation, the
  from-scratch runs;
- 03: the encoding pass, the frozen heads, the fine-tuning seeds, the ULMFiT run;
- 04: the first SetFit run, the frozen-encoder pass, the shots-and-seeds sweep;
- 05: the transfer grid, the forgetting runs.
- 06: the digit networks, the text encoding pass, the multi-task runs.
- 07: the teacher's outputs for distillation, OpenVINO with NNCF's calibration, and the checks
  on the OpenVINO rows (the second pass starts a new table, without them).
- 09: the encoding pass, the nine fine-tuning runs, the tweet adapter's training.

Everything else in them, the model cells, the exercises and their solutions included, runs twice.
After the second pass come one check of the kernel's memory (run under a hub's 2 GiB limit where
the machine allows it, its true peak reported; course issue 40) and one that a kernel shut down as
JupyterLab does leaves nothing in the temporary folder.
This file checks that all are collected as described, so neither can silently vanish.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MOST_HEAVY_CELLS = 4  # per notebook: a second pass that skips more checks too little


def heavy(cell) -> bool:
    return "heavy" in cell.metadata.get("tags", [])


def collected() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "notebooks"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if ".ipynb::" in line]


def test_every_light_cell_is_collected_a_second_time_after_the_notebooks_last_cell():
    ids = collected()
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        mine = [i.split("::", 1)[1] for i in ids if i.startswith(f"notebooks/{path.name}::")]
        first = [f"Cell {n}" for n in range(len(code))]
        second = [f"Cell {n} (second run)" for n, cell in enumerate(code) if not heavy(cell)]
        last = ["kernel peak after the second run", "nothing left in the temporary folder after the kernel shuts down"]
        assert mine == first + second + last, f"{path.stem}: the second pass is not collected as described"


def test_heavy_cells_are_few_and_only_in_the_long_notebooks():
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        n_heavy = sum(heavy(cell) for cell in cells if cell.cell_type == "code")
        if path.stem.startswith(("00_", "01_")):
            assert n_heavy == 0, f"{path.stem} runs in about a minute: all of it runs twice"
        assert n_heavy <= MOST_HEAVY_CELLS, f"{path.stem}: {n_heavy} cells tagged heavy"
        assert not any(heavy(cell) for cell in cells if cell.cell_type != "code")
