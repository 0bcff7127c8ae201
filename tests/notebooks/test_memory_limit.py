"""The memory limit the notebook tests run kernels under (tests/memory_limit.py) holds as a hub's does."""

from __future__ import annotations

import subprocess
import sys

import memory_limit
import pytest
from memory_limit import MemoryLimit

MIB = 1024**2
# Waits for a line, then fills that many MiB (writing every byte, so every page is charged), then exits.
FILL = "import sys; n = int(sys.stdin.readline()); block = b'x' * (n * 1024 * 1024); print(len(block))"


def run_in(limit: MemoryLimit, mib: int) -> subprocess.CompletedProcess:
    child = subprocess.Popen([sys.executable, "-c", FILL], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    limit.add(child.pid)
    out, _ = child.communicate(f"{mib}\n", timeout=60)
    return subprocess.CompletedProcess(child.args, child.returncode, out)


@pytest.fixture
def limit():
    made = MemoryLimit.create(256 * MIB)
    if isinstance(made, str):
        pytest.skip(made)
    yield made
    assert made.remove(), "the cgroup still has processes after its child exited"


def test_a_process_under_the_limit_runs_and_its_peak_is_read(limit):
    done = run_in(limit, 64)
    assert done.returncode == 0 and done.stdout.strip() == str(64 * MIB)
    assert 64 * MIB <= limit.peak() < 256 * MIB
    assert not limit.met_limit() and limit.oom_kills() == 0


def test_a_process_over_the_limit_is_killed_and_the_kill_is_counted(limit):
    done = run_in(limit, 512)
    assert done.returncode == -9, "the kernel's OOM killer ends it with SIGKILL, as on a hub"
    assert limit.oom_kills() >= 1 and limit.met_limit()


def test_where_no_cgroup_can_be_divided_the_reason_comes_back(monkeypatch):
    monkeypatch.setattr(memory_limit, "_own_group", lambda: None)
    reason = MemoryLimit.create(256 * MIB)
    assert isinstance(reason, str) and "cgroup" in reason
