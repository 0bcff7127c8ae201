"""A pytest plugin for the notebooks: after nbval has run a notebook, its cells run a second time.

Learners re-run cells: after editing an exercise, after changing a setting, or by pressing
Shift-Enter twice. A cell that deletes what another cell needs, or that only works on a fresh
kernel, breaks that (course issue 23). nbval runs each notebook's code cells in one kernel; this
hook appends, after a notebook's last cell, a second item for each of its code cells, in order,
in the same kernel, so any error on the second pass fails the suite.

Cells tagged ``heavy`` are left out of the second pass: the training runs and encoding passes of
14 s or more in ``benchmarks/profiles/``. Running them again would add minutes per notebook to CI,
and what they defined on the first pass is still there for the cells after them.
After the second pass, one more item checks the kernel's memory against the 2 GiB a learner's hub
allows (course issue 40): a learner who re-runs cells must not be stopped by the memory limit.
Where this process may make memory cgroups (root in CI's container), each notebook's kernel runs
inside one limited to 2 GiB without swap, as a hub's limit is enforced (``tests/memory_limit.py``),
and the item fails if the kernel was killed for want of memory there. Meeting the limit (memory
reclaimed to stay under it, as a file cache can be) is a warning giving the most it was charged.
The kernel's true peak resident memory (its VmHWM, what its ``getrusage`` reports as max RSS) is
read from ``/proc`` after every cell and reported too; over 2 GiB it is a warning naming the cell
where the kernel crossed 2 GiB and the cells whose second run raised the peak most. It is not the
failing test because RSS also counts the torch libraries' shared file pages, and how many of those
a process maps depends on how recently pip wrote them (190-300 MiB more in a freshly installed
environment, as in CI: ``benchmarks/results.md``), not on the notebook.
The last item shuts the kernel down as JupyterLab does (a shutdown request, not a kill) and checks
that the notebook left no new entry in the temporary folder: notebook 07 once left 175 MB of
exported models there on every run.
Loaded by ``-p nbval_second_run`` in pyproject.toml, so a single notebook's run has it too;
``tests/notebooks/test_rerun.py`` checks that the hook is in place and that ``heavy`` stays rare.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

import pytest
from memory_limit import MemoryLimit
from nbval.plugin import IPyNbCell, IPyNbFile

HEAVY = "heavy"
SECOND = " (second run)"
PEAK = "kernel peak after the second run"
CLEAN = "nothing left in the temporary folder after the kernel shuts down"
LIMIT = 2 * 1024**3  # bytes: a learner's memory on the hosted hub (README, docs/instructors.md)
MIB = 1024**2

# Per notebook file: (cell item name, kernel VmHWM in bytes after it), in the order they ran.
_peaks: dict[IPyNbFile, list[tuple[str, int]]] = defaultdict(list)
# Per notebook name: its kernel's peak after both passes, in bytes, for the summary at the end.
_final_peaks: dict[str, int] = {}
# Per notebook file: the temporary folder's entries before its first cell ran.
_temp_before: dict[IPyNbFile, set[str]] = {}
# Per notebook file: the memory cgroup its kernel runs in, or why it runs without one.
_limits: dict[IPyNbFile, MemoryLimit | str] = {}
# Per notebook name: the most memory its kernel's cgroup was charged at once, in bytes.
_charged: dict[str, int] = {}
_created: list[MemoryLimit] = []
_unlimited: set[str] = set()  # why some kernels ran without a limit


def is_heavy(cell) -> bool:
    return HEAVY in cell.metadata.get("tags", [])


def kernel_pid(notebook: IPyNbFile) -> int | None:
    kernel = getattr(notebook, "kernel", None)
    return getattr(getattr(getattr(kernel, "km", None), "provisioner", None), "pid", None)


def kernel_peak(notebook: IPyNbFile) -> int | None:
    """The notebook kernel's true peak resident memory so far (VmHWM), in bytes; None off Linux."""
    pid = kernel_pid(notebook)
    status = Path(f"/proc/{pid}/status")
    if pid is None or not status.exists():
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
    return int(found.group(1)) * 1024 if found else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    first = isinstance(item, IPyNbCell) and item.parent not in _temp_before
    if first:
        _temp_before[item.parent] = set(os.listdir(tempfile.gettempdir()))
    result = yield  # nbval starts the notebook's kernel while setting up its first cell
    pid = kernel_pid(item.parent) if first else None
    if pid is not None:
        limit = MemoryLimit.create(LIMIT)
        if isinstance(limit, MemoryLimit):
            _created.append(limit)
            try:
                limit.add(pid)
            except OSError as exc:  # e.g. a delegated cgroup v2 subtree that may not take this process
                limit = f"cannot move the kernel into {limit.folder}: {exc.strerror or exc}"
        if isinstance(limit, str):
            _unlimited.add(limit)
        _limits[item.parent] = limit
    return result


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    if isinstance(item, IPyNbCell):
        peak = kernel_peak(item.parent)
        if peak is not None:
            _peaks[item.parent].append((item.name, peak))


