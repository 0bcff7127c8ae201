"""Create the course's virtual environment and install the course into it, with the tested versions.

Run by ``make setup`` / ``make setup-dev`` with the system Python (standard library only, and old
syntax on purpose: a Python that is too old must still be able to say so). What it guards against,
each with one clear message and nothing half-installed left behind:

- a Python older than the course needs;
- a project folder that cannot be written to (e.g. a read-only class share);
- too little free disk for the install, or a disk that fills up during it;
- a package index that cannot be reached (offline, proxy, firewall).

A venv this run created is removed again when the install fails; an existing venv is kept, but
its "installed" stamps are removed first, so the next ``make`` tries again instead of trusting it.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MIN_PYTHON = (3, 11)
GIB = 1 << 30
# Measured here: the default Linux x86_64 wheels of torch bring CUDA libraries (a 6.7 GB venv);
# the CPU-only build and the macOS and Windows wheels need far less.
NEEDED_GIB_CUDA_WHEELS = 8
NEEDED_GIB_OTHERWISE = 3
STAMP = ".course-installed"
DEV_STAMP = ".course-installed-dev"

DISK_FULL = ("No space left on device", "Disk quota exceeded")
UNREACHABLE = (
    "Could not find a version that satisfies",
    "No matching distribution found",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "ProxyError",
    "Connection refused",
    "Read timed out",
    "SSLError",
)


class InstallError(Exception):
    """A problem the user can fix; the message says how."""


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3]), executable: str = sys.executable) -> None:
    if tuple(version[:2]) < MIN_PYTHON:
        have = ".".join(map(str, version))
        want = ".".join(map(str, MIN_PYTHON))
        raise InstallError(
            f"The course needs Python {want} or newer; {executable} is Python {have}.\n"
            f"Fix: install Python {want} (python.org, your package manager or conda), then run\n"
            f"    make lab PYTHON=python{want}"
        )


def check_writable(folder: Path) -> None:
    """Create and delete a file in ``folder``: the only test that also holds for root and for ACLs."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise InstallError(
            f"Cannot write to {folder} ({exc.strerror or exc}), where the course's environment goes.\n"
            "Fix: copy the course to a folder you own (e.g. cp -r . ~/transfer-learning-course) and run make there,\n"
            "or put the environment elsewhere: make lab VENV=$HOME/venvs/transfer-learning-course"
        ) from None


def needed_gib(torch_index: str) -> int:
    cuda_wheels = sys.platform.startswith("linux") and "/cpu" not in torch_index
    return NEEDED_GIB_CUDA_WHEELS if cuda_wheels else NEEDED_GIB_OTHERWISE


def check_disk(folder: Path, need_gib: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < need_gib * GIB:
        raise InstallError(
            f"Only {free / GIB:.1f} GB free on the disk holding {folder}; installing the course needs about "
            f"{need_gib} GB.\nFix: free some space, or put the environment on another disk: "
            "make lab VENV=/path/with/space/.venv"
            + (
                "\nOn Linux, the CPU-only PyTorch build needs much less (see the README: make lab TORCH_INDEX=...)."
                if need_gib == NEEDED_GIB_CUDA_WHEELS
                else ""
            )
        )


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _usable(venv: Path) -> bool:
    python = venv_python(venv)
    if not python.exists():
        return False
    return subprocess.run([str(python), "-c", "import pip"], capture_output=True).returncode == 0


def run_pip(python: Path, args: list[str]) -> None:
    """Run pip, show its output as it comes, and turn a failure into a message that says why."""
    cmd = [str(python), "-m", "pip", *args]
    print("+ " + " ".join(cmd), flush=True)
    tail: collections.deque[str] = collections.deque(maxlen=200)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stdout.write(line)
            tail.append(line)
    if proc.returncode == 0:
        return
    text = "".join(tail)
    if any(sign in text for sign in DISK_FULL):
        raise InstallError(
            "The disk filled up during the install.\nFix: free some space (about 8 GB), then run make again."
        )
    # pip often reports an index it cannot reach as "no matching version" or even as a version
    # conflict; asking it for pip's own versions, which every real index has, tells them apart.
    if any(sign in text for sign in UNREACHABLE) or not _index_answers(python):
        raise InstallError(
            "pip could not get the packages from the package index (offline, a proxy, or a firewall).\n"
            "Fix: connect to the internet (behind a proxy, set HTTPS_PROXY), or install from a folder of wheels:\n"
            "    PIP_FIND_LINKS=/path/to/wheels PIP_NO_INDEX=1 make lab"
        )
    raise InstallError(f"pip failed (exit code {proc.returncode}); its last lines are above.")


def _index_answers(python: Path) -> bool:
    probe = subprocess.run([str(python), "-m", "pip", "index", "versions", "pip"], capture_output=True, text=True)
    return probe.returncode == 0


def install(venv: Path, constraints: Path, dev: bool, torch_index: str) -> None:
    project = Path(__file__).resolve().parents[1]
    check_python()
    check_writable(venv.parent)
    for stamp in (STAMP, DEV_STAMP):  # from here on, a failure leaves nothing marked as installed
        (venv / stamp).unlink(missing_ok=True)
    created = False
    if not _usable(venv):
        if venv.exists() and not (venv / "pyvenv.cfg").is_file():
            raise InstallError(f"{venv} exists and is not a virtual environment; move it away or choose VENV=...")
        check_disk(venv.parent, needed_gib(torch_index))
        shutil.rmtree(venv, ignore_errors=True)  # a broken venv from an earlier failure
        print(f"+ {sys.executable} -m venv {venv}", flush=True)
        created = True
        if subprocess.run([sys.executable, "-m", "venv", str(venv)]).returncode != 0:
            raise InstallError(f"Could not create a virtual environment in {venv} (see above).")
    try:
        python = venv_python(venv)
        pin = ["-c", str(constraints)]
        run_pip(python, ["install", *pin, "--upgrade", "pip"])
        if torch_index:  # first, so that the course's own install finds torch already there
            run_pip(python, ["install", *pin, "torch", "torchvision", "--index-url", torch_index])
        target = f"{project}[dev]" if dev else str(project)
        run_pip(python, ["install", *pin, "-e", target])
    except (InstallError, KeyboardInterrupt):
        if created:
            print(f"install.py: removing the half-made environment {venv}", file=sys.stderr)
            shutil.rmtree(venv, ignore_errors=True)
        raise
    (venv / STAMP).touch()
    if dev:
        (venv / DEV_STAMP).touch()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(".venv"))
    parser.add_argument("--constraints", type=Path, default=Path("requirements/tested.txt"))
    parser.add_argument("--dev", action="store_true", help="also the developer tools (tests, lint, bench)")
    parser.add_argument("--torch-index", default="", help="a PyTorch wheel index, e.g. the CPU-only one")
    args = parser.parse_args(argv)
    try:
        install(args.venv.absolute(), args.constraints.absolute(), args.dev, args.torch_index)
    except InstallError as exc:
        print(
            f"\ninstall failed: {exc}\nNothing was marked as installed; run the same command again after the fix.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
