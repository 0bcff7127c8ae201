"""Every registered exercise, driven from the registry: a hint ladder that does not give the answer away, and
tests with right and wrong answers (tests/exercises/test_nbNN.py's CASES), which the checker must tell apart."""

from __future__ import annotations

import pytest
from conftest import REPO
from exercise_cases import load_cases

from course_utils import checks
from course_utils.exercises import load_exercises

NOTEBOOKS = sorted(p.stem[2:] for p in (REPO / "course_utils" / "exercises").glob("nb*.py"))
for _notebook in NOTEBOOKS:
    load_exercises(_notebook)
EXERCISES = {key: ex for key, ex in checks._EXERCISES.items() if key[:2] in NOTEBOOKS}
CASES = load_cases()


def test_every_exercise_has_a_case_and_every_hands_on_one_refuses_three_kinds_of_wrong_answer():
    missing = sorted(set(EXERCISES) - set(CASES))
    assert not missing, f"exercises with no CASES entry in tests/exercises/test_nbNN.py: {missing}"
    assert not set(CASES) - set(EXERCISES), "cases for exercises that are no longer registered"
    for key, exercise in EXERCISES.items():
        case = CASES[key]
        if exercise.kind == "warm-up":
            assert len(case.wrong) >= 2, key
            continue
        assert len(case.wrong) >= 3, f"{key}: a hands-on exercise needs at least three wrong answers"
        kinds = {label.split(":")[0] for label in case.wrong}
        assert kinds <= {"constant", "reused", "other"}, (key, kinds)
        for needed in ("constant", "reused"):
            assert needed in kinds or needed in case.impossible, f"{key}: no '{needed}:' wrong answer, nor why not"


@pytest.mark.parametrize("key", sorted(CASES))
def test_the_checker_accepts_the_right_answer_and_refuses_each_wrong_one(key):
    case = CASES[key]
    assert checks.check(key, case.right()).status == "correct", key
    for label, wrong in case.wrong.items():
        assert checks.check(key, wrong()).status == "wrong", f"{key} accepted a wrong answer: {label}"
    assert checks.check(key, ...).status == "unanswered", key


def test_practice_over_recall_per_notebook():
    for notebook in NOTEBOOKS:
        kinds = [ex.kind for key, ex in EXERCISES.items() if key.startswith(notebook)]
        assert kinds.count("warm-up") <= 1, f"notebook {notebook}: more than one recall or arithmetic warm-up"
        assert len(kinds) - kinds.count("warm-up") >= 3, f"notebook {notebook}: fewer than three hands-on exercises"


def test_every_exercise_has_a_ladder_says_what_it_checks_and_no_first_hint_gives_the_answer_away():
    for key, exercise in EXERCISES.items():
        assert len(exercise.hints) >= 2, key
        assert exercise.skill and exercise.verifies, f"{key}: the instructors' table needs its skill and docstring"
        right = CASES[key].right()
        if isinstance(right, int | float | str):
            shown = str(round(right, 3)) if isinstance(right, float) else str(right)
            assert shown not in exercise.hints[0].replace(",", ""), (key, exercise.hints[0])


def test_the_instructors_guide_lists_every_exercise_from_the_registry():
    from course_utils.exercises import markdown_table

    guide = (REPO / "docs" / "instructors.md").read_text()
    assert markdown_table() in guide, "docs/instructors.md: paste python -m course_utils exercises --markdown"
