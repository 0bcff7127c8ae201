"""What can be tested here of the website's plumbing and the launch configuration: Binder installs
the same tested versions as ``make lab``, the launch buttons appear exactly when the public
repository is known, and the notebooks' execution cache that ``make test`` fills is the one the
site's build reads. (Binder itself needs the internet, so the build there is not run.)"""

from __future__ import annotations

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


def test_binder_post_build_installs_the_course_and_its_assets():
    post_build = BINDER / "postBuild"
    assert post_build.stat().st_mode & 0o111, "repo2docker runs postBuild only if it is executable"
    text = post_build.read_text()
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert "pip install --no-cache-dir -c requirements/tested.txt ." in text
    assert "python -m course_utils fetch" in text
    assert subprocess.run(["bash", "-n", str(post_build)]).returncode == 0


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
