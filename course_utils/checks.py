"""Auto-checked exercises: immediate feedback, never a traceback.

A notebook declares its exercises once (``checks.register``) and each exercise cell ends with
``check("01.iterations", answer)``. The result shows as a coloured line and is truthy only when
the answer is right, so a solution cell can say ``assert check(...)`` and the tests, which run
the solutions, fail if a checker ever rejects a right answer.

Hints come as a ladder: the idea first, then the tool, then the line to write. A wrong answer
shows the first rung only; ``hint("01.iterations")`` climbs one rung per call, so a learner
takes exactly as much help as they need.

Predictions (``predict`` before an experiment, ``reveal`` after it) record a learner's guess
and compare it with what the run measured.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import config, progress
from .errors import CourseError

Checker = Callable[[Any], bool]


KINDS = {
    "code": "write the code of the lesson's step; the checker runs it on inputs of its own",
    "decision": "choose a setting or a method; the checker measures the choice",
    "warm-up": "recall or arithmetic (at most one per notebook)",
}


@dataclass(frozen=True)
class Exercise:
    key: str
    question: str
    checker: Checker
    hints: tuple[str, ...]  # the ladder: idea, then tool, then the line to write
    kind: str = "code"  # one of KINDS
    skill: str = ""  # the skill it practises, for the instructors' table

    @property
    def verifies(self) -> str:
        """What the checker verifies: the first paragraph of its docstring."""
        doc = (self.checker.__doc__ or "").strip().split("\n\n")[0]
        return " ".join(doc.split())


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer; truthy only when correct."""

    key: str
    status: str  # "correct", "wrong", "unanswered", "error", "hint", "prediction"
    message: str

    def __bool__(self) -> bool:
        return self.status == "correct"

    def __repr__(self) -> str:
        marks = {
            "correct": "Correct",
            "wrong": "Not yet",
            "unanswered": "Not answered yet",
            "error": "Could not check",
            "hint": "Hint",
            "prediction": "Prediction",
        }
        return f"[{self.key}] {marks[self.status]}: {self.message}"

    def _repr_html_(self) -> str:
        colors = {
            "correct": "#e6f4ea",
            "wrong": "#fdecea",
            "unanswered": "#f1f3f4",
            "error": "#fff4e5",
            "hint": "#e8f0fe",
            "prediction": "#f3e8fd",
        }
        return (
            f'<div style="background:{colors[self.status]}; padding:6px 10px; border-radius:4px">'
            f"{html.escape(repr(self))}</div>"
        )


_EXERCISES: dict[str, Exercise] = {}
_RUNGS_SHOWN: dict[str, int] = {}  # how far up each exercise's hint ladder the learner has climbed


def register(
    key: str, question: str, checker: Checker, hints: str | Sequence[str], *, kind: str = "code", skill: str = ""
) -> Exercise:
    """Declare an exercise with its hint ladder (re-registering a key replaces it, so cells can be re-run)."""
    ladder = (hints,) if isinstance(hints, str) else tuple(hints)
    if not ladder:
        raise ValueError(f"exercise {key!r} needs at least one hint")
    if kind not in KINDS:
        raise ValueError(f"exercise {key!r}: kind must be one of {', '.join(KINDS)}")
    exercise = Exercise(key, question, checker, ladder, kind, skill)
    _EXERCISES[key] = exercise
    return exercise


def _unknown(key: str) -> Feedback:
    known = ", ".join(sorted(_EXERCISES)) or "none yet (run the cell that registers them)"
    return Feedback(key, "error", f"there is no exercise {key!r}; registered: {known}")


def _first_rung(exercise: Exercise) -> str:
    more = f" (more help: hint({exercise.key!r}))" if len(exercise.hints) > 1 else ""
    return f"Hint 1 of {len(exercise.hints)}: {exercise.hints[0]}{more}"


@progress.recorded("hint", _RUNGS_SHOWN)  # each call is one line in the learner's progress file
def hint(key: str) -> Feedback:
    """The next rung of exercise ``key``'s hint ladder; the last rung repeats once reached."""
    exercise = _EXERCISES.get(key)
    if exercise is None:
        return _unknown(key)
    rung = min(_RUNGS_SHOWN.get(key, 0), len(exercise.hints) - 1)
    _RUNGS_SHOWN[key] = rung + 1
    last = rung == len(exercise.hints) - 1
    tail = " (the last hint)" if last else f" (next: hint({key!r}) again)"
    return Feedback(key, "hint", f"{rung + 1} of {len(exercise.hints)}: {exercise.hints[rung]}{tail}")


def _stub(*args: Any, **kwargs: Any) -> None: ...


def unanswered(answer: Any) -> bool:
    """``...``, ``None``, a function whose body is still ``...``, a class whose methods all are, or a tuple
    starting with one of these (an answer passed with the data it is checked on) are the placeholders
    learners start from.

    A stub function compiles to the same bytecode as ``_stub`` (``...``, ``pass`` and ``return
    None`` alike), so a "write this function" exercise is neutral on Run All, not a red verdict.
    """
    if answer is Ellipsis or answer is None:
        return True
    if isinstance(answer, tuple) and answer:  # an answer passed with what it is checked on: (model, data, ...)
        return unanswered(answer[0])
    if isinstance(answer, type):  # a "write this class" exercise: every method it defines is still a stub
        methods = [f for f in vars(answer).values() if callable(f) and hasattr(f, "__code__")]
        return bool(methods) and all(unanswered(f) for f in methods)
    code = getattr(answer, "__code__", None)
    return code is not None and code.co_code == _stub.__code__.co_code and code.co_consts in ((None,), ())


