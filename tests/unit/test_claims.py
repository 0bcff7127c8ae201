"""course_utils.claims: strict where the run must prove the text, a panel for a learner."""

from __future__ import annotations

import pytest

from course_utils import claims
from course_utils.claims import ClaimError, ClaimPanel, claim, timing_claim


@pytest.fixture
def learner(monkeypatch):
    """A learner's kernel: no CI, no strict mode, real weights."""
    for name in ("CI", "COURSE_STRICT", "COURSE_STRICT_TIMING", "COURSE_TIMING_ONLY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_claim_that_holds_is_silent_in_every_mode(learner, capsys):
    claim(True, "fine-tuning beats scratch", measured="0.95 vs 0.48")
    learner.setenv("COURSE_STRICT", "1")
    claim(True, "fine-tuning beats scratch")
    timing_claim(True, "anything")
    assert capsys.readouterr().out == ""


def test_a_comparison_on_one_seed_prints_its_reason_with_the_claim(learner, capsys):
    claim(True, "fine-tuning beats scratch", single_seed="ResNet-50 runs one seed on a laptop")
    assert capsys.readouterr().out == "one seed only (ResNet-50 runs one seed on a laptop): fine-tuning beats scratch\n"
    learner.setenv("COURSE_STRICT", "1")
    with pytest.raises(ClaimError):  # the reason explains the scope; it excuses nothing
        claim(False, "fine-tuning beats scratch", single_seed="one seed")


def test_in_a_strict_run_a_failed_claim_stops_it_naming_the_claim_and_the_number(learner):
    learner.setenv("COURSE_STRICT", "1")
    with pytest.raises(ClaimError, match=r"fine-tuning beats scratch \(this run: 0.41 vs 0.48\)"):
        claim(False, "fine-tuning beats scratch", measured="0.41 vs 0.48")
    with pytest.raises(AssertionError):  # ClaimError is an AssertionError: pytest and nbval report it as one
        timing_claim(False, "batches of 8 are slower", measured="1.2x")


def test_in_a_learners_run_a_failed_claim_shows_the_panel_and_returns(learner, capsys):
    claim(False, "fine-tuning beats scratch", measured="fine-tuning 0.41, scratch 0.48")
    shown = capsys.readouterr().out  # outside IPython the panel is printed
    assert "This run differs from the notebook's text." in shown
    assert "The text says: fine-tuning beats scratch" in shown
    assert "This run measured: fine-tuning 0.41, scratch 0.48" in shown
    assert "Likely reason:" in shown and "What to do:" in shown and "restart the kernel and Run All" in shown
    timing_claim(False, "batches of 8 are slower", measured="0.9x")
    assert "other programs were using the CPU" in capsys.readouterr().out


def test_the_panel_has_an_html_view_with_every_part_escaped():
    panel = ClaimPanel("a < b", "1 & 2", "result")
    page = panel._repr_html_()
    assert "a &lt; b" in page and "1 &amp; 2" in page and "What to do" in page
    assert "This run measured: 1 & 2" in repr(panel)


def test_timing_only_runs_report_accuracy_claims_as_not_checked(learner, capsys):
    learner.setenv("COURSE_STRICT", "1")
    learner.setenv("COURSE_TIMING_ONLY", "1")
    claim(False, "feature extraction reaches 90%")
    assert "claim not checked: feature extraction reaches 90%" in capsys.readouterr().out
    with pytest.raises(ClaimError):  # times are what a timing-only run measures: still checked
        timing_claim(False, "an epoch takes over 3x as long")


def test_busy_machine_benchmark_keeps_results_strict_and_notes_timings(learner, capsys):
    learner.setenv("COURSE_STRICT", "1")
    learner.setenv("COURSE_STRICT_TIMING", "0")
    timing_claim(False, "an epoch takes over 3x as long")
    assert "an epoch takes over 3x as long" in capsys.readouterr().out
    with pytest.raises(ClaimError):
        claim(False, "accuracy holds")
    assert claims.strict() and not claims.strict_timing()
