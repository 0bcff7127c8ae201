"""Execute each notebook in a fresh kernel; record wall time and peak kernel memory.

Usage: ``python benchmarks/bench_notebooks.py [NOTEBOOK ...] [--config offline|resnet50-timing]``
(``make bench`` runs both configurations). Peak memory is the largest resident set size of the
kernel's process tree, sampled every 50 ms. Each configuration's Markdown table, with the
machine description, replaces its own section of ``benchmarks/results.md``.

Configurations:
- ``offline``: every notebook, vision on EfficientNet-Lite0 (what CI runs; real weights, every claim checked);
- ``resnet50-timing``: the notebooks that load the vision backbone, on ResNet-50 with random
  weights (``COURSE_TIMING_ONLY=1``): time and memory do not depend on the weights' values, and
  the notebooks report their accuracy claims as not checked instead of failing them.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]
# Budgets from each notebook's issue: (seconds, GiB of peak kernel memory).
BUDGETS = {
    "00_start_here": (120, 2.0),
    "01_epochs_and_batches": (120, 1.5),
    "02_resnet50_freezing": (180, 2.0),
    "03_bert_sentiment": (240, 2.0),
    "04_setfit_few_shot": (240, 2.0),
    "05_negative_transfer": (180, 1.5),
}
CONFIGS = {
    "offline": {
        "title": "Offline configuration (CI): vision on EfficientNet-Lite0, real weights",
        "env": {"COURSE_BACKBONE": "efficientnet_lite0", "COURSE_TIMING_ONLY": "0"},
        "budgets": {},
    },
    "resnet50-timing": {
        "title": "ResNet-50 configuration, timing only: random weights, accuracy claims not checked",
        "env": {"COURSE_BACKBONE": "resnet50", "COURSE_TIMING_ONLY": "1"},
        "budgets": {"02_resnet50_freezing": (360, 2.0)},
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

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.is_set():
            for child in me.children():
                try:
                    tree = [child, *child.children(recursive=True)]
                    self.peak = max(self.peak, sum(p.memory_info().rss for p in tree))
                except psutil.Error:
                    pass
            time.sleep(self.interval)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def bench(path: Path) -> tuple[float, float]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    sampler = PeakSampler()
    sampler.start()
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        seconds = time.perf_counter() - start
        peak = sampler.stop()
    return seconds, peak / 2**30


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    mem = psutil.virtual_memory().total / 2**30
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM; Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads); "
        f"vision backbone: {os.environ['COURSE_BACKBONE']}"
        + (" with RANDOM weights (timing only)" if os.environ.get("COURSE_TIMING_ONLY") == "1" else "")
    )


def replace_section(text: str, title: str, body: str) -> str:
    """``text`` with the ``## title`` section replaced by ``body`` (appended if absent)."""
    sections = [s for s in text.split("\n## ") if s.strip()] if text.startswith("## ") else []
    sections = [s.removeprefix("## ") for s in sections]
    new = f"{title}\n\n{body.strip()}\n"
    for i, section in enumerate(sections):
        if section.startswith(title + "\n"):
            sections[i] = new
            break
    else:
        sections.append(new)
    return "\n".join("## " + s.rstrip("\n") + "\n" for s in sections)


def run_config(name: str, paths: list[Path], out: Path) -> list[str]:
    """Bench ``paths`` under configuration ``name``; write its section of ``out``; return those over budget."""
    config = CONFIGS[name]
    os.environ.update(config["env"])  # kernels inherit this process's environment
    if name != "offline":
        paths = [p for p in paths if uses_backbone(p)]
    rows, over = [], []
    for path in paths:
        try:
            seconds, gib = bench(path)
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
            "| notebook | wall time | peak kernel memory | budget |",
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
    args = parser.parse_args()
    paths = args.notebooks or sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
    over = []
    for name in CONFIGS if args.config == "all" else [args.config]:
        print(f"== {CONFIGS[name]['title']}", flush=True)
        over += run_config(name, paths, args.out)
    print(f"\nwritten to {args.out}" + (f"; over budget or failed: {', '.join(over)}" if over else ""))
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