class MemoryBudgetWarning(UserWarning):
    """A notebook's kernel went past a learner's memory."""


class KernelPeak(pytest.Item):
    """After both passes: the kernel was not killed under a hub's 2 GiB limit; its true peak RSS is reported."""

    def runtest(self) -> None:
        limit = _limits.pop(self.parent, None)
        if isinstance(limit, MemoryLimit):
            _charged[self.parent.name] = charged = limit.peak()
            killed = limit.oom_kills()
            assert not killed, (
                f"{self.parent.name}: under a hub's {LIMIT / MIB:,.0f} MiB limit the kernel was killed for want of "
                f"memory ({killed} process)"
            )
            if limit.met_limit():  # memory was reclaimed to stay under: page cache can be dropped, a learner's data not
                warnings.warn(
                    MemoryBudgetWarning(
                        f"{self.parent.name}: the kernel met a hub's {LIMIT / MIB:,.0f} MiB limit "
                        f"(charged {charged / MIB:,.0f} MiB) and memory was reclaimed to stay under it"
                    ),
                    stacklevel=1,
                )
        trace = _peaks.pop(self.parent, [])
        if not trace:
            pytest.skip("the kernel's peak memory is read from /proc (Linux only)")
        peak = trace[-1][1]
        _final_peaks[self.parent.name] = peak
        if peak <= LIMIT:
            return
        crossed = next(name for name, value in trace if value > LIMIT)
        previous = [0] + [value for _, value in trace[:-1]]
        rises = sorted(
            ((value - before, name) for (name, value), before in zip(trace, previous, strict=True) if SECOND in name),
            reverse=True,
        )
        raised = ", ".join(f"{name} +{rise / MIB:.0f} MiB" for rise, name in rises[:3] if rise > 0)
        warnings.warn(
            MemoryBudgetWarning(
                f"{self.parent.name}: the kernel's peak memory reached {peak / MIB:,.0f} MiB, over the "
                f"{LIMIT / MIB:,.0f} MiB a learner has; it crossed the limit in {crossed}. "
                f"The second run raised it most in: {raised or 'none (the first pass alone is over)'}. "
                "RSS counts the libraries' shared file pages too (tests/memory_limit.py)"
            ),
            stacklevel=1,
        )

    def reportinfo(self):
        return self.path, None, f"{self.parent.name}::{self.name}"


class LeavesNoTemporaryFiles(pytest.Item):
    """After a shutdown as JupyterLab sends it, the notebook's temporary files are gone."""

    def runtest(self) -> None:
        before = _temp_before.pop(self.parent, None)
        kernel = getattr(self.parent, "kernel", None)
        if before is None or kernel is None:
            pytest.skip("the notebook's kernel did not run")
        kernel.km.shutdown_kernel(now=False)  # a shutdown request; nbval's own teardown kills the process
        left = sorted(set(os.listdir(tempfile.gettempdir())) - before)
        assert not left, f"{self.parent.name} left in {tempfile.gettempdir()}: {left}"

    def reportinfo(self):
        return self.path, None, f"{self.parent.name}::{self.name}"


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
            out.append(KernelPeak.from_parent(item.parent, name=PEAK))
            out.append(LeavesNoTemporaryFiles.from_parent(item.parent, name=CLEAN))
    items[:] = out


def pytest_sessionfinish(session):
    """Remove the kernels' memory cgroups; nbval has stopped the kernels by now."""
    for limit in _created:
        for _ in range(50):
            if limit.remove():
                break
            time.sleep(0.1)


def pytest_terminal_summary(terminalreporter):
    """One line per notebook with its kernel's peaks after both passes, under or over the limit alike."""
    if _final_peaks:
        terminalreporter.section("kernel peaks after both passes (limit 2,048 MiB)")
        for name, peak in _final_peaks.items():
            charged = _charged.get(name)
            terminalreporter.write_line(
                f"{name}: true peak RSS {peak / MIB:,.0f} MiB{'  OVER' if peak > LIMIT else ''}"
                + (f"; charged to its 2 GiB cgroup at most {charged / MIB:,.0f} MiB" if charged else "")
            )
        for reason in sorted(_unlimited):
            terminalreporter.write_line(f"kernels ran without a memory limit: {reason}")