@progress.recorded("check", _RUNGS_SHOWN)
def check(key: str, answer: Any) -> Feedback:
    """Check ``answer`` against exercise ``key``; always returns, never raises."""
    exercise = _EXERCISES.get(key)
    if exercise is None:
        return _unknown(key)
    if unanswered(answer):
        return Feedback(key, "unanswered", f"replace the ... with your answer. {exercise.question}")
    try:
        correct = bool(exercise.checker(answer))
    except Exception as exc:  # a learner's answer of the wrong kind must not crash the notebook
        return Feedback(
            key, "wrong", f"that answer could not be checked ({type(exc).__name__}). {_first_rung(exercise)}"
        )
    if correct:
        return Feedback(key, "correct", "well done.")
    return Feedback(key, "wrong", _first_rung(exercise))


# Predict, then run: a learner's guess is recorded before the experiment and compared after it.


class PredictionPending(CourseError):
    """In predict-first mode (``COURSE_PREDICT_FIRST``), a prediction cell not yet answered stops Run All."""


_PREDICTIONS: dict[str, str] = {}


def _normal(text: Any) -> str:
    return " ".join(str(text).lower().split())


@progress.recorded("predict", _RUNGS_SHOWN)  # records that a guess was made, never the guess
def predict(key: str, guess: Any, choices: Sequence[str]) -> Feedback:
    """Record the learner's guess for experiment ``key`` (one of ``choices``) before it runs.

    ``...`` means no guess: that is recorded too, so the comparison afterwards says so instead of
    pretending. A guess outside the choices is refused with the list, never a traceback.
    """
    options = ", ".join(repr(c) for c in choices)
    if unanswered(guess):
        _PREDICTIONS.pop(key, None)
        if config.flag("COURSE_PREDICT_FIRST"):  # class mode: Run All stops here until the learner predicts
            raise PredictionPending(f"[{key}] predict first: replace the ... with one of {options}, run this cell, "
                                    "then Run > Run Selected Cell and All Below.")  # fmt: skip
        return Feedback(key, "unanswered", f"no prediction made; replace the ... with one of {options}.")
    normal = {_normal(c): c for c in choices}
    if _normal(guess) not in normal:
        _PREDICTIONS.pop(key, None)
        return Feedback(key, "error", f"{guess!r} is not one of {options}; pick one and run this cell again.")
    _PREDICTIONS[key] = normal[_normal(guess)]
    return Feedback(key, "prediction", f"recorded {_PREDICTIONS[key]!r}. Now run the experiment.")


@progress.recorded("reveal", _RUNGS_SHOWN)
def reveal(key: str, measured: str, detail: str = "") -> Feedback:
    """Compare the recorded guess for ``key`` with the ``measured`` outcome (one of the same choices)."""
    shown = f"this run measured {measured!r}" + (f" ({detail})" if detail else "")
    guess = _PREDICTIONS.get(key)
    if guess is None:
        return Feedback(key, "unanswered", f"no prediction was recorded; {shown}.")
    if _normal(guess) == _normal(measured):
        return Feedback(key, "correct", f"you predicted {guess!r} and {shown}: your prediction held.")
    return Feedback(key, "wrong", f"you predicted {guess!r} but {shown}: worth working out why before moving on.")


# Small checker builders for the common kinds of answer.


def equals(expected: Any) -> Checker:
    def checker(answer: Any) -> bool:
        """The value the question asks for, exactly."""
        return answer == expected

    return checker


def close_to(expected: float, rel: float = 1e-3, abs_: float = 0.0) -> Checker:
    def checker(answer: Any) -> bool:
        """The number the question asks for, to a rounding error."""
        return math.isclose(float(answer), expected, rel_tol=rel, abs_tol=abs_)

    return checker


def whole_number_in(answer: Any, low: int, high: int, what: str) -> bool:
    """Whether ``answer`` is a whole number from ``low`` to ``high`` (True is not one); says why not."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Integral) or not low <= answer <= high:
        print(f"{what} must be a whole number from {low:,} to {high:,}, not {answer!r}")
        return False
    return True


def near_smallest(n: int, measure: Callable[[int, int], float], seeds: Sequence[int], level: float, what: str) -> bool:
    """Whether ``n`` reaches ``level`` on every seed (``measure(seed, n)``) and half of it falls short on one: an
    answer near the smallest that works, not any large one. Stops measuring at a seed's first shortfall."""

    def reached(size: int) -> bool:
        scores = []
        for seed in seeds:
            scores.append(measure(seed, size))
            if scores[-1] < level:
                break
        print(f"{what} {size}: " + ", ".join(f"{s:.3f}" for s in scores) + f" on seeds {list(seeds)[: len(scores)]}")
        return len(scores) == len(seeds) and min(scores) >= level

    if not reached(n):
        return False
    if n // 2 >= 1 and reached(n // 2):
        print(f"half of it, {n // 2}, is enough too: look for a smaller number")
        return False
    return True


def one_of(*accepted: str) -> Checker:
    """A text answer, compared case- and space-insensitively."""
    normal = {a.strip().lower() for a in accepted}

    def checker(answer: Any) -> bool:
        """The word the question asks for, case and spaces ignored."""
        return isinstance(answer, str) and answer.strip().lower() in normal

    return checker
