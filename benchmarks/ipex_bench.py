"""IPEX against PyTorch 2.14's own CPU paths, each in its own environment (run: `make ipex`).

Intel Extension for PyTorch imports only beside the PyTorch it was built for, and its last
release (2.8) needs torch 2.8, so it cannot share the course's environment. This script:

1. builds the IPEX environment from ``requirements/ipex.txt`` outside the checkout, in a folder
   named by that file's hash, so a later run (or CI on the same machine) reuses it;
2. runs ``benchmarks/ipex_probe.py`` there (notebook 07's IPEX cell, unchanged) and in the course's
   environment (the native replacements: torch.compile with freezing, bfloat16 autocast);
3. writes both to ``benchmarks/ipex.md``.

The environment's folder: ``COURSE_IPEX_ENV`` if set, else ``ipex-env-<hash>`` in the course's
platform cache folder (the same parent as the asset cache's default).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import platformdirs
from filelock import FileLock

from course_utils import config
from course_utils.assets import APP_NAME

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements" / "ipex.txt"
PROBE = REPO / "benchmarks" / "ipex_probe.py"
COMPLETE = ".course-ipex-complete"  # written last: a folder without it is a broken build


def env_dir() -> Path:
    """Where the IPEX environment lives: named by the hash of its pinned requirements."""
    override = config.folder("COURSE_IPEX_ENV")
    if override is not None:
        return override
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    return Path(platformdirs.user_cache_dir(APP_NAME)) / f"ipex-env-{digest}"


def env_python(env: Path) -> Path:
    return env / "bin" / "python"


def ensure_env(python: str = sys.executable) -> Path:
    """Build the IPEX environment unless a complete one exists; return its Python."""
    env = env_dir()
    env.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(env) + ".lock"):
        if (env / COMPLETE).is_file():
            return env_python(env)
        if env.exists():  # an interrupted build: start again
            shutil.rmtree(env)
        print(f"ipex: building the IPEX environment in {env} (a CUDA build of torch 2.8: several GB)", flush=True)
        subprocess.run([python, "-m", "venv", str(env)], check=True)
        subprocess.run(
            [str(env_python(env)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-r", str(REQUIREMENTS)],
            check=True,
        )  # fmt: skip
        (env / COMPLETE).write_text(REQUIREMENTS.read_text())
    return env_python(env)


def run_probe(python: Path | str, out: Path, *extra: str) -> dict:
    """Run the probe with ``python`` (the course's code from this checkout) and return its JSON."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    subprocess.run([str(python), str(PROBE), "--out", str(out), *extra], check=True, env=environment, cwd=REPO)
    return json.loads(out.read_text())


def report(results: list[dict]) -> str:
    """The Markdown page: one table, each row's speed-up relative to its own environment's eager row."""
    first = results[0]
    flags = ", ".join(name for name, present in first["cpu_features"].items() if present) or "none found"
    lines = [
        "# IPEX against PyTorch's own CPU paths",
        "",
        "Written by `make ipex` (`benchmarks/ipex_bench.py`); notebook 07, section 9, cites it.",
        f"Measured {first['measured']} on {first['cpu']} ({flags}), {first['threads']} threads, "
        f"Python {first['python']}.",
        "The model is notebook 07's classifier (all-MiniLM-L6-v2, mean pooling, a logistic-regression",
        "head on 1,000 SST-2 training sentences); accuracy and agreement are on the 872 SST-2 dev",
        "sentences. Each environment's speed-ups are against its own eager float32 row, since the",
        "two environments run different PyTorch versions. The first dev pass includes any compilation.",
        "",
        "| environment | variant | accuracy | agreement with eager float32 | latency, batch 1 (ms) "
        "| throughput, batch 32 (sentences/s) | speed-up at batch 32 | first dev pass (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        where = f"torch {result['torch']}" + (f" + IPEX {result['ipex']}" if result["ipex"] else "")
        rows = result["rows"]
        eager = rows["float32 (eager)"]["throughput (sentences/s, batch 32)"]
        for name, row in rows.items():
            lines.append(
                f"| {where} | {name} | {row['accuracy']:.3f} | {row['agreement with float32']:.3f} "
                f"| {row['latency (ms, batch 1)']:.2f} | {row['throughput (sentences/s, batch 32)']:.0f} "
                f"| {row['throughput (sentences/s, batch 32)'] / eager:.2f}x | {row['dev pass (s)']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "ipex.md")
    parser.add_argument("--work", type=Path, default=REPO / "_build" / "ipex", help="folder for the JSON results")
    args = parser.parse_args()
    ipex_python = ensure_env()
    args.work.mkdir(parents=True, exist_ok=True)
    results = [
        run_probe(sys.executable, args.work / "course.json"),
        run_probe(ipex_python, args.work / "ipex.json"),
    ]
    if results[1]["ipex"] is None:
        raise SystemExit(f"ipex: IPEX did not import in {ipex_python}; see its output above")
    args.out.write_text(report(results))
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
