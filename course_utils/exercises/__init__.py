"""Each notebook's exercises, registered with :mod:`course_utils.checks` when the notebook loads them.

The expected answers live here rather than in the notebooks, so reading an exercise cell does
not give its answer away; the reference solutions are collapsed cells in each notebook.
A notebook's first cell says ``check, hint, predict, reveal = load_exercises("01")``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, NamedTuple

from .. import checks


class ExerciseTools(NamedTuple):
    """What an exercise cell calls: check an answer, climb the hint ladder, predict, reveal."""

    check: Callable[..., Any]
    hint: Callable[..., Any]
    predict: Callable[..., Any]
    reveal: Callable[..., Any]


def load_exercises(notebook: str) -> ExerciseTools:
    """Register notebook ``notebook``'s exercises ("01" to "09") and return the functions its cells use."""
    importlib.import_module(f".nb{notebook}", __name__)  # importing a module registers its exercises
    return ExerciseTools(checks.check, checks.hint, checks.predict, checks.reveal)


NOTEBOOKS = ("01", "02", "03", "04", "05", "06", "07", "08", "09")


def markdown_table() -> str:
    """The instructors' table of every exercise: key, skill, kind and what its checker verifies."""
    for notebook in NOTEBOOKS:
        load_exercises(notebook)
    rows = ["| exercise | skill it practises | kind | what the checker verifies |", "|---|---|---|---|"]
    for key, exercise in sorted(checks._EXERCISES.items(), key=lambda item: item[0][:2]):  # registration order
        if key[:2] in NOTEBOOKS:
            verifies = exercise.verifies.replace("|", "\\|")
            rows.append(f"| `{key}` | {exercise.skill} | {exercise.kind} | {verifies} |")
    return "\n".join(rows)
