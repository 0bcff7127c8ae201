"""Every number with a unit in the notebooks' prose is accounted for (course issue 23).

A number about a run's result written into markdown goes stale the day the run changes. So a
number with a unit (%, x, s, min, GB, points, ...) in a markdown cell must be one of:
- part of a ``claim()`` or ``timing_claim()`` statement in the same notebook, which checks it;
- in the notebook's **Time** paragraph, whose seconds must match ``benchmarks/results.md``;
- listed in ``tests/prose_numbers.toml`` with its source (a paper, a dataset card, a budget, an
  architecture's definition).
Anything else: say it in words and point at the printed value instead.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9]*.ipynb"))
ALLOWED = tomllib.loads((REPO / "tests" / "prose_numbers.toml").read_text())
RESULTS = (REPO / "benchmarks" / "results.md").read_text()

UNITS = r"%|×|x\b|s\b|seconds?\b|min\b|minutes?\b|hours?\b|GiB\b|MiB\b|GB\b|MB\b|points?\b"
# A number and its unit; "8×8" is a shape and "section 4 points" a reference, not results.
NUMBER = re.compile(rf"(?<![\w.,])(?<!section )(?<!notebook )(\d[\d,]*(?:\.\d+)?)\s?({UNITS})(?!\s?\d)")
CODE_SPAN = re.compile(r"`[^`]*`|\$[^$]*\$")
CLAIM = re.compile(r"(?:timing_)?claim\((?:.|\n)*?\"([^\"]+)\"\s*,?\s*\)", re.MULTILINE)


def prose_numbers(text: str) -> list[str]:
    """Each number with its unit, spelled as in the text ("13 s", "74%")."""
    return [m.group(0) for m in NUMBER.finditer(text)]


def test_the_scanner_finds_results_and_skips_shapes_and_code():
    text = "reaches 74% in 13 s, 2 points up, 5x fewer; an 8×8 image, `lr=1e-3 2 s`, section 4 points out"
    assert prose_numbers(CODE_SPAN.sub("", text)) == ["74%", "13 s", "2 points", "5x"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_in_the_prose_is_checked_benchmarked_or_cited(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    claimed = " ".join(CLAIM.findall(code))
    allowed = {entry["text"] for entry in ALLOWED.get(path.stem, [])}
    unaccounted = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for paragraph in CODE_SPAN.sub("", cell.source).split("\n\n"):
            in_time_header = paragraph.lstrip().startswith("**Time**")
            for number in prose_numbers(paragraph):
                if number in allowed or number in claimed:
                    continue
                if in_time_header and number.endswith(" s"):
                    row = re.compile(rf"^\| {re.escape(path.stem)}[^|]*\| {re.escape(number)} \|", re.MULTILINE)
                    assert row.search(RESULTS), f"{path.stem}: the header's {number} is not in benchmarks/results.md"
                    continue
                if in_time_header:
                    continue  # rounded memory and minutes beside a benchmarked time
                unaccounted.append(f"{number!r} in: ...{paragraph.strip()[:160]!r}")
    assert not unaccounted, (
        f"{path.stem}: numbers in the prose that no claim checks and tests/prose_numbers.toml does not cite:\n"
        + "\n".join(unaccounted)
    )


def test_every_allowed_number_has_a_source_and_is_still_used():
    for stem, entries in ALLOWED.items():
        cells = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4).cells
        text = CODE_SPAN.sub("", "\n".join(c.source for c in cells if c.cell_type == "markdown"))
        found = set(prose_numbers(text))
        for entry in entries:
            assert entry.get("source", "").strip(), f"{stem}: {entry['text']} has no source"
            assert entry["text"] in found, f"{stem}: {entry['text']} is listed but no longer in the prose: remove it"


# Study time: reading the prose, reading the code, and doing the exercises. The rates are our
# estimate for technical material, stated so that anyone can recompute (docs/instructors.md).
WORDS_PER_MINUTE, CODE_LINES_PER_MINUTE, MINUTES_PER_EXERCISE = 150, 10, 5


def study_minutes(nb) -> int:
    """The estimate, rounded up to 5 minutes."""
    words = sum(len(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    lines = sum(len(c.source.splitlines()) for c in nb.cells if c.cell_type == "code")
    exercises = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.lstrip().startswith("# Exercise"))
    minutes = words / WORDS_PER_MINUTE + lines / CODE_LINES_PER_MINUTE + exercises * MINUTES_PER_EXERCISE
    return 5 * math.ceil(minutes / 5)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_header_and_the_readme_state_the_study_time_the_notebook_needs(path: Path):
    nb = nbformat.read(path, as_version=4)
    expected = study_minutes(nb)
    stated = re.search(r"\*\*Study\*\*: about (\d+) minutes", nb.cells[0].source)
    assert stated, f"{path.stem}: the header has no '**Study**: about N minutes' line"
    assert int(stated.group(1)) == expected, (
        f"{path.stem}: the header says {stated.group(1)} minutes of study; the estimate is {expected} "
        f"({WORDS_PER_MINUTE} words and {CODE_LINES_PER_MINUTE} code lines a minute, "
        f"{MINUTES_PER_EXERCISE} minutes per exercise): update the header and the README"
    )
    link = f"(notebooks/{path.name})"
    row = next(line for line in (REPO / "README.md").read_text().splitlines() if link in line)
    assert row.rstrip().endswith(f"| {expected} min |"), f"README's {path.stem} row: study should be {expected} min"
