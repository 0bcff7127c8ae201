"""What can be tested here of the website's plumbing and the launch configuration: Binder installs
the same tested versions as ``make lab`` and its postBuild, run here step by step, installs the
course then fetches the notebooks' assets and stops at a failed step; the launch buttons appear
exactly when the public repository is known, and the notebooks' execution cache that ``make test``
fills is the one the site's build reads. (Binder itself needs the internet, so the build there is
not run, nor postBuild's pip install: the recorded call is checked, the fetch runs for real.)"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
from conftest import REPO
from packaging.specifiers import SpecifierSet
from site_cache import store

BINDER = REPO / "binder"
CONSTRAINTS = REPO / "requirements" / "tested.txt"


def test_binder_installs_the_tested_versions_with_cpu_torch():
    lines = [line.strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    constraint = next(line.split(maxsplit=1)[1] for line in lines if line.startswith("-c "))
    assert (BINDER / constraint).resolve() == CONSTRAINTS.resolve()  # pip reads it relative to the file
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines
    assert {"torch", "torchvision"} <= set(lines)
    makefile = (REPO / "Makefile").read_text()
    assert f"CONSTRAINTS := {CONSTRAINTS.relative_to(REPO)}" in makefile  # the file `make lab` installs with
    # pip reads the file, follows its constraint, and finds every pin already satisfied here: the
    # tested set and Binder's request agree (no index is contacted).
    dry = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "-r", str(BINDER / "requirements.txt")],
        capture_output=True,
        text=True,
    )
    assert dry.returncode == 0, dry.stderr
    assert "Would install" not in dry.stdout


SHIM = """#!{python}
import json, os, sys
with open({log!r}, "a") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
if sys.argv[1:3] == ["-m", "pip"]:
    sys.exit(int(os.environ.get("PIP_STATUS", "0")))  # pip is not run: the install needs the network
os.execv({python!r}, [{python!r}, *sys.argv[1:]])
"""


def run_post_build(tmp_path: Path, mirror: Path, pip_status: int = 0) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """binder/postBuild as repo2docker runs it (from the repository's root), with ``python`` a stand-in
    that records each call: pip's is answered with ``pip_status``, everything else runs for real."""
    shims, log = tmp_path / "bin", tmp_path / "calls.jsonl"
    shims.mkdir(exist_ok=True)
    log.unlink(missing_ok=True)
    for name in ("python", "python3"):
        (shims / name).write_text(SHIM.format(python=sys.executable, log=str(log)))
        (shims / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    env.update(
        PATH=f"{shims}{os.pathsep}{env['PATH']}",
        PYTHONPATH=str(REPO),  # the course as the install step would leave it
        PIP_STATUS=str(pip_status),
        COURSE_CACHE=str(tmp_path / "cache"),
        COURSE_MIRROR=str(mirror),  # Binder fetches from the public sources; the tests may not
        COURSE_OFFLINE="1",
        COURSE_BACKBONE="efficientnet_lite0",  # the mirror's backbone (Binder's default is ResNet-50)
    )
    done = subprocess.run([str(BINDER / "postBuild")], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done, calls


def option(argv: list[str], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


@pytest.mark.slow
def test_binder_post_build_installs_the_course_then_fetches_what_the_notebooks_need(tmp_path, full_mirror, monkeypatch):
    done, calls = run_post_build(tmp_path, full_mirror)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    pip = [c for c in calls if c["argv"][:3] == ["-m", "pip", "install"]]
    assert len(pip) == 1 and calls.index(pip[0]) == 0, calls  # the course is installed before anything runs
    argv, cwd = pip[0]["argv"], Path(pip[0]["cwd"])
    constraint = option(argv, "-c", "--constraint")
    assert constraint and (cwd / constraint).resolve() == CONSTRAINTS.resolve()  # the tested versions
    targets = [a for a in argv[3:] if not a.startswith("-") and a != constraint]
    assert [(cwd / t).resolve() for t in targets] == [REPO.resolve()]  # the course itself, from this checkout
    # Then the assets are fetched and verified, so that the notebooks start without a download.
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_SHARED_DATA", raising=False)
    monkeypatch.setenv("COURSE_BACKBONE", "efficientnet_lite0")
    from course_utils import assets
    from course_utils.doctor import needed_assets

    for name in needed_assets():
        state, where = assets.status(name)
        assert state == "ok" and where.is_relative_to(tmp_path / "cache"), (name, state, where)


def test_binder_post_build_stops_at_a_failed_install(tmp_path, full_mirror):
    """A failed step must fail the build (Binder then shows the log) instead of launching a broken image."""
    post_build = BINDER / "postBuild"
    assert post_build.stat().st_mode & 0o111, "repo2docker runs postBuild only if it is executable"
    done, calls = run_post_build(tmp_path, full_mirror, pip_status=1)
    assert done.returncode != 0
    assert [c["argv"][:2] for c in calls] == [["-m", "pip"]]  # nothing ran after the failed install
    assert not (tmp_path / "cache").exists()


def test_binder_python_is_one_the_course_supports_and_ci_tests():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    version = runtime.removeprefix("python-")
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert version + ".0" in SpecifierSet(requires)
    assert f"Made with Python {version}." in CONSTRAINTS.read_text()


def site_config(monkeypatch, url: str) -> dict:
    monkeypatch.setenv("COURSE_REPOSITORY_URL", url)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return runpy.run_path(str(REPO / "site" / "conf.py"))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://github.com/some-org/tl-course", "https://github.com/some-org/tl-course"),
        ("https://github.com/some-org/tl-course.git", "https://github.com/some-org/tl-course"),
        ("git@github.com:some-org/tl-course.git", "https://github.com/some-org/tl-course"),
    ],
)
def test_launch_buttons_point_at_the_public_repository(monkeypatch, given, expected):
    options = site_config(monkeypatch, given)["html_theme_options"]
    assert options["repository_url"] == expected
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"


def test_no_launch_button_without_a_public_repository(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    config = site_config(monkeypatch, "https://gitlab.example.org/a/b")
    assert "launch_buttons" not in config["html_theme_options"]
    assert "no public GitHub repository" in capsys.readouterr().out


def test_site_reads_the_cache_the_tests_fill(monkeypatch, tmp_path):
    """A notebook stored by tests/site_cache.py is found by jupyter-cache, outputs and all."""
    from jupyter_cache import get_cache

    monkeypatch.delenv("COURSE_SITE_CACHE", raising=False)
    assert Path(site_config(monkeypatch, "")["nb_execution_cache_path"]) == REPO / "_build" / ".jupyter_cache"
    notebook = tmp_path / "lesson.ipynb"
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# A lesson"),
            nbformat.v4.new_code_cell("print(1)"),
            nbformat.v4.new_code_cell("2"),
        ]  # fmt: skip
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebook)
    printed = nbformat.v4.new_output("stream", name="stdout", text="1\n")
    shown = nbformat.v4.new_output("execute_result", data={"text/plain": "2"})
    store(notebook, {0: [printed], 1: [shown]}, tmp_path / "cache")
    cache = get_cache(str(tmp_path / "cache"))
    record = cache.match_cache_notebook(nbformat.read(notebook, as_version=4))
    cached = cache.get_cache_bundle(record.pk).nb
    assert [cell.outputs for cell in cached.cells] == [[printed], [dict(shown, execution_count=2)]]
    assert [cell.execution_count for cell in cached.cells] == [1, 2]
