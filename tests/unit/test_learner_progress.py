"""course_utils.learner_progress: a learner's own table per notebook, and what it says about sharing."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from conftest import course_cli

from course_utils import learner_progress, progress
from course_utils.progress import Event
from course_utils.widgets import ProgressView

START = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def event(minute: int, key: str, outcome: str, kind: str = "check", hints: int = 0) -> Event:
    return Event(START + timedelta(minutes=minute), key, kind, outcome, hints)


EVENTS = [
    event(0, "01.iterations", "unanswered"),
    event(1, "01.iterations", "wrong"),
    event(2, "01.iterations", "hint", "hint", 1),
    event(3, "01.iterations", "correct", hints=1),
    event(4, "01.loader", "wrong"),
    event(5, "01.train_epoch", "hint", "hint", 2),  # hints taken, no answer yet: not started
    event(6, "01.bridge", "prediction", "predict"),
    event(7, "02.freeze", "correct"),
]


def test_done_tried_and_not_started_per_notebook():
    rows = {row.notebook: row for row in learner_progress.notebook_table(EVENTS)}
    assert list(rows) == ["01", "02", "03", "04", "05", "06", "07", "08", "09"]
    first = rows["01"]
    assert first.done == ("01.iterations",) and first.tried == ("01.loader",)
    assert len(first.not_started) == 2 and "01.train_epoch" in first.not_started
    assert first.hints == 3 and first.predictions == 1
    assert rows["02"].done == ("02.freeze",) and rows["03"].done == () and len(rows["03"].not_started) == 4


def test_attempts_stop_counting_at_the_first_right_answer():
    states = learner_progress.exercise_states([*EVENTS, event(9, "01.iterations", "wrong")])
    assert states["01.iterations"].passed and states["01.iterations"].attempts == 2


def test_the_table_says_where_it_is_recorded_and_whether_it_is_shared(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PROGRESS_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    monkeypatch.delenv("COURSE_CLASS_DIR", raising=False)
    assert "not shared" in learner_progress.where_recorded() and str(tmp_path) in learner_progress.where_recorded()
    monkeypatch.setenv("COURSE_CLASS_DIR", str(tmp_path / "class"))
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    assert f"shared with your instructor in {tmp_path / 'class' / 'ada.jsonl'}" in learner_progress.where_recorded()
    monkeypatch.setenv("COURSE_PROGRESS", "off")
    assert "not recorded" in learner_progress.where_recorded()


def test_the_view_shows_the_file_and_refreshes(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_PROGRESS_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    monkeypatch.delenv("COURSE_CLASS_DIR", raising=False)
    view = ProgressView()
    bundle = view._repr_mimebundle_()
    assert "0 of 4" in bundle["text/plain"] and " at 0x" not in bundle["text/plain"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    progress.record("check", "01.loader", "correct", 0)
    assert "1 of 4" in view.refresh() and "1 of 4" in view.view.value


def test_the_progress_command_prints_the_table(tmp_path):
    env = {**os.environ, "COURSE_PROGRESS_DIR": str(tmp_path), "COURSE_PROGRESS": "on"}
    (tmp_path / "progress.jsonl").write_text(EVENTS[3].to_line().decode() + "a torn li")
    done = course_cli("progress", env=env)
    assert done.returncode == 0 and "1 of 4" in done.stdout and "not shared" in done.stdout, done.stderr
