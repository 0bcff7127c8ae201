"""Execute each notebook in a fresh kernel; record wall time and peak kernel memory.

Usage: ``python benchmarks/bench_notebooks.py [NOTEBOOK ...] [--config offline|resnet50-timing]
[--load N] [--twice] [--profile] [--keep DIR]`` (``make bench`` runs both configurations, once and with Run
All twice; ``make bench-busy`` every notebook with and without load; ``make bench-twice`` Run All twice
only). Peak memory is the kernel's true
peak: the maximum resident set size the operating system recorded for the kernel process
(``getrusage``), or that of its largest child process if higher; a 50 ms sampler of the whole
process tree is kept as a cross-check (sampling misses short peaks), and the table shows the largest of the three. Each
configuration's Markdown table, with the machine description, replaces its own section of
``benchmarks/results.md``; ``--profile`` also writes a per-cell table to ``benchmarks/profiles/``,
and ``--keep DIR`` the executed notebooks, outputs included (what each run printed: accuracies,
claims).

The machine line of each table includes a one-thread matrix-multiply speed measured before the
notebooks run: the course's machines share their hosts and their speed varies from day to day
(the same notebook took 32 s one day and 91 s another), so times are comparable only between
tables whose calibration figures are close.

``--load N`` measures a busy machine, as on a shared hub or a classroom server: each notebook runs
alone, then again beside N processes that burn a CPU each, and the table gives both times and
their ratio (the target: at most 2.5x with two burners on two cores, about a fair share). Each run
is both of the test suite's passes: every cell, then every cell but the ``heavy`` ones again, as a
learner re-runs cells after editing them.

``--twice`` runs each notebook's code cells twice in one kernel, as a learner who presses Run All
again without restarting does (heavy cells included): the table gives both passes' times and the
kernel's true peak after the first pass and after both (target: 1.9 GiB, which leaves a learner with
2 GiB room for the Jupyter server). Without ``--config`` both configurations run; with ``--profile``
each notebook's per-cell table of both passes goes to ``benchmarks/profiles/<notebook>-twice.md``.

Configurations:
- ``offline``: every notebook, vision on EfficientNet-Lite0 (what CI runs; real weights, every claim checked);
- ``resnet50-timing``: the notebooks that load the vision backbone, on ResNet-50 with random
  weights (``COURSE_TIMING_ONLY=1``): time and memory do not depend on the weights' values, and
  the notebooks report their accuracy claims as not checked instead of failing them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]
BUSY_TARGET = 2.5  # slowdown beside two CPU burners on two cores: about the fair share
# Run All twice without a restart: the kernel's peak, leaving a 2 GiB learner ~0.1 GiB for the Jupyter server.
TWICE_TARGET = 1.9
HEAVY = "heavy"  # the cell tag the test suite's second pass leaves out (tests/nbval_second_run.py)
# Budgets from each notebook's issue: (seconds, GiB of peak kernel memory).
BUDGETS = {
    "00_start_here": (120, 2.0),
    "01_epochs_and_batches": (120, 1.5),
    "02_resnet50_freezing": (180, 2.0),
    "03_bert_sentiment": (240, 2.0),
    "04_setfit_few_shot": (300, 2.0),  # raised from 240 s for the larger encoder (all-mpnet-base-v2)
    "05_negative_transfer": (180, 1.5),
    "06_domain_adaptation": (240, 2.0),
    "07_cpu_deployment": (240, 2.0),
    "08_your_own_data": (240, 2.0),
    "09_parameter_efficient": (240, 2.0),
}
CONFIGS = {
    "offline": {
        "title": "Offline configuration (CI): vision on EfficientNet-Lite0, real weights",
        "short": "offline configuration",
        "env": {"COURSE_BACKBONE": "efficientnet_lite0", "COURSE_TIMING_ONLY": "0"},
        "budgets": {},
    },
    "resnet50-timing": {
        "title": "ResNet-50 configuration, timing only: random weights, accuracy claims not checked",
        "short": "ResNet-50 configuration, timing only",
        "env": {"COURSE_BACKBONE": "resnet50", "COURSE_TIMING_ONLY": "1"},
        # 05 runs ResNet-50 over 400 images in section 6 and about 25 s of hands-on
        # exercises: 197 s on 2026-11-27 (a slow day), within the course's 240 s per notebook.
        "budgets": {"02_resnet50_freezing": (360, 2.0), "05_negative_transfer": (240, 1.5)},
    },
}


def uses_backbone(path: Path) -> bool:
    """Whether a notebook loads the vision backbone (only those change with the configuration)."""
    return "load_backbone(" in path.read_text()


class PeakSampler(threading.Thread):
    """Polls the RSS of every child process tree of this process; keeps the maximum."""

    def __init__(self, interval: float = 0.05):
        super().__init__(daemon=True)
        self.interval, self.peak, self._done = interval, 0, threading.Event()
        self.samples: list[tuple[float, int]] = []  # (time.time(), bytes): for the per-cell profile

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.is_set():
            for child in me.children():
                try:
                    tree = [child, *child.children(recursive=True)]
                    rss = sum(p.memory_info().rss for p in tree)
                    self.peak = max(self.peak, rss)
                    self.samples.append((time.time(), rss))
                except psutil.Error:
                    pass
            time.sleep(self.interval)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


# Appended to every benchmarked notebook: the kernel reports its own true peak (Linux: KiB), and
# that of the largest child process it waited for (forked workers count their shared pages again).
MAXRSS_CELL = """import resource as _r
print("MAXRSS_KIB", _r.getrusage(_r.RUSAGE_SELF).ru_maxrss, _r.getrusage(_r.RUSAGE_CHILDREN).ru_maxrss)"""


# With --twice, after the first pass: the time and the kernel's own peak so far, then every code cell again.
PASS_CELL = """import resource as _r, time as _t
print("FIRST_PASS", _t.perf_counter(), _r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"""
START_CELL = """import time as _t
print("START", _t.perf_counter())"""
FIRST_PASS: dict[str, tuple[float, float]] = {}  # notebook stem -> (seconds, GiB) of its last --twice run


def bench(
    path: Path, profile: Path | None = None, keep: Path | None = None, again: str | None = None
) -> tuple[float, float]:
    """Run ``path`` in a fresh kernel; return (seconds, true peak kernel memory in GiB).

    With ``profile``, also write a per-cell table there: seconds and the largest sampled RSS.
    With ``keep`` (a folder), also save the executed notebook there.
    With ``again``, run code cells a second time after the first pass: ``"all"`` every one, as Run All
    pressed twice without a restart does; ``"light"`` all but the ``heavy`` ones, as the test suite's
    second pass does. The result covers both passes. ``FIRST_PASS`` keeps the first pass's time inside
    the kernel (without the kernel's start) and its peak, with or without ``again``.
    """
    nb = nbformat.read(path, as_version=4)
    code = [
        nbformat.v4.new_code_cell(c.source)
        for c in nb.cells
        if again and c.cell_type == "code" and (again == "all" or HEAVY not in c.metadata.get("tags", []))
    ]
    first_pass_at = 1 + len(nb.cells)  # the index of PASS_CELL
    nb.cells = [nbformat.v4.new_code_cell(START_CELL), *nb.cells, nbformat.v4.new_code_cell(PASS_CELL), *code]
    nb.cells.append(nbformat.v4.new_code_cell(MAXRSS_CELL))
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    sampler = PeakSampler()
    sampler.start()
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        seconds = time.perf_counter() - start
        sampled = sampler.stop() / 2**30
        if keep is not None:  # also after a failure: the saved outputs show where it stopped
            keep.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, keep / path.name)
    text = "".join(out.get("text", "") for out in nb.cells[-1].outputs)
    own, child = (int(v) / 2**20 for v in text.split("MAXRSS_KIB")[1].split()[:2])

    def printed(cell) -> list[str]:
        return "".join(out.get("text", "") for out in cell.outputs).split()

    started = float(printed(nb.cells[0])[1])
    ended, kib = (float(v) for v in printed(nb.cells[first_pass_at])[1:3])
    FIRST_PASS[path.stem] = (ended - started, kib / 2**20)
    true_peak = max(own, child)  # the tree's peak at one moment is at least the larger of the two
    print(
        f"   {path.stem}: kernel's true peak {own:.2f} GiB, largest child {child:.2f} GiB, "
        f"sampled tree {sampled:.2f} GiB; first pass in the kernel {FIRST_PASS[path.stem][0]:.1f} s",
        flush=True,
    )
    if profile is not None:
        profile.write_text(cell_profile(path, nb, sampler.samples, seconds, true_peak))
    return seconds, max(true_peak, sampled)


def cell_profile(path: Path, nb, samples: list[tuple[float, int]], seconds: float, true_peak: float) -> str:
    """Markdown: for each code cell, its wall time and the largest kernel RSS sampled while it ran."""
    rows = []
    for index, cell in enumerate(nb.cells[:-1]):  # the last cell is the bench's own
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or "shell.execute_reply" not in timing:
            continue
        begin = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00")).timestamp()
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00")).timestamp()
        during = [rss for t, rss in samples if begin <= t <= end]
        rss = f"{max(during) / 2**30:.2f}" if during else "-"  # over before the next 50 ms sample
        first = next((line for line in cell.source.splitlines() if line.strip()), "").replace("|", "\\|")[:70]
        rows.append(f"| {index} | {end - begin:.1f} | {rss} | `{first}` |")
    return "\n".join(
        [
            f"# Per-cell profile of {path.name}",
            "",
            f"Measured {time.strftime('%Y-%m-%d')} by `bench_notebooks.py --profile` on: {machine()}.",
            f"Whole notebook: {seconds:.0f} s, true peak kernel memory {true_peak:.2f} GiB. Per cell: wall",
            "time from the kernel's own timestamps, and the largest kernel RSS sampled every 50 ms while",
            "it ran (a sampled value: it can miss peaks shorter than 50 ms).",
            "",
            "| cell | seconds | RSS GiB | first line |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def _burn() -> None:
    while True:
        pass


class Load:
    """``n`` processes that each keep one CPU busy while the ``with`` block runs."""

    def __init__(self, n: int):
        self.n, self.procs = n, []

    def __enter__(self) -> Load:
        ctx = multiprocessing.get_context("spawn")
        self.procs = [ctx.Process(target=_burn, daemon=True) for _ in range(self.n)]
        for proc in self.procs:
            proc.start()
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            proc.terminate()
            proc.join()


def run_busy(paths: list[Path], n: int, out: Path) -> list[str]:
    """Each notebook alone, then beside ``n`` CPU burners, both passes of the test suite each time (every
    cell, then all but the heavy ones again); write the ratio table; return those over 2.5x.

    Threads are the course's: one per usable CPU, fewer before a cell while other programs keep CPUs busy
    (``course_utils.threads``), unless ``COURSE_THREADS`` fixes them; the table's machine line says which.
    """
    os.environ.update(CONFIGS["offline"]["env"])
    rows, over = [], []
    for path in paths:
        os.environ["COURSE_STRICT_TIMING"] = "1"  # alone, the timing claims must hold
        alone, alone_gib = bench(path, again="light")
        alone_first = FIRST_PASS[path.stem][0]
        os.environ["COURSE_STRICT_TIMING"] = "0"  # beside the load they may not: a busy run measures times
        with Load(n):
            busy, _ = bench(path, again="light")
        busy_first = FIRST_PASS[path.stem][0]
        os.environ["COURSE_STRICT_TIMING"] = "1"
        ratio = busy / alone
        flag = "" if ratio <= BUSY_TARGET else " OVER TARGET"
        over += [f"busy: {path.stem}"] if flag else []
        times = " | ".join(f"{t:.0f} s" for t in (alone_first, alone, busy_first, busy))
        rows.append(f"| {path.stem} | {times} | {ratio:.2f}x{flag} | {alone_gib:.2f} GiB |")
        print(rows[-1], flush=True)
    title = (
        f"Busy machine, both passes: each notebook alone, then beside {n} CPU-burning processes (offline configuration)"
    )
    settings = (
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'not set')}; "
        f"COURSE_THREADS={os.environ.get('COURSE_THREADS') or 'not set (fewer threads while CPUs are busy)'}; "
        "second pass: every cell but the heavy ones, as in the test suite; "
        f"target: both passes at most {BUSY_TARGET}x"
    )
    columns = [
        "notebook",
        *("alone, first pass", "alone, both", "busy, first pass", "busy, both", "slowdown, both"),
        "kernel peak, both passes alone",
    ]
    write_table(out, title, columns, rows, settings)
    return over


def run_twice(paths: list[Path], out: Path, config: str = "offline", profiles: Path | None = None) -> list[str]:
    """Each notebook's Run All pressed twice in one kernel, heavy cells included; write the table of both
    passes' times and peaks; return those whose peak after both passes is over ``TWICE_TARGET``.

    With ``profiles``, also write each notebook's per-cell table of both passes there (``<notebook>-twice.md``,
    ``-twice-resnet50-timing.md`` on that configuration).
    """
    os.environ.update(CONFIGS[config]["env"])
    if config != "offline":
        paths = [p for p in paths if uses_backbone(p)]
    rows, over = [], []
    for path in paths:
        suffix = "-twice" if config == "offline" else f"-twice-{config}"
        profile = profiles / f"{path.stem}{suffix}.md" if profiles else None
        both, gib = bench(path, profile, again="all")
        first, first_gib = FIRST_PASS[path.stem]
        flag = "" if gib <= TWICE_TARGET else " OVER TARGET"
        over += [f"twice ({config}): {path.stem}"] if flag else []
        rows.append(f"| {path.stem} | {first:.0f} s | {both:.0f} s | {first_gib:.2f} GiB | {gib:.2f} GiB{flag} |")
        print(rows[-1], flush=True)
    title = f"Run All twice without a restart ({CONFIGS[config]['short']})"
    columns = ["notebook", "first pass", "both passes", "kernel peak, first pass", "kernel peak, both passes"]
    write_table(out, title, columns, rows, f"target: both passes at most {TWICE_TARGET} GiB")
    return over


def write_table(out: Path, title: str, columns: list[str], rows: list[str], settings: str = "") -> None:
    """Replace the ``## title`` section of ``out`` with today's machine line and the table, keeping the
    rows of notebooks not re-run."""
    text = out.read_text() if out.exists() else ""
    body = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} on: {machine()}" + (f"; {settings}" if settings else ""),
            "",
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
            *merge_rows(section_rows(text, title), rows),
        ]
    )
    out.write_text(replace_section(text, title, body))


CALIBRATION = {"gflops": float("nan")}


def calibrate(size: int = 1024, repeats: int = 30) -> float:
    """One thread's float32 matrix-multiply speed in GFLOP/s: a yardstick for this machine's speed today."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b = torch.randn(size, size), torch.randn(size, size)
        for _ in range(3):  # warm up
            a @ b
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9
    finally:
        torch.set_num_threads(threads)


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM; Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads); "
        f"calibration: {CALIBRATION['gflops']:.0f} GFLOP/s float32 matmul on one thread; "
        f"vision backbone: {os.environ['COURSE_BACKBONE']}"
        + (" with RANDOM weights (timing only)" if os.environ.get("COURSE_TIMING_ONLY") == "1" else "")
    )


