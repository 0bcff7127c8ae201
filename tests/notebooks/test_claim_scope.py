"""A claim that compares says how far it reaches: over which seeds, or why one seed is enough.

Each ``claim()`` in the notebooks whose statement compares (beats, below, more than...) must do one
of three things: name its seeds in the statement ("on every seed"); pass ``single_seed="why"``,
which the notebook prints beside the claim; or have an entry in ``tests/claim_scope.toml`` saying
what it rests on (the mean of three seeds, a model with no random training, one fixed data set).
An entry may not stand in for a single seed: that reason belongs in the notebook, where learners
read it. Entries that no longer match a claim fail too, so the file stays true.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib

import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SCOPES = tomllib.loads((REPO / "tests" / "claim_scope.toml").read_text())
COMPARES = re.compile(
    r"\b(beats?|better|worse|above|below|than|ahead|behind|outperforms?|wins?|loses?|higher|lower|gains?|more|"
    r"less|over|under|falls?|drops?|hurts?|helps?)\b",
    re.I,
)


def statement_text(node: ast.expr) -> str:
    """A claim's statement as written, with each f-string field shown as {}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return ast.unparse(node)


def claims(path) -> list[tuple[str, bool]]:
    """(statement, whether it passes single_seed=) for each claim() call of a notebook."""
    found = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "claim" and len(node.args) >= 2:
                found.append((statement_text(node.args[1]), any(k.arg == "single_seed" for k in node.keywords)))
    return found


def unscoped(statement: str, single_seed: bool) -> bool:
    return bool(COMPARES.search(statement)) and "seed" not in statement.lower() and not single_seed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_comparison_says_what_it_rests_on(path):
    scoped = {entry["claim"] for entry in SCOPES.get(path.stem, [])}
    missing = [s for s, single in claims(path) if unscoped(s, single) and s not in scoped]
    assert not missing, (
        f"{path.stem}: these claims compare without saying over which seeds; name the seeds in the statement, "
        f"pass single_seed='why', or add a scope to tests/claim_scope.toml: {missing}"
    )


def test_every_scope_entry_matches_a_claim_and_none_excuses_a_single_seed():
    by_stem = {path.stem: {s for s, single in claims(path) if unscoped(s, single)} for path in NOTEBOOKS}
    for stem, entries in SCOPES.items():
        for entry in entries:
            assert entry["claim"] in by_stem.get(stem, set()), f"{stem}: no comparing claim reads {entry['claim']!r}"
            assert entry["scope"].strip(), f"{stem}: {entry['claim']!r} has no scope"
            assert not re.match(r"one seed|single seed", entry["scope"], re.I), (
                f"{stem}: {entry['claim']!r}: a single seed is said in the notebook (single_seed=), not here"
            )


def test_the_checker_sees_plain_and_formatted_statements():
    tree = ast.parse('claim(a > b, f"{name}: CORAL beats source only", single_seed="x")\nclaim(c, "on every seed")')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert [statement_text(c.args[1]) for c in calls] == ["{}: CORAL beats source only", "on every seed"]
    assert unscoped("A beats B", False) and not unscoped("A beats B on every seed", False)
    assert not unscoped("A beats B", True) and not unscoped("A reaches 0.9", False)
