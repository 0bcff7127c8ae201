"""Project hygiene: one dependency list, stripped notebooks, the two README commands."""

from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


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


def _code(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")


def test_the_registry_names_exactly_the_notebooks_that_use_each_asset():
    """`fetch` tells an offline learner which notebooks still run: that list must be right."""
    from course_utils import assets

    uses = {  # how a notebook's code reaches each asset
        "hymenoptera": r'fetch\("hymenoptera"\)|demo_image_folder\(',
        "sst2": r"load_sst2\(|demo_text_csv\(",
        "all-MiniLM-L6-v2": r"all-MiniLM-L6-v2",
        "all-mpnet-base-v2": r"all-mpnet-base-v2",
        "resnet50-imagenet": r"load_backbone\(",
        "efficientnet-lite0-imagenet": r"load_backbone\(",
        "mnist-5k": r"load_mnist_5k\(",
        "crowdflower-sentiment": r"load_tweets\(",
    }
    for name, pattern in uses.items():
        found = {p.name for p in NOTEBOOKS if re.search(pattern, _code(p)) or "needed_assets()" in _code(p)}
        assert set(assets.get(name).notebooks) == found, name


def test_bench_knows_which_notebooks_change_with_the_backbone_and_keeps_other_sections():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import bench_notebooks as bench
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    vision = [p.stem[:2] for p in NOTEBOOKS if bench.uses_backbone(p)]
    assert vision == ["00", "02", "05", "08"]
    text = bench.replace_section("", "offline", "| a | 1 s |")
    text = bench.replace_section(text, "resnet50", "| a | 9 s |")
    text = bench.replace_section(text, "offline", "| a | 2 s |")
    assert text == "## offline\n\n| a | 2 s |\n\n## resnet50\n\n| a | 9 s |\n"
    # The page's title and introduction stay above the sections (the site shows the title).
    titled = bench.replace_section("# Results\n\nIntro.\n\n" + text, "resnet50", "| a | 8 s |")
    assert titled == "# Results\n\nIntro.\n\n## offline\n\n| a | 2 s |\n\n## resnet50\n\n| a | 8 s |\n"
    old = ["| 00_x | 1 s |", "| 02_y | 5 s |"]
    merged = bench.merge_rows(old, ["| 02_y | 4 s |", "| 01_z | 2 s |"])
    assert merged == ["| 00_x | 1 s |", "| 01_z | 2 s |", "| 02_y | 4 s |"]
    two = "## offline\n\n| 00_x | 1 s |\n\n## r\n\n| 00_x | 7 s |\n"
    assert bench.section_rows(two, "offline") == ["| 00_x | 1 s |"]
    # The speed yardstick printed with every table: a plausible figure, and the thread count left as it was.
    import torch

    threads = torch.get_num_threads()
    assert 0.1 < bench.calibrate(size=256, repeats=5) < 10_000
    assert torch.get_num_threads() == threads


def _imports(source: str) -> set[str]:
    return set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", source, flags=re.M))


def test_every_imported_package_is_declared_learners_get_what_the_notebooks_import():
    """A package used only because another one happens to pull it in breaks on the next release."""
    import importlib.metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    dev = {canonicalize_name(Requirement(r).name) for group in project["optional-dependencies"].values() for r in group}
    providers = importlib.metadata.packages_distributions()
    local = {"course_utils", "bench_notebooks", "install", "exercise_cases"}
    local |= {p.stem for p in (REPO / "tests").glob("*.py")}  # the tests' own helpers and plugins
    local |= {p.stem for p in (REPO / "benchmarks").glob("*.py")}  # benchmark scripts importing each other
    # Notebook 07 imports IPEX only where it is installed: its own environment, pinned apart.
    ipex_pins = (REPO / "requirements" / "ipex.txt").read_text()
    optional = {"intel_extension_for_pytorch"}
    assert all(f"{m}==" in ipex_pins for m in optional), "optional imports must be pinned in requirements/ipex.txt"
    local |= optional

    def undeclared(sources: list[str], allowed: set[str]) -> set[str]:
        missing = set()
        for module in set().union(*map(_imports, sources)) - set(sys.stdlib_module_names) - local:
            dists = {canonicalize_name(d) for d in providers.get(module, [module])}
            if not dists & allowed:
                missing.add(f"{module} ({', '.join(sorted(dists))})")
        return missing

    learner = [p.read_text() for p in (REPO / "course_utils").rglob("*.py")] + [_code(p) for p in NOTEBOOKS]
    developer = [p.read_text() for d in ("tests", "benchmarks", "tools") for p in (REPO / d).rglob("*.py")]
    assert not undeclared(learner, runtime), "imported by the course but not in [project] dependencies"
    assert not undeclared(developer, runtime | dev), "imported by tests or tools but not declared"


def test_learner_cells_hold_the_lesson_not_lint_pragmas_or_ci_notes():
    """Developer evidence goes to tests/claim_margins.toml or the benchmarks, pragmas to pyproject.toml."""
    for path in NOTEBOOKS:
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            source = "".join(cell["source"])
            if cell["cell_type"] == "code":
                assert "noqa" not in source and "type: ignore" not in source, f"{path.name} cell {i}: a lint pragma"
                assert not re.search(r"Margins?:|\(CI\)", source), f"{path.name} cell {i}: a CI margin note"


def test_no_published_page_names_a_tracker_issue():
    """Readers of the course cannot open the team's tracker: say what was decided, not where."""
    pages = [*NOTEBOOKS, *REPO.glob("*.md"), *(REPO / "docs").glob("*.md"), *(REPO / "registry").glob("*.md")]
    pages += [
        *(REPO / "benchmarks").glob("*.md"),
        *(REPO / "benchmarks").glob("*.py"),
        *(REPO / "course_utils").rglob("*.py"),
    ]
    for path in pages:
        found = re.findall(r"\b(?:course )?issues? #?\d+\b|\(issue \d+", path.read_text(), flags=re.I)
        assert not found, f"{path.relative_to(REPO)} names a tracker issue: {found[:3]}"
