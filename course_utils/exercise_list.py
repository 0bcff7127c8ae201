"""Every exercise key of every notebook, read from the exercise modules' source without importing them.

Importing ``course_utils/exercises/nbNN.py`` registers its exercises but also imports what its
checkers need (PyTorch, transformers): seconds per notebook. The progress table and the class
report only need the keys, in the order each notebook asks them, so they read the
``register("01.iterations", ...)`` calls from the source.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

EXERCISES = Path(__file__).parent / "exercises"


def _keys(source: str) -> list[str]:
    calls = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))
    return [
        call.args[0].value
        for call in calls
        if getattr(call.func, "id", getattr(call.func, "attr", "")) == "register"
        and call.args
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
    ]


@functools.cache
def exercise_keys() -> dict[str, tuple[str, ...]]:
    """Notebook ("01") -> its exercise keys, in the order the notebook asks them."""
    found = {}
    for path in sorted(EXERCISES.glob("nb[0-9][0-9].py")):
        found[path.stem[2:]] = tuple(_keys(path.read_text(encoding="utf-8")))
    return found


def exercise_order() -> dict[str, int]:
    """Each exercise key's place in the course, for sorting."""
    return {key: i for i, key in enumerate(k for keys in exercise_keys().values() for k in keys)}