def replace_section(text: str, title: str, body: str) -> str:
    """``text`` with the ``## title`` section replaced by ``body`` (appended if absent).

    Whatever comes before the first section (the page's ``#`` title and its introduction) is kept.
    """
    preamble, found, rest = text.partition("## ") if text.startswith("## ") else text.partition("\n## ")
    if not found:
        preamble, rest = text, ""
    sections = [s for s in rest.split("\n## ") if s.strip()]
    new = f"{title}\n\n{body.strip()}\n"
    for i, section in enumerate(sections):
        if section.startswith(title + "\n"):
            sections[i] = new
            break
    else:
        sections.append(new)
    body_text = "\n".join("## " + s.rstrip("\n") + "\n" for s in sections)
    return f"{preamble.rstrip()}\n\n{body_text}" if preamble.strip() else body_text


def run_config(
    name: str, paths: list[Path], out: Path, profiles: Path | None = None, keep: Path | None = None
) -> list[str]:
    """Bench ``paths`` under configuration ``name``; write its section of ``out``; return those over budget.

    With ``profiles``, the offline configuration also writes each notebook's per-cell table there.
    """
    config = CONFIGS[name]
    os.environ.update(config["env"])  # kernels inherit this process's environment
    if name != "offline":
        paths = [p for p in paths if uses_backbone(p)]
    rows, over = [], []
    for path in paths:
        try:
            profile = profiles / f"{path.stem}.md" if profiles and name == "offline" else None
            seconds, gib = bench(path, profile, keep / name if keep else None)
            failed = ""
        except CellExecutionError as exc:  # report it and go on: one broken notebook must not hide the rest
            print(str(exc)[-2000:], file=sys.stderr)
            seconds, gib, failed = float("nan"), float("nan"), " FAILED (a cell raised; see the log)"
        budget_s, budget_gib = config["budgets"].get(path.stem) or BUDGETS.get(path.stem, (float("inf"),) * 2)
        flag = failed or ("" if seconds <= budget_s and gib <= budget_gib else " OVER BUDGET")
        over += [f"{name}: {path.stem}"] if flag else []
        rows.append(f"| {path.stem} | {seconds:.0f} s | {gib:.2f} GiB | {budget_s:.0f} s, {budget_gib} GiB{flag} |")
        print(rows[-1], flush=True)
    text = out.read_text() if out.exists() else ""
    body = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} on: {machine()}",
            "",
            "| notebook | wall time | peak kernel memory (true peak) | budget |",
            "|---|---|---|---|",
            *merge_rows(section_rows(text, config["title"]), rows),
        ]
    )
    out.write_text(replace_section(text, config["title"], body))
    return over


