"""course_utils.exercise_list: the exercise keys read from source are the ones the modules register."""

from __future__ import annotations

from course_utils import checks
from course_utils.exercise_list import exercise_keys
from course_utils.exercises import load_exercises


def test_the_keys_read_without_importing_are_the_keys_registered():
    keys = exercise_keys()
    assert list(keys) == [f"{n:02d}" for n in range(1, 10)] and all(keys.values())
    load_exercises("01")  # one notebook's import is enough to hold the reading to the truth
    assert keys["01"] == tuple(k for k in checks._EXERCISES if k.startswith("01."))
