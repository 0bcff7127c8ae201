"""A memory limit for one process, as a hub enforces it: a Linux memory cgroup (course issue 40).

A hub's per-learner limit (systemd or Kubernetes) is a memory cgroup: it charges the learner's
processes for their anonymous memory and for the file pages they are first to bring into memory,
reclaims file pages at the limit, and kills a kernel only when nothing more can be reclaimed. A
process's resident set (RSS, VmHWM) counts instead every file page it maps, torch's libraries
included, which all processes on the machine share; and a process maps more of those pages when pip
has just written the files: the same notebook's RSS read 190-300 MiB higher in a freshly installed
environment than once its files had been read back from disk (benchmarks/results.md). The charge is
what decides whether a learner's kernel is killed, so the notebook tests run each kernel under such
a limit and report both.

Needs write access to the cgroup tree (root in CI's container, cgroup v1, or v2 where the memory
controller is delegated); elsewhere ``MemoryLimit.create`` returns the reason instead.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
_names = itertools.count()


def _own_group() -> tuple[Path, int] | None:
    """The memory cgroup folder this process is in, and the cgroup version (1 or 2)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return ROOT / "memory" / path.lstrip("/"), 1
    for line in lines:
        if line.startswith("0::"):
            folder = ROOT / line[3:].lstrip("/")
            controls = folder / "cgroup.subtree_control"
            if controls.exists() and "memory" in controls.read_text().split():
                return folder, 2
    return None


@dataclass
class MemoryLimit:
    """A child memory cgroup of this process's own, with a hard limit and no swap."""

    folder: Path
    version: int
    limit: int

    @classmethod
    def create(cls, limit: int) -> MemoryLimit | str:
        """A new cgroup limited to ``limit`` bytes, or the reason none could be made."""
        own = _own_group()
        if own is None:
            return "no memory cgroup this process may divide (cgroup v1's memory controller, or v2's delegated)"
        parent, version = own
        folder = parent / f"course-kernel-{os.getpid()}-{next(_names)}"
        try:
            folder.mkdir()
            if version == 1:
                (folder / "memory.limit_in_bytes").write_text(str(limit))
                with contextlib.suppress(OSError):  # no swap accounting: there is no swap to use either
                    (folder / "memory.memsw.limit_in_bytes").write_text(str(limit))
                with contextlib.suppress(OSError):  # what the kernel allocated before it moved in comes along
                    (folder / "memory.move_charge_at_immigrate").write_text("1")
            else:
                (folder / "memory.max").write_text(str(limit))
                with contextlib.suppress(OSError):  # absent without swap accounting
                    (folder / "memory.swap.max").write_text("0")
        except OSError as exc:
            with contextlib.suppress(OSError):
                folder.rmdir()
            return f"cannot make a memory cgroup in {parent}: {exc.strerror or exc}"
        return cls(folder, version, limit)

    def add(self, pid: int) -> None:
        """Move process ``pid`` (not its existing children) into the cgroup."""
        (self.folder / "cgroup.procs").write_text(str(pid))

    def _read(self, name: str) -> str:
        return (self.folder / name).read_text()

    def peak(self) -> int:
        """The most memory the cgroup was charged at once, in bytes."""
        return int(self._read("memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"))

    def met_limit(self) -> bool:
        """Whether the cgroup's charge ever reached its limit (memory was then reclaimed, or a process killed)."""
        return self.peak() >= self.limit

    def oom_kills(self) -> int:
        """Processes in the cgroup killed for want of memory."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        found = re.search(r"^oom_kill (\d+)", self._read(name), re.MULTILINE)
        return int(found.group(1)) if found else 0

    def remove(self) -> bool:
        """Delete the cgroup once its processes have exited; False while any remain."""
        try:
            self.folder.rmdir()
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return True
