"""A classroom on one machine: N learners run the same heavy notebook at once through a real JupyterHub.

    python benchmarks/bench_hub.py [--users 4] [--notebook notebooks/04_setfit_few_shot.ipynb]

First one learner runs the notebook alone, then N learners start it together. For each learner:
wall time, slowdown against the learner alone, and the true peak memory (VmHWM) of their server
and kernel; for the hub: the peak memory of the hub and proxy processes. The table goes to
benchmarks/hub.md (``--out``), which docs/instructors.md quotes for users per core and memory per
user. The hub is tests/hub_harness.py's: deploy/jupyterhub_config.py with a test overlay. Kernels
keep the course's thread settings (each sizes PyTorch's threads to the CPUs it may use, with
OMP_WAIT_POLICY=PASSIVE). Run it on an otherwise idle machine: it measures time.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from bench_notebooks import calibrate  # noqa: E402
from hub_harness import NotebookRun, course_repo, leftovers, running_hub, vm_hwm  # noqa: E402

GIB = 1 << 30
ASSETS = ["hymenoptera", "sst2", "all-MiniLM-L6-v2", "mnist-5k", "crowdflower-sentiment", "efficientnet-lite0-imagenet"]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def fill_shared(folder: Path) -> None:
    """The admin's step: the assets, verified, into a folder the hub's users only read."""
    done = subprocess.run(
        [sys.executable, "-m", "course_utils", "fetch", *ASSETS, "--dest", str(folder), "--quiet"],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"bench_hub: could not fill the shared folder:\n{done.stderr}")


def class_run(
    shared: Path, root: Path, users: list[str], notebook: str, environment: dict
) -> tuple[list[NotebookRun], dict]:
    """Every user starts ``notebook`` at the same moment; returns their runs and the hub's own peaks."""
    repo, branch = course_repo(root)
    runs: list[NotebookRun] = []
    failures: list[str] = []
    with running_hub(root / "hub", shared, users, environment) as hub:
        hub.create_users(users)
        spawned = hub.spawn(users)
        for name in users:
            hub.git_pull(name, repo, branch, "course")

        def learner(name: str) -> None:
            try:
                runs.append(hub.run_notebook(name, f"course/{notebook}", timeout=3600))
            except Exception as exc:  # noqa: BLE001  (reported below)
                failures.append(f"{name}: {exc!r}")

        threads = [threading.Thread(target=learner, args=(name,)) for name in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        proxy = int((hub.root / "proxy.pid").read_text())
        overhead = {"hub": vm_hwm(hub.process.pid), "proxy": vm_hwm(proxy), "spawn": max(spawned.values())}
    if failures or any(run.errors for run in runs):
        sys.exit(f"bench_hub: a learner's run failed: {failures or [run.errors for run in runs]}")
    left = leftovers(hub)
    if left:
        sys.exit(f"bench_hub: left running after the hub stopped: {left}")
    return sorted(runs, key=lambda r: r.user), overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--notebook", default="notebooks/04_setfit_few_shot.ipynb")
    parser.add_argument("--threads", type=int, help="COURSE_THREADS for every kernel (default: the course's choice)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "hub.md")
    args = parser.parse_args()
    environment = {"COURSE_THREADS": str(args.threads)} if args.threads else {}
    gflops = calibrate()  # on the idle machine, before any server starts

    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        tmp_path = Path(tmp)
        shared = tmp_path / "course-assets"
        fill_shared(shared)
        alone, _ = class_run(shared, tmp_path / "alone", ["solo"], args.notebook, environment)
        together, overhead = class_run(shared, tmp_path / "class", [f"learner{i + 1}" for i in range(args.users)],
                                       args.notebook, environment)  # fmt: skip

    base = alone[0].seconds
    name = Path(args.notebook).stem
    cores = len(os.sched_getaffinity(0))
    threads = f"COURSE_THREADS={args.threads}" if args.threads else "the course's thread settings"
    lines = [
        f"## {args.users} learners, {name}, {threads}",
        "",
        f"Made by `make bench-hub` (benchmarks/bench_hub.py) on {datetime.date.today()}: {cpu_model()}, "
        f"{cores} cores, {psutil.virtual_memory().total / GIB:.0f} GiB, {gflops:.0f} GFLOP/s float32 matmul on one "
        f"thread (bench_notebooks.py's calibration); notebook `{name}`, offline backbone.",
        (
            f"Every kernel runs {args.threads} PyTorch thread(s) (COURSE_THREADS={args.threads})"
            if args.threads
            else "Each kernel keeps the course's thread settings: PyTorch's threads sized to the CPUs "
            "the kernel may use (here all of them)"
        )
        + ", idle threads sleeping (OMP_WAIT_POLICY=PASSIVE).",
        "Memory is each process's true peak (VmHWM); a learner's figure adds their server's and their kernel's.",
        "",
        "| learner | wall time | slowdown vs alone | server + kernel peak |",
        "|---|---|---|---|",
        f"| alone | {base:.0f} s | 1.00x | {(alone[0].server_peak + alone[0].kernel_peak) / GIB:.2f} GiB |",
    ]
    lines += [
        f"| {run.user} | {run.seconds:.0f} s | {run.seconds / base:.2f}x | "
        f"{(run.server_peak + run.kernel_peak) / GIB:.2f} GiB |"
        for run in together
    ]
    slowest = max(run.seconds for run in together)
    lines += [
        "",
        f"- {args.users} learners on {cores} cores: the last finished after {slowest:.0f} s, "
        f"{slowest / base:.2f}x the time alone ({args.users / cores:.1f} learners per core).",
        f"- Hub overhead: the hub process peaked at {overhead['hub'] / GIB:.2f} GiB and the proxy at "
        f"{overhead['proxy'] / GIB:.2f} GiB; all {args.users} servers were ready {overhead['spawn']:.1f} s "
        "after the spawn requests.",
        "",
    ]
    write_section(args.out, "\n".join(lines))
    print("\n".join(lines))


HEADER = """# A classroom on one machine, through a real JupyterHub

`make bench-hub` (benchmarks/bench_hub.py): one learner runs a notebook alone, then several start it
at the same moment, each in their own server's kernel, on the hub of tests/hub_harness.py. Each run
replaces its own section; docs/instructors.md quotes these figures.
"""


def write_section(out: Path, section: str) -> None:
    """Replace the section with this title in ``out`` (or add it), keeping the other runs' sections."""
    text = out.read_text() if out.exists() else HEADER
    title = section.splitlines()[0]
    parts = re.split(r"(?m)^(?=## )", text)
    kept = [part for part in parts if part.splitlines()[:1] != [title]]
    out.write_text("".join(kept).rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
