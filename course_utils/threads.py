"""How many threads PyTorch should use: the CPUs this process may really run on.

PyTorch sizes its thread pool from the machine's core count. A JupyterHub container often may
use only one or two of a node's cores (a CPU quota), and in a classroom several kernels share
the same cores. With more threads than usable CPUs, every parallel operation waits for a thread
that is not running; OpenMP's default wait is a busy spin, which burns the very CPU the missing
thread needs. Small operations in tight training loops suffer most: on a 2-core machine shared
with two busy processes they ran 5-7x slower instead of about 2x.

Three settings fix it, and the notebooks call :func:`use_usable_cpus` for the first two:
- one thread per CPU the process may use (its affinity mask, capped by a cgroup CPU quota);
- fewer when other programs keep the machine's CPUs busy: before each cell a notebook runs, as many
  threads as there are CPUs nobody else is running on, at least one (:func:`threads_for_load`). A
  quota does not help there: on a lab machine, a hub node without CPU limits or a laptop compiling
  something, a second thread mostly waits for a core that another program holds;
- ``OMP_WAIT_POLICY=PASSIVE``: idle OpenMP threads sleep instead of spinning. OpenMP reads it
  when PyTorch is imported, so it has to be in the kernel's environment before that: ``make lab``,
  the tests and the benchmarks set it; hub admins set it in the spawner (docs/instructors.md).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path

from . import config

THREADS_ENV = "COURSE_THREADS"  # a whole number overrides the detected count
WAIT_POLICY_ENV = "OMP_WAIT_POLICY"
CGROUP_ROOT = Path("/sys/fs/cgroup")
LOADAVG = Path("/proc/loadavg")


def cgroup_cpu_limit(root: Path = CGROUP_ROOT) -> float | None:
    """The CPU quota of this process's cgroup in CPUs (1.5 = one and a half), or None if unlimited.

    Reads cgroup v2's ``cpu.max`` ("150000 100000" or "max 100000"), else cgroup v1's
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1 = unlimited).
    """
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cpus(root: Path = CGROUP_ROOT) -> int:
    """CPUs this process may run on: its affinity mask, capped by its cgroup's quota (at least 1).

    ``COURSE_THREADS`` set to a whole number overrides the detection.
    """
    override = config.whole_number(THREADS_ENV)
    if override is not None:
        return override
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        # A quota of 1.5 CPUs runs 2 threads at 75% each: round down, so no thread waits.
        cpus = min(cpus, math.floor(limit))
    return max(1, cpus)


def own_running(tasks: Path = Path("/proc/self/task")) -> int:
    """This process's threads that are running or waiting for a CPU now, the caller included."""
    running = 0
    for stat in tasks.glob("*/stat"):
        with contextlib.suppress(OSError, IndexError):
            running += stat.read_text().rsplit(")", 1)[1].split()[0] == "R"
    return max(1, running)


def running_elsewhere(loadavg: Path | None = None, reads: int = 5, pause: float = 0.002) -> int | None:
    """Threads of other processes running or waiting for a CPU right now, on the whole machine.

    ``/proc/loadavg``'s fourth field counts every such thread ("3/412": 3 runnable of 412); this
    process's own (the reader, and PyTorch threads still spinning after the last cell) are taken
    off. The median of a few reads ignores a process that only blinks. None where the file is missing.
    """
    counts = []
    for i in range(reads):
        try:
            counts.append(int((loadavg or LOADAVG).read_text().split()[3].split("/")[0]) - own_running())
        except (OSError, ValueError, IndexError):
            return None
        if i < reads - 1:
            time.sleep(pause)
    return max(0, sorted(counts)[len(counts) // 2])


def threads_for_load(usable: int | None = None, loadavg: Path | None = None) -> int:
    """The usable CPUs that nothing else is running on now (at least 1); ``COURSE_THREADS`` wins."""
    usable = usable_cpus() if usable is None else usable
    if config.whole_number(THREADS_ENV) is not None:
        return usable
    busy = running_elsewhere(loadavg)
    if busy is None:
        return usable
    return max(1, min(usable, (os.cpu_count() or usable) - busy))


_usable = 1  # what use_usable_cpus found: the most threads the hook below gives


def set_threads(n: int) -> None:
    """``n`` threads for PyTorch and for every other thread pool loaded so far: numpy's and scipy's
    OpenBLAS (whose idle threads spin, whatever ``OMP_WAIT_POLICY`` says) and scikit-learn's OpenMP."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n)
    threadpool_limits(n)


def _before_each_cell(*_info) -> None:
    """IPython's pre_run_cell hook: size the thread pools for the machine's load now."""
    set_threads(threads_for_load(_usable))


def use_usable_cpus() -> int:
    """Give PyTorch (and numpy's, scipy's, scikit-learn's pools) one thread per usable CPU, fewer while
    other programs keep CPUs busy (checked again before each cell in a notebook); return the usable count,
    the most it will use."""
    global _usable
    _usable = usable_cpus()
    set_threads(threads_for_load(_usable))
    with contextlib.suppress(ImportError):
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and _before_each_cell not in shell.events.callbacks["pre_run_cell"]:
            shell.events.register("pre_run_cell", _before_each_cell)
    return _usable


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` PyTorch threads (``None``: leave the count alone), then restore it."""
    import torch

    previous = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def wait_policy() -> str:
    """OpenMP's wait policy as this process was started with ("not set" means busy-waiting)."""
    return os.environ.get(WAIT_POLICY_ENV, "").strip() or "not set"  # OpenMP's variable, not the course's
