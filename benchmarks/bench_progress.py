"""What recording one exercise event costs: ``check()`` with recording on, off, and also shared with a class folder.

    .venv/bin/python benchmarks/bench_progress.py [--events 2000]

Each setting times ``--events`` calls of ``check()`` on a registered exercise (a right answer, so the
checker's own work is one comparison) into a fresh temporary folder, and reports the median of five
rounds per call. The difference from ``COURSE_PROGRESS=off`` is what recording adds to a learner's cell.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from course_utils import checks

KEY = "01.bench_progress"


def per_call(events: int) -> float:
    """Seconds per check() call, the median of five rounds."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(events):
            checks.check(KEY, 42)
        rounds.append((time.perf_counter() - start) / events)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    checks.register(KEY, "6 x 7?", checks.equals(42), "multiply")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COURSE_PROGRESS_DIR"] = str(Path(tmp) / "own")
        os.environ.pop("COURSE_CLASS_DIR", None)
        os.environ["COURSE_PROGRESS"] = "off"
        off = per_call(args.events)
        os.environ["COURSE_PROGRESS"] = "on"
        own = per_call(args.events)
        (Path(tmp) / "class").mkdir()
        os.environ["COURSE_CLASS_DIR"] = str(Path(tmp) / "class")
        shared = per_call(args.events)
        size = (Path(tmp) / "own" / "progress.jsonl").stat().st_size
        lines = len((Path(tmp) / "own" / "progress.jsonl").read_bytes().splitlines())
    print(f"check() with recording off:            {off * 1e6:7.1f} us per call")
    print(f"recording on (own file):               {own * 1e6:7.1f} us per call (+{(own - off) * 1e6:.1f} us)")
    print(f"recording on, shared with a class:     {shared * 1e6:7.1f} us per call (+{(shared - off) * 1e6:.1f} us)")
    print(f"bytes per event in the file:           {size / lines:7.1f}")


if __name__ == "__main__":
    main()
