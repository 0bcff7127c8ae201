"""Installing the course: tested pins, learner vs developer installs, make lab offline, clear failures."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import free_port
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO / "requirements" / "tested.txt"
sys.path.insert(0, str(REPO / "tools"))
import install  # noqa: E402  (tools/ is not a package: it runs before the course is installed)

sys.path.remove(str(REPO / "tools"))


def pins() -> dict[str, Version]:
    found = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            found[canonicalize_name(name)] = Version(version.strip())
    return found


def declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    requirements = [Requirement(r) for r in project["dependencies"] + extras]
    return [r for r in requirements if r.name != project["name"]]  # "dev" includes "hub" by naming the course


# --------------------------------------------------------------------- what is promised


def test_every_declared_dependency_is_pinned_within_its_bounds_in_the_tested_set():
    tested = pins()
    for req in declared():
        name = canonicalize_name(req.name)
        assert name in tested, f"{req.name} is declared in pyproject.toml but missing from {CONSTRAINTS.name}"
        assert req.specifier.contains(tested[name], prereleases=True), (
            f"pyproject.toml asks for {req}, but the tested version is {tested[name]}: update one of them"
        )


def second_tested_releases() -> dict[str, Version]:
    """Releases CI also runs besides the tested set: the hub extra's jupyterhub at the version deploy/Dockerfile
    installs for the hosted hubs, which tests/integration/test_hub_versions.py runs under a hub of that version."""
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    return {"jupyterhub": Version(re.search(r"^ARG JUPYTERHUB_VERSION=(\S+)$", dockerfile, re.MULTILINE).group(1))}


def test_lower_bounds_are_the_tested_releases_not_older_ones():
    tested, also = pins(), second_tested_releases()
    for req in declared():
        lower = [Version(s.version) for s in req.specifier if s.operator == ">="]
        assert lower, f"{req} has no lower bound"
        # a tested release, to the precision the bound is written in (e.g. >=2.4 for 2.4.0)
        name = canonicalize_name(req.name)
        runs = [tested[name], *([also[name]] if name in also else [])]
        assert any(lower[0].release == have.release[: len(lower[0].release)] for have in runs), (
            f"{req}: CI tests {runs}"
        )


def test_python_bound_is_what_ci_tests():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11" and install.MIN_PYTHON == (3, 11)
    made_with = re.search(r"Made with Python (\d+)\.(\d+)", CONSTRAINTS.read_text())
    assert made_with and (int(made_with[1]), int(made_with[2])) >= install.MIN_PYTHON


def test_this_environment_runs_the_tested_versions():
    """make setup and .ci/run install with -c requirements/tested.txt: CI must run what it records."""
    wrong = []
    for name, version in pins().items():
        try:
            have = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            continue  # e.g. a platform-specific package
        if have.public != version.public:  # torch's "+cpu" local label is the same release
            wrong.append(f"{name} {have} (tested {version})")
    assert not wrong, "installed versions differ from requirements/tested.txt: " + ", ".join(wrong)


def test_environment_yml_is_the_learner_install_with_the_tested_versions():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip == ["-c requirements/tested.txt", "-e ."]  # the dependencies come from pyproject.toml
    assert "python=3.11" in env["dependencies"]


# ----------------------------------------------------------------------------- make


def make(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(REPO), *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_make_lab_installs_no_developer_tools_and_make_test_does(tmp_path):
    venv = tmp_path / "venv"  # no stamps there: make shows the whole install
    lab = make("-n", f"VENV={venv}", "lab").stdout
    test = make("-n", f"VENV={venv}", "test").stdout
    assert "tools/install.py" in lab and "--constraints requirements/tested.txt" in lab
    assert "--dev" not in lab and "-m pytest" not in lab
    assert "tools/install.py" in test and "--dev" in test and "-m pytest" in test
    cpu = make("-n", f"VENV={venv}", "TORCH_INDEX=https://download.pytorch.org/whl/cpu", "lab").stdout
    assert "--torch-index https://download.pytorch.org/whl/cpu" in cpu


def test_make_lab_offline_with_nothing_fetched_still_opens_the_lab_and_says_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "MAKE"))}
    env.update(COURSE_CACHE=str(tmp_path / "cache"), COURSE_OFFLINE="1", TORCH_HOME=str(tmp_path / "torch"))
    venv = Path(sys.prefix)
    done = make(
        f"VENV={venv}",
        "LAB=echo LAB-OPENED",  # the lab command, replaced by a no-op
        "-o",
        f"{venv}/.course-installed",  # this environment is installed: no reinstall
        "lab",
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LAB-OPENED" in done.stdout
    assert "01_epochs_and_batches.ipynb needs sst2, all-MiniLM-L6-v2" in done.stderr
    assert "python -m course_utils fetch" in done.stderr and "opening JupyterLab anyway" in done.stdout


# ------------------------------------------------------------------------ bad input


def test_make_without_the_python_it_needs_says_so(tmp_path):
    done = make("setup", "PYTHON=python9.99", f"VENV={tmp_path / 'venv'}")
    assert done.returncode != 0 and "no 'python9.99' found. Install Python 3.11 or newer" in done.stderr
    assert not (tmp_path / "venv").exists()


def test_a_python_too_old_is_named_with_the_fix():
    with pytest.raises(install.InstallError) as err:
        install.check_python((3, 10, 4), "/usr/bin/python3")
    assert "needs Python 3.11 or newer; /usr/bin/python3 is Python 3.10.4" in str(err.value)
    assert "make lab PYTHON=python3.11" in str(err.value)
    install.check_python((3, 11, 0))


def run_install(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "tools" / "install.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=REPO,
    )


def test_a_folder_that_cannot_be_written_is_one_message(tmp_path):
    # /proc refuses new files even to root, who ignores chmod (CI runs as root)
    done = run_install("--venv", "/proc/course-venv")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Cannot write to /proc" in done.stderr and "make lab VENV=" in done.stderr


def test_too_little_disk_is_refused_before_anything_is_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(install.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(100, 99, 1 << 30))
    with pytest.raises(install.InstallError, match="Only 1.0 GB free .* needs about 8 GB"):
        install.check_disk(tmp_path, install.needed_gib(""))
    install.check_disk(tmp_path, 0)


def test_a_disk_that_fills_up_during_the_install_is_named(tmp_path):
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\necho 'ERROR: Could not install packages due to an OSError: [Errno 28] "
        "No space left on device'\nexit 1\n"
    )
    fake.chmod(0o755)
    with pytest.raises(install.InstallError, match="The disk filled up during the install"):
        install.run_pip(fake, ["install", "torch"])


def test_an_unreachable_index_is_one_message_and_leaves_no_half_made_environment(tmp_path):
    venv = tmp_path / "venv"
    env = {
        **os.environ,
        "PIP_CONFIG_FILE": os.devnull,  # no site config: only the index below
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",  # nothing listens there
        "PIP_RETRIES": "0",
        "PIP_TIMEOUT": "2",
    }
    env.pop("PIP_FIND_LINKS", None)
    done = run_install("--venv", str(venv), env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "could not get the packages from the package index" in done.stderr
    assert "Traceback" not in done.stderr
    assert not venv.exists()  # the next run starts clean instead of tripping over it


def test_a_failure_in_an_existing_environment_removes_its_installed_marks(tmp_path, monkeypatch):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / install.STAMP).touch()
    monkeypatch.setattr(install, "_usable", lambda v: True)  # a working environment from before

    def fail(*args):
        raise install.InstallError("index unreachable")

    monkeypatch.setattr(install, "run_pip", fail)
    with pytest.raises(install.InstallError):
        install.install(venv, CONSTRAINTS, dev=False, torch_index="")
    assert venv.exists() and not (venv / install.STAMP).exists()  # kept, but make will install again


# ------------------------------------------------------------- the README's no-make path


def readme_block(after: str) -> list[str]:
    """The command lines of the first fenced block after the line ``after`` in the README."""
    text = (REPO / "README.md").read_text()
    block = re.search(re.escape(after) + r"\s*```\w*\n(.*?)```", text, flags=re.S)
    assert block, f"no command block after {after!r} in the README"
    return [line for line in block[1].splitlines() if line.strip()]


@pytest.mark.slow
def test_the_readme_commands_without_make_install_fetch_and_open_the_lab(tmp_path, full_mirror):
    """The Linux/macOS commands, run as written from a fresh copy of the course (the pip cache is
    reused, so nothing is downloaded twice). Only the last line gets a port and a token, so that
    the test can ask the server whether it is up (and --allow-root where CI runs it as root); the
    server is stopped once it answers."""
    import time
    import urllib.request

    commands = readme_block("Linux and macOS, from this folder:")
    assert commands[0].startswith("python3 -m venv") and commands[-1] == "jupyter lab notebooks/"
    course = tmp_path / "course"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True)
    for rel in filter(None, tracked.stdout.split("\0")):  # the files a fresh clone has
        if (REPO / rel).is_file():
            (course / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, course / rel)
    port, token = free_port(), "readme-test"
    script = "\n".join(
        [
            "set -euo pipefail",
            *commands[:-1],
            f"exec {commands[-1]} --no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
            + (" --allow-root" if os.geteuid() == 0 else ""),  # CI runs as root; Jupyter refuses root without it
        ]
    )
    here = f"{Path(sys.prefix) / 'bin'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(
        PATH=os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != here),  # not our venv
        COURSE_MIRROR=str(full_mirror),
        COURSE_OFFLINE="1",
        COURSE_BACKBONE="efficientnet_lite0",
        COURSE_CACHE=str(tmp_path / "cache"),
        TORCH_HOME=str(tmp_path / "torch"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
    )
    log = tmp_path / "log.txt"
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", "-c", script], cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline, answered = time.monotonic() + 900, False
        while time.monotonic() < deadline and proc.poll() is None and not answered:
            time.sleep(2)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=5) as page:
                    answered = page.status == 200 and b"JupyterLab" in page.read()
            except OSError:
                pass
        assert answered, f"JupyterLab did not answer; the commands printed:\n{log.read_text()[-4000:]}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    printed = log.read_text()
    for name in ("hymenoptera", "sst2", "all-MiniLM-L6-v2", "efficientnet-lite0-imagenet"):
        assert f"ok      {name}:" in printed  # fetched and verified from the mirror
    python = course / ".venv" / "bin" / "python"
    learner = subprocess.run(
        [str(python), "-c", "import course_utils, torch, setfit; import pytest"], capture_output=True, text=True
    )
    assert "No module named 'pytest'" in learner.stderr  # the course is there, the developer tools are not
