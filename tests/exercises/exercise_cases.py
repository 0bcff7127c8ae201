"""What every exercise's tests declare: a right answer and wrong ones, each built by a function.

Each ``test_nbNN.py`` here has a ``CASES`` dict, exercise key -> :class:`Case`. ``test_registry.py``
drives the checks from the registry: every registered exercise needs a case, and a hands-on one needs
at least three wrong answers, among them a constant (a hard-coded output) and a reuse of what the
notebook already computed, unless the case says why that is impossible.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Factory = Callable[[], Any]


@dataclass
class Case:
    """``right`` builds an answer the checker must accept; ``wrong`` maps 'kind: what it does' to answers it must
    refuse, the kind being 'constant', 'reused' or 'other'; ``impossible`` says why a kind cannot be written."""

    right: Factory
    wrong: dict[str, Factory]
    impossible: dict[str, str] = field(default_factory=dict)


def load_cases() -> dict[str, Case]:
    """Every ``CASES`` of the ``test_nb*.py`` modules in this folder, by exercise key."""
    cases: dict[str, Case] = {}
    for path in sorted(Path(__file__).parent.glob("test_nb*.py")):
        spec = importlib.util.spec_from_file_location(f"exercise_cases_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases |= getattr(module, "CASES", {})
    return cases
