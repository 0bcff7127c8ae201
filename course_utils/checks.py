"""Auto-checked exercises: immediate feedback, never a traceback.

A notebook declares its exercises once (``checks.register``) and each exercise cell ends with
``check("01.iterations", answer)``. The result shows as a coloured line and is truthy only when
the answer is right, so a solution cell can say ``assert check(...)`` and the tests, which run
the solutions, fail if a checker ever rejects a right answer.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Checker = Callable[[Any], bool]


@dataclass(frozen=True)
class Exercise:
    key: str
    question: str
    checker: Checker
    hint: str


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer; truthy only when correct."""

    key: str
    status: str  # "correct", "wrong", "unanswered", "error"
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        marks = {"correct": "Correct", "wrong": "Not yet", "unanswered": "Not answered yet", "error": "Could not check"}
        return f"[{self.key}] {marks[self.status]}: {self.message}"

    def _repr_html_(self) -> str:
        colors = {"correct": "#e6f4ea", "wrong": "#fdecea", "unanswered": "#f1f3f4", "error": "#fff4e5"}
        return (
            f'<div style="background:{colors[self.status]}; padding:6px 10px; border-radius:4px">'
            f"{html.escape(repr(self))}</div>"
        )


_EXERCISES: dict[str, Exercise] = {}


def register(key: str, question: str, checker: Checker, hint: str) -> Exercise:
    """Declare an exercise (re-registering a key replaces it, so cells can be re-run)."""
    exercise = Exercise(key, question, checker, hint)
    _EXERCISES[key] = exercise
    return exercise


def _stub(*args: Any, **kwargs: Any) -> None: ...


def unanswered(answer: Any) -> bool:
    """``...``, ``None``, a function whose body is still ``...``, or a tuple starting with one of these
    (an answer passed with the data it is checked on) are the placeholders learners start from.

    A stub function compiles to the same bytecode as ``_stub`` (``...``, ``pass`` and ``return
    None`` alike), so a "write this function" exercise is neutral on Run All, not a red verdict.
    """
    if answer is Ellipsis or answer is None:
        return True
    if isinstance(answer, tuple) and answer:  # an answer passed with what it is checked on: (model, data, ...)
        return unanswered(answer[0])
    code = getattr(answer, "__code__", None)
    return code is not None and code.co_code == _stub.__code__.co_code and code.co_consts in ((None,), ())


def check(key: str, answer: Any) -> Feedback:
    """Check ``answer`` against exercise ``key``; always returns, never raises."""
    exercise = _EXERCISES.get(key)
    if exercise is None:
        known = ", ".join(sorted(_EXERCISES)) or "none yet (run the cell that registers them)"
        return Feedback(key, "error", f"there is no exercise {key!r}; registered: {known}")
    if unanswered(answer):
        return Feedback(key, "unanswered", f"replace the ... with your answer. {exercise.question}")
    try:
        correct = bool(exercise.checker(answer))
    except Exception as exc:  # a learner's answer of the wrong kind must not crash the notebook
        return Feedback(key, "wrong", f"that answer could not be checked ({type(exc).__name__}). Hint: {exercise.hint}")
    if correct:
        return Feedback(key, "correct", "well done.")
    return Feedback(key, "wrong", f"Hint: {exercise.hint}")


# Claims a notebook makes about its own results ("feature extraction reaches 90%").

TIMING_ONLY_ENV = "COURSE_TIMING_ONLY"


def timing_only() -> bool:
    """True in a benchmark run with random vision weights (``COURSE_TIMING_ONLY=1``).

    Time and memory do not depend on the weights' values, so ``make bench`` can measure the
    ResNet-50 configuration without its weights; accuracy claims cannot hold there.
    """
    return os.environ.get(TIMING_ONLY_ENV, "").strip() not in ("", "0")


def claim(holds: bool, statement: str) -> None:
    """Assert a claim about this run's results, with the claim in the error message.

    In a timing-only run the claim is reported as skipped instead: the weights are random there.
    """
    if timing_only():
        print(f"[timing-only run, random weights] claim not checked: {statement}")
        return
    if not holds:
        raise AssertionError(f"This run does not support the notebook's claim: {statement}")


STRICT_ENV = "COURSE_STRICT"


def strict_timing() -> bool:
    """True where a timing claim must hold: in CI (``CI`` set) or with ``COURSE_STRICT=1``.

    ``COURSE_STRICT=0`` turns it off even in CI (the benchmark's busy-machine runs do that).
    """
    strict = os.environ.get(STRICT_ENV, "").strip()
    if strict:
        return strict != "0"
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def timing_claim(holds: bool, statement: str) -> None:
    """A claim about wall-clock time or a speed ratio: strict in CI and benchmarks, a note elsewhere.

    Seconds depend on everything else the machine is doing; a learner's "Run All" on a busy
    laptop or a shared hub must not stop because another process took the CPU. Claims about
    accuracy, counts and parameters use :func:`claim` and stay strict everywhere.
    """
    if holds:
        return
    if strict_timing():
        raise AssertionError(f"This run's timings do not support the notebook's claim: {statement}")
    print(
        f"Note: this run's timings do not show it: {statement}. Times vary when other programs use the "
        "CPU; re-run this cell on a quiet machine to see it."
    )


# Small checker builders for the common kinds of answer.


def equals(expected: Any) -> Checker:
    return lambda answer: answer == expected


def close_to(expected: float, rel: float = 1e-3, abs_: float = 0.0) -> Checker:
    return lambda answer: math.isclose(float(answer), expected, rel_tol=rel, abs_tol=abs_)


def one_of(*accepted: str) -> Checker:
    """A text answer, compared case- and space-insensitively."""
    normal = {a.strip().lower() for a in accepted}
    return lambda answer: isinstance(answer, str) and answer.strip().lower() in normal
