"""Project hygiene: one dependency list, stripped notebooks, the two README commands."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _normal(req: str) -> str:
    return re.sub(r"\s+", "", req).replace('"', "'").lower()


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {_normal(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    wanted = {r for r in wanted if "python_version<'3.11'" not in r}  # conda pins python 3.11
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert {_normal(r) for r in pip if not r.startswith("-e")} == wanted
    assert "-e ." in pip and "python=3.11" in env["dependencies"]


def test_notebooks_are_committed_without_outputs():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, f"{path.name} has outputs"


def test_readme_has_exactly_the_two_setup_commands_and_ci_runs_the_test_one():
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"^make (\w+)$", readme, flags=re.M)
    assert commands[:2] == ["lab", "test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_bench_knows_which_notebooks_change_with_the_backbone_and_keeps_other_sections():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_notebooks as bench
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    vision = [p.stem[:2] for p in NOTEBOOKS if bench.uses_backbone(p)]
    assert vision == ["00", "02", "05"]
    text = bench.replace_section("", "offline", "| a | 1 s |")
    text = bench.replace_section(text, "resnet50", "| a | 9 s |")
    text = bench.replace_section(text, "offline", "| a | 2 s |")
    assert text == "## offline\n\n| a | 2 s |\n\n## resnet50\n\n| a | 9 s |\n"
    old = ["| 00_x | 1 s |", "| 02_y | 5 s |"]
    merged = bench.merge_rows(old, ["| 02_y | 4 s |", "| 01_z | 2 s |"])
    assert merged == ["| 00_x | 1 s |", "| 01_z | 2 s |", "| 02_y | 4 s |"]
    two = "## offline\n\n| 00_x | 1 s |\n\n## r\n\n| 00_x | 7 s |\n"
    assert bench.section_rows(two, "offline") == ["| 00_x | 1 s |"]
