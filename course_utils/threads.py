"""How many threads PyTorch should use: the CPUs this process may really run on.

PyTorch sizes its thread pool from the machine's core count. A JupyterHub container often may
use only one or two of a node's cores (a CPU quota), and in a classroom several kernels share
the same cores. With more threads than usable CPUs, every parallel operation waits for a thread
that is not running; OpenMP's default wait is a busy spin, which burns the very CPU the missing
thread needs. Small operations in tight training loops suffer most: on a 2-core machine shared
with two busy processes they ran 5-7x slower instead of about 2x.

Two settings fix it, and the notebooks call :func:`use_usable_cpus` for the first:
- one thread per CPU the process may use (its affinity mask, capped by a cgroup CPU quota);
- ``OMP_WAIT_POLICY=PASSIVE``: idle OpenMP threads sleep instead of spinning. OpenMP reads it
  when PyTorch is imported, so it has to be in the kernel's environment before that: ``make lab``,
  the tests and the benchmarks set it; hub admins set it in the spawner (docs/instructors.md).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from pathlib import Path

from . import config

THREADS_ENV = "COURSE_THREADS"  # a whole number overrides the detected count
WAIT_POLICY_ENV = "OMP_WAIT_POLICY"
CGROUP_ROOT = Path("/sys/fs/cgroup")


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


def use_usable_cpus() -> int:
    """Give PyTorch one thread per usable CPU; return that number."""
    import torch

    threads = usable_cpus()
    torch.set_num_threads(threads)
    return threads


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
