"""Every registered exercise: a hint ladder, and tests with right and wrong answers."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO

from course_utils import checks
from course_utils.exercises import load_exercises

# One right answer and some wrong ones for every exercise whose checker compares a value; the
# exercises that check behaviour have their own tests above. The last test keeps this complete.
VALUE_ANSWERS = {
    "03.head_params": (1155, [1152, 770, 1158, "1155 parameters"]),
    "03.steps": (141, [140, 126, 47, 144]),
    "03.pad_mask": (0, [1, "1", "padding"]),
    "07.vnni": ("VNNI", ["AVX2", "AMX", "avx512", "bf16"]),
    "04.pairs": (496, [480, 992, 256]),
    "04.same_pairs": (240, [256, 120, 496]),
    "04.chance": (428 / 872, [0.5, 444 / 872, 428]),
    "05.gain": (0.71 - 0.78, [0.07, 0.78 - 0.71 + 1, -0.7]),
    "05.sign": ("positive", ["negative", "zero", "-"]),
    "05.lower_lr": ("hurt", ["help", "helped", "no change"]),
    "06.proxy_a": (1.6, [0.8, 0.9, 1.8, -1.6]),
}


def test_every_value_exercise_accepts_its_answer_and_rejects_near_misses():
    for notebook in ("03", "04", "05", "06", "07"):
        load_exercises(notebook)

    for key, (right, wrongs) in VALUE_ANSWERS.items():
        assert checks.check(key, right).status == "correct", key
        for wrong in wrongs:
            assert checks.check(key, wrong).status == "wrong", (key, wrong)
        assert checks.check(key, ...).status == "unanswered", key


def test_every_registered_exercise_is_tested_with_wrong_answers_here():
    import importlib

    for module in sorted((REPO / "course_utils" / "exercises").glob("nb*.py")):
        importlib.import_module(f"course_utils.exercises.{module.stem}")
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    untested = [key for key in checks._EXERCISES if key.startswith("0") and f'"{key}"' not in tests]
    assert not untested, f"exercises with no right/wrong-answer test in tests/exercises/: {untested}"


def test_every_exercise_has_a_ladder_and_no_first_hint_gives_the_answer_away():
    import importlib

    for module in sorted((REPO / "course_utils" / "exercises").glob("nb*.py")):
        importlib.import_module(f"course_utils.exercises.{module.stem}")
    course = {key: ex for key, ex in checks._EXERCISES.items() if key.startswith("0")}
    assert all(len(ex.hints) >= 2 for ex in course.values()), [k for k, ex in course.items() if len(ex.hints) < 2]
    answers = {**{k: right for k, (right, _) in VALUE_ANSWERS.items()}, "01.iterations": 20, "01.total_steps": 155}
    answers |= {"01.noisier": "small", "02.head_params": 10245, "02.bn_mode": "eval"}
    for key, right in answers.items():
        shown = str(round(right, 3)) if isinstance(right, float) else str(right)
        first = course[key].hints[0]
        assert shown not in first.replace(",", ""), (key, first)  # "4,098" counts as a leak too