def section_rows(text: str, title: str) -> list[str]:
    """The table rows already in the ``## title`` section of ``text``."""
    _, found, rest = text.partition(f"## {title}\n")
    section = rest.split("\n## ")[0] if found else ""
    return [line for line in section.splitlines() if line.startswith("| 0")]


def merge_rows(old: list[str], new: list[str]) -> list[str]:
    """Rows by notebook, the new ones replacing old ones: re-running one notebook keeps the others."""
    by_name = {row.split("|")[1].strip(): row for row in [*old, *new]}
    return [by_name[name] for name in sorted(by_name)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--config", choices=[*CONFIGS, "all"], default="all")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.md")
    parser.add_argument("--load", type=int, default=0, help="also run each notebook beside N CPU burners")
    parser.add_argument("--twice", action="store_true", help="Run All twice in one kernel: both passes' times, peaks")
    parser.add_argument("--profile", action="store_true", help="write benchmarks/profiles/<notebook>.md per cell")
    parser.add_argument("--keep", type=Path, help="save each executed notebook, outputs included, under this folder")
    args = parser.parse_args()
    paths = args.notebooks or sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # kernels inherit it, as under make, the tests, a hub
    os.environ.setdefault("COURSE_STRICT", "1")  # every claim is strict in benchmarks, as in CI
    profiles = REPO / "benchmarks" / "profiles" if args.profile else None
    if profiles:
        profiles.mkdir(exist_ok=True)
    CALIBRATION["gflops"] = calibrate()
    print(f"calibration: {CALIBRATION['gflops']:.0f} GFLOP/s float32 matmul on one thread", flush=True)
    if args.twice:
        over = []
        for name in CONFIGS if args.config == "all" else [args.config]:
            print(f"== Run All twice: {CONFIGS[name]['title']}", flush=True)
            over += run_twice(paths, args.out, name, profiles)
        print(f"\nwritten to {args.out}" + (f"; over target: {', '.join(over)}" if over else ""))
        return 1 if over else 0
    if args.load:
        over = run_busy(paths, args.load, args.out)
        print(f"\nwritten to {args.out}" + (f"; over target: {', '.join(over)}" if over else ""))
        return 1 if over else 0
    over = []
    for name in CONFIGS if args.config == "all" else [args.config]:
        print(f"== {CONFIGS[name]['title']}", flush=True)
        over += run_config(name, paths, args.out, profiles, args.keep)
    print(f"\nwritten to {args.out}" + (f"; over budget or failed: {', '.join(over)}" if over else ""))
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
