"""A pytest plugin for the notebooks: after nbval has run a notebook, its cells run a second time.

Learners re-run cells: after editing an exercise, after changing a setting, or by pressing
Shift-Enter twice. A cell that deletes what another cell needs, or that only works on a fresh
kernel, breaks that (course issue 23). nbval runs each notebook's code cells in one kernel; this
hook appends, after a notebook's last cell, a second item for each of its code cells, in order,
in the same kernel, so any error on the second pass fails the suite.

Cells tagged ``heavy`` are left out of the second pass: the training runs and encoding passes of
14 s or more in ``benchmarks/profiles/``. Running them again would add minutes per notebook to CI,
and what they defined on the first pass is still there for the cells after them.
Loaded by ``-p nbval_second_run`` in pyproject.toml, so a single notebook's run has it too;
``tests/notebooks/test_rerun.py`` checks that the hook is in place and that ``heavy`` stays rare.
"""

from __future__ import annotations

from collections import defaultdict

from nbval.plugin import IPyNbCell

HEAVY = "heavy"
SECOND = " (second run)"


def is_heavy(cell) -> bool:
    return HEAVY in cell.metadata.get("tags", [])


def pytest_collection_modifyitems(session, config, items):
    by_notebook = defaultdict(list)
    for item in items:
        if isinstance(item, IPyNbCell):
            by_notebook[item.parent].append(item)
    out = []
    for item in items:
        out.append(item)
        if isinstance(item, IPyNbCell) and item is by_notebook[item.parent][-1]:
            out += [
                IPyNbCell.from_parent(
                    cell.parent,
                    name=cell.name + SECOND,
                    cell_num=cell.cell_num,
                    cell=cell.cell,
                    options=defaultdict(bool, cell.options),
                )
                for cell in by_notebook[item.parent]
                if not is_heavy(cell.cell)
            ]
    items[:] = out
