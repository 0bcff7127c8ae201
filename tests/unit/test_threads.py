"""Thread sizing: one PyTorch thread per CPU the process may use, never more (issue 21)."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import REPO

from course_utils import threads
from course_utils.errors import ParameterError


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("files", "limit"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),  # cgroup v2 with a quota
        ({"cpu.max": "max 100000\n"}, None),  # cgroup v2, unlimited
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),  # cgroup v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),  # v1, unlimited
        ({}, None),  # no cgroup files at all (macOS, Windows)
        ({"cpu.max": "garbage\n"}, None),
    ],
)
def test_cgroup_cpu_limit(tmp_path, files, limit):
    for name, text in files.items():
        write(tmp_path / name, text)
    assert threads.cgroup_cpu_limit(tmp_path) == limit


def test_a_quota_caps_the_threads_rounding_down(tmp_path, monkeypatch):
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    write(tmp_path / "cpu.max", "150000 100000\n")  # 1.5 CPUs: 2 threads would each wait
    assert threads.usable_cpus(tmp_path) == 1
    write(tmp_path / "cpu.max", "50000 100000\n")  # half a CPU: still one thread
    assert threads.usable_cpus(tmp_path) == 1


def test_without_a_quota_the_affinity_mask_decides(tmp_path, monkeypatch):
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    assert threads.usable_cpus(tmp_path) == len(os.sched_getaffinity(0))


def test_the_override_wins_and_bad_values_are_named(tmp_path, monkeypatch):
    monkeypatch.setenv(threads.THREADS_ENV, "3")
    assert threads.usable_cpus(tmp_path) == 3
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv(threads.THREADS_ENV, bad)
        with pytest.raises(ParameterError, match=threads.THREADS_ENV):
            threads.usable_cpus(tmp_path)


def test_use_usable_cpus_sets_torch(monkeypatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setenv(threads.THREADS_ENV, "1")
    try:
        assert threads.use_usable_cpus() == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_doctor_shows_the_thread_count_and_wait_policy(monkeypatch):
    from course_utils import doctor

    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    monkeypatch.setenv(threads.WAIT_POLICY_ENV, "PASSIVE")
    row = doctor._threads_row()
    assert row.ok and f"use {threads.usable_cpus()}" in row.value and "PASSIVE" in row.value
    monkeypatch.delenv(threads.WAIT_POLICY_ENV)
    assert "set it to PASSIVE" in doctor._threads_row().value
    monkeypatch.setenv(threads.THREADS_ENV, "lots")
    row = doctor._threads_row()
    assert not row.ok and threads.THREADS_ENV in row.value


def test_make_gives_every_kernel_the_passive_wait_policy():
    env = {k: v for k, v in os.environ.items() if k != threads.WAIT_POLICY_ENV}
    shown = subprocess.run(
        ["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "show"],
        input="show:\n\t@echo $$OMP_WAIT_POLICY\n",
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == "PASSIVE"


def test_torch_threads_sets_the_count_for_the_block_and_restores_it():
    import torch

    before = torch.get_num_threads()
    with threads.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with threads.torch_threads(None):
        assert torch.get_num_threads() == before


def test_fit_trains_a_small_model_on_one_thread_and_a_large_one_on_all():
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from course_utils.train import SMALL_MODEL, fit

    seen = []

    def loss_fn(logits, y):
        seen.append(torch.get_num_threads())
        return nn.functional.cross_entropy(logits, y)

    data = DataLoader(TensorDataset(torch.randn(8, 4), torch.tensor([0, 1] * 4)), batch_size=4)
    torch.set_num_threads(2)
    small = nn.Linear(4, 2)
    fit(small, data, epochs=1, optimizer=torch.optim.SGD(small.parameters(), lr=0.1), loss_fn=loss_fn, progress=False)
    large = nn.Sequential(nn.Linear(4, SMALL_MODEL // 4), nn.Linear(SMALL_MODEL // 4, 2))
    fit(large, data, epochs=1, optimizer=torch.optim.SGD(large.parameters(), lr=0.1), loss_fn=loss_fn, progress=False)
    assert seen == [1, 1, 2, 2]
    assert torch.get_num_threads() == 2


def loadavg(tmp_path, running: int):
    path = tmp_path / "loadavg"
    path.write_text(f"1.93 1.20 0.84 {running}/412 40123\n")
    return path


def test_this_process_counts_at_least_its_reading_thread():
    assert threads.own_running() >= 1


def test_other_running_threads_are_read_from_proc_loadavg(tmp_path, monkeypatch):
    monkeypatch.setattr(threads, "own_running", lambda: 1)
    assert threads.running_elsewhere(loadavg(tmp_path, 3), pause=0) == 2  # the reader is one of the three
    monkeypatch.setattr(threads, "own_running", lambda: 3)  # its own threads still spinning: not elsewhere
    assert threads.running_elsewhere(loadavg(tmp_path, 3), pause=0) == 0
    assert threads.running_elsewhere(loadavg(tmp_path, 1), pause=0) == 0
    assert threads.running_elsewhere(tmp_path / "missing", pause=0) is None  # macOS, Windows: no such file


@pytest.mark.parametrize(("running", "cpus", "usable", "expected"), [(1, 2, 2, 2), (2, 2, 2, 1), (3, 2, 2, 1),
                                                                     (3, 64, 2, 2), (63, 64, 4, 2)])  # fmt: skip
def test_busy_cpus_take_threads_away_down_to_one(tmp_path, monkeypatch, running, cpus, usable, expected):
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    monkeypatch.setattr(threads, "own_running", lambda: 1)
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert threads.threads_for_load(usable, loadavg(tmp_path, running)) == expected


def test_the_override_also_wins_over_the_load(tmp_path, monkeypatch):
    monkeypatch.setenv(threads.THREADS_ENV, "2")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert threads.threads_for_load(2, loadavg(tmp_path, 5)) == 2


def test_a_notebook_resizes_the_threads_before_each_cell(tmp_path, monkeypatch):
    import IPython
    import torch
    from IPython.core.events import EventManager, available_events

    class Shell:
        def __init__(self):
            self.events = EventManager(self, available_events)

    shell, before = Shell(), torch.get_num_threads()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    monkeypatch.setattr(threads, "usable_cpus", lambda: 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(threads, "own_running", lambda: 1)
    monkeypatch.setattr(threads, "LOADAVG", loadavg(tmp_path, 1))  # nothing else running
    try:
        assert threads.use_usable_cpus() == 2 and torch.get_num_threads() == 2
        threads.use_usable_cpus()  # the first cell run again: still one hook
        assert shell.events.callbacks["pre_run_cell"].count(threads._before_each_cell) == 1
        monkeypatch.setattr(threads, "LOADAVG", loadavg(tmp_path, 3))  # two busy programs start
        shell.events.trigger("pre_run_cell", None)
        assert torch.get_num_threads() == 1
        monkeypatch.setattr(threads, "LOADAVG", loadavg(tmp_path, 1))  # and stop
        shell.events.trigger("pre_run_cell", None)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
