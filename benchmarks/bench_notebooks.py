"""Execute each notebook in a fresh kernel; record wall time and peak kernel memory.

Usage: ``python benchmarks/bench_notebooks.py [NOTEBOOK ...] [--out benchmarks/results.md]``
(``make bench``). Peak memory is the largest resident set size of the kernel's process tree,
sampled every 50 ms. Results are written as a Markdown table with the machine description.
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

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
    backbone = os.environ.get("COURSE_BACKBONE") or "resnet50 (default)"
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {mem:.0f} GiB RAM; Python {platform.python_version()}, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads); vision backbone: {backbone}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.md")
    args = parser.parse_args()
    paths = args.notebooks or sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
    rows, over = [], []
    for path in paths:
        seconds, gib = bench(path)
        budget_s, budget_gib = BUDGETS.get(path.stem, (float("inf"), float("inf")))
        flag = "" if seconds <= budget_s and gib <= budget_gib else " OVER BUDGET"
        over += [path.stem] if flag else []
        rows.append(f"| {path.stem} | {seconds:.0f} s | {gib:.2f} GiB | {budget_s:.0f} s, {budget_gib} GiB{flag} |")
        print(rows[-1], flush=True)
    table = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} on: {machine()}",
            "",
            "| notebook | wall time | peak kernel memory | budget |",
            "|---|---|---|---|",
            *rows,
        ]
    )
    args.out.write_text(table + "\n")
    print(f"\nwritten to {args.out}")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
