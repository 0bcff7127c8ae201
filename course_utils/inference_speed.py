"""Measuring a model the way deployment sees it: speed per batch, size on disk, and the CPU it runs on.

One helper times every variant in notebook 07, so each row of its table is measured the same way:
the same inputs, warm-up runs first (the first calls pay for memory allocation, weight packing and
lazy initialisation), a fixed thread count, and the median of several repeats (a busy machine
makes single timings jump; the median ignores the odd slow one).
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ParameterError
from .threads import torch_threads


@dataclass(frozen=True)
class Speed:
    """Timings of one model on one batch: the median and spread of ``repeats`` runs."""

    items: int  # inputs in the batch (sentences, images)
    threads: int | None
    seconds: tuple[float, ...]  # one per repeat, for the whole batch

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def latency_ms(self) -> float:
        """Median time for the batch, in milliseconds (for a batch of one: one request's latency)."""
        return 1000 * self.median_s

    @property
    def throughput(self) -> float:
        """Items per second at this batch size (median run)."""
        return self.items / self.median_s

    @property
    def fastest_throughput(self) -> float:
        """Items per second in the fastest run. Other programs only ever add time, so to compare two
        models timed taking turns, their fastest runs are the fairest pair (as Python's timeit advises)."""
        return self.items / min(self.seconds)

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median: above ~0.3, something else was using the CPU."""
        return (max(self.seconds) - min(self.seconds)) / self.median_s

    def __str__(self) -> str:
        return (
            f"batch of {self.items}: {self.latency_ms:.1f} ms, {self.throughput:.0f} items/s "
            f"(median of {len(self.seconds)}, spread {self.spread:.0%})"
        )


def _check_counts(items: int, warmup: int, repeats: int) -> None:
    for name, value, least in (("items", items, 1), ("warmup", warmup, 0), ("repeats", repeats, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ParameterError(f"{name} must be a whole number of at least {least}, got {value!r}.")


def measure(
    run: Callable[[Any], Any],
    batch: Any,
    items: int,
    *,
    warmup: int = 2,
    repeats: int = 7,
    threads: int | None = None,
) -> Speed:
    """Time ``run(batch)``, a batch of ``items`` inputs: ``warmup`` untimed calls, then ``repeats`` timed ones,
    with ``threads`` PyTorch threads (``None``: as set). ONNX Runtime and OpenVINO keep their own thread
    settings: give them the same number when you create their sessions."""
    _check_counts(items, warmup, repeats)
    if not callable(run):
        raise ParameterError(f"run must be a function that takes the batch, got {run!r}.")
    with torch_threads(threads):
        for _ in range(warmup):
            run(batch)
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            run(batch)
            seconds.append(time.perf_counter() - start)
    return Speed(items, threads, tuple(seconds))


def measure_side_by_side(
    runs: dict[str, Callable[[Any], Any]],
    batch: Any,
    items: int,
    *,
    warmup: int = 1,
    repeats: int = 7,
    threads: int | None = None,
) -> dict[str, Speed]:
    """Time several models on one batch, taking turns: A, B, A, B, ... (``repeats`` rounds).

    Timings taken minutes apart can differ because something else used the CPU in between; taking
    turns spreads such a slow moment over every model. Compare their ``fastest_throughput``.
    """
    if not runs or not all(callable(run) for run in runs.values()):
        raise ParameterError(f"runs must map names to functions that take the batch, got {runs!r}.")
    _check_counts(items, warmup, repeats)
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    with torch_threads(threads):
        for run in runs.values():
            for _ in range(warmup):
                run(batch)
        for _ in range(repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                run(batch)
                seconds[name].append(time.perf_counter() - start)
    return {name: Speed(items, threads, tuple(times)) for name, times in seconds.items()}


def size_mb(thing: Any) -> float:
    """Size in MB (10^6 bytes) of a saved model: a file, a folder (everything in it), or a PyTorch module
    or state dict as ``torch.save`` writes it."""
    if isinstance(thing, str | Path):
        path = Path(thing)
        if path.is_file():
            return path.stat().st_size / 1e6
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
        raise ParameterError(f"size_mb: {path} is neither a file nor a folder.")
    import torch

    state = thing.state_dict() if isinstance(thing, torch.nn.Module) else thing
    if not isinstance(state, dict):
        raise ParameterError(f"size_mb takes a path, a torch module or a state dict, got {type(thing).__name__}.")
    with tempfile.TemporaryDirectory(prefix="course-size-") as folder:  # on disk: no second copy in memory
        path = Path(folder) / "state.pt"
        torch.save(state, path)
        return path.stat().st_size / 1e6


# What each instruction-set flag means for inference, in Linux's /proc/cpuinfo names.
CPU_FEATURES = {
    "avx2": ("avx2",),
    "avx512": ("avx512f",),
    "vnni": ("avx512_vnni", "avx_vnni"),  # int8 dot products in one instruction
    "avx512_bf16": ("avx512_bf16",),  # bfloat16 dot products
    "amx": ("amx_tile", "amx_int8", "amx_bf16"),  # matrix tiles for int8/bf16
}


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:  # macOS and Windows have no such file
        return ""


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags as Linux's ``/proc/cpuinfo`` names them; empty where they cannot be read.
    Read by hand: py-cpuinfo would be one more dependency for one line of parsing, and PyTorch's
    ``torch.backends.cpu.get_cpu_capability()`` names only the one instruction level it will use."""
    for line in (_cpuinfo() if cpuinfo is None else cpuinfo).splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def cpu_features(cpuinfo: str | None = None) -> dict[str, bool | None]:
    """Which of AVX2, AVX-512, VNNI, AVX-512 BF16 and AMX this CPU has, from ``/proc/cpuinfo``
    (Linux); ``None`` for each where the flags cannot be read (macOS, Windows)."""
    flags = cpu_flags(cpuinfo)
    if not flags:
        return dict.fromkeys(CPU_FEATURES)
    return {name: any(flag in flags for flag in names) for name, names in CPU_FEATURES.items()}


def cpu_name(cpuinfo: str | None = None) -> str:
    """The processor's model name (Linux), else what the platform module reports."""
    for line in (_cpuinfo() if cpuinfo is None else cpuinfo).splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()
