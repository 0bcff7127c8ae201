"""course_utils.checks: feedback for right, wrong, missing and malformed answers; never a traceback."""

from __future__ import annotations

import pytest

from course_utils import checks


def setup_module():
    checks.register("t.num", "What is 6 x 7?", checks.equals(42), "multiply")
    checks.register("t.float", "pi to 3 places?", checks.close_to(3.14159, rel=1e-3), "3.14...")
    checks.register("t.word", "small or large?", checks.one_of("small"), "think")


def test_right_answer_is_truthy_and_says_so():
    fb = checks.check("t.num", 42)
    assert fb and fb.status == "correct" and "Correct" in repr(fb) and "Correct" in fb._repr_html_()


def test_wrong_answer_gives_the_hint():
    fb = checks.check("t.num", 41)
    assert not fb and fb.status == "wrong" and "multiply" in repr(fb)


def test_unanswered_placeholder_is_not_a_failure_of_the_run():
    for placeholder in (..., None):
        fb = checks.check("t.num", placeholder)
        assert not fb and fb.status == "unanswered" and "What is 6 x 7?" in repr(fb)


def test_a_function_still_to_be_written_is_unanswered_and_a_written_one_is_checked():
    def classify(sentences): ...

    def written(sentences):
        return ["positive" for _ in sentences]

    assert checks.check("t.num", classify).status == "unanswered"
    assert checks.check("t.num", lambda: None).status == "unanswered"
    assert checks.check("t.num", written).status == "wrong"  # checked, and not 42


def test_a_class_still_to_be_written_is_unanswered_and_a_started_one_is_checked():
    class Layer:
        def __init__(self, base, rank): ...

    class Started:
        def __init__(self, base, rank): ...

        def forward(self, x):
            return x

    assert checks.check("t.num", Layer).status == "unanswered"
    assert checks.check("t.num", Started).status == "wrong"  # one method written: checked
    assert checks.check("t.num", int).status == "wrong"  # a class with no methods of its own is an answer


def test_answer_of_the_wrong_kind_is_feedback_not_an_exception():
    fb = checks.check("t.float", "three")
    assert fb.status == "wrong" and "could not be checked" in repr(fb)
    assert checks.check("t.float", 3.1416)


def test_text_answers_ignore_case_and_spaces():
    assert checks.check("t.word", "  Small ")
    assert not checks.check("t.word", 5)


def test_unknown_exercise_key_lists_the_known_ones():
    fb = checks.check("nope", 1)
    assert fb.status == "error" and "t.num" in repr(fb)


def test_a_wrong_answer_shows_the_first_hint_only_and_hint_climbs_the_ladder():
    checks.register("t.ladder", "3 + 4?", checks.equals(7), ("the idea", "the tool", "the line"))
    fb = checks.check("t.ladder", 6)
    assert fb.status == "wrong" and "the idea" in repr(fb) and "the tool" not in repr(fb)
    assert "hint('t.ladder')" in repr(fb)  # says where more help is
    rungs = [repr(checks.hint("t.ladder")) for _ in range(4)]
    assert all(word in rung for word, rung in zip(("the idea", "the tool", "the line", "the line"), rungs, strict=True))
    assert "last hint" in rungs[2] and "the tool" not in rungs[0]
    assert checks.check("t.ladder", 6).status == "wrong" and "the tool" not in repr(checks.check("t.ladder", 6))
    assert checks.hint("nope").status == "error"


def test_a_prediction_is_recorded_then_compared_and_a_missing_one_says_so():
    choices = ("beats", "ties", "loses")
    assert checks.predict("t.pred", ..., choices).status == "unanswered"
    assert checks.reveal("t.pred", "beats").status == "unanswered"  # none recorded: says so, no verdict
    bad = checks.predict("t.pred", "wins", choices)
    assert bad.status == "error" and "'beats'" in repr(bad)
    assert checks.predict("t.pred", " Beats ", choices).status == "prediction"
    held = checks.reveal("t.pred", "beats", "+0.02")
    assert held.status == "correct" and "+0.02" in repr(held)
    checks.predict("t.pred", "loses", choices)
    missed = checks.reveal("t.pred", "beats")
    assert missed.status == "wrong" and "'loses'" in repr(missed) and "'beats'" in repr(missed)
    checks.predict("t.pred", ..., choices)  # taking a guess back leaves nothing recorded
    assert checks.reveal("t.pred", "beats").status == "unanswered"


def test_whole_number_in_accepts_numpy_integers_and_refuses_bools_floats_and_strings(capsys):
    import numpy as np

    assert checks.whole_number_in(np.int64(3), 1, 5, "n") and checks.whole_number_in(5, 1, 5, "n")
    for wrong in (True, 3.0, "3", 0, 6, None):
        assert not checks.whole_number_in(wrong, 1, 5, "n"), wrong
    assert "n must be a whole number from 1 to 5" in capsys.readouterr().out


def test_predict_first_mode_stops_run_all_at_an_unanswered_prediction(monkeypatch):
    from course_utils.checks import PredictionPending

    monkeypatch.setenv("COURSE_PREDICT_FIRST", "1")
    with pytest.raises(PredictionPending, match=r"\[t.guess\] predict first: replace the \.\.\. with one of 'a', 'b'"):
        checks.predict("t.guess", ..., ("a", "b"))
    assert checks.predict("t.guess", "a", ("a", "b")).status == "prediction"  # a made prediction goes through
    monkeypatch.setenv("COURSE_PREDICT_FIRST", "0")
    assert checks.predict("t.guess", ..., ("a", "b")).status == "unanswered"  # outside class mode: one line
