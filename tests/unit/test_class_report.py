"""course_utils.class_report: counts per exercise and per learner from a class folder; bad files are notes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import course_cli, snapshot

from course_utils import class_report

START = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def line(minute: int, key: str, outcome: str, kind: str = "check", hints: int = 0) -> str:
    stamp = (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"v": 1, "time": stamp, "key": key, "kind": kind, "outcome": outcome, "hints": hints}
    return json.dumps(fields)


def write(path: Path, *lines: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{text}\n" for text in lines))


@pytest.fixture
def folder(tmp_path) -> Path:
    """A class of five, with the odd things a real class folder collects."""
    room = tmp_path / "class"
    write(room / "ada.jsonl",
          line(0, "01.iterations", "unanswered"), line(1, "01.iterations", "wrong"),
          line(2, "01.iterations", "wrong"), line(3, "01.iterations", "hint", "hint", 1),
          line(4, "01.iterations", "correct", hints=1), line(5, "01.iterations", "correct", hints=1),
          line(9, "01.loader", "wrong"))  # fmt: skip
    write(room / "grace.jsonl",
          line(1, "01.iterations", "correct"), line(2, "01.train_epoch", "unanswered"),
          line(3, "01.loader", "wrong"), line(4, "01.loader", "hint", "hint", 1),
          line(6, "01.loader", "hint", "hint", 2), line(7, "01.bridge", "prediction", "predict"))  # fmt: skip
    write(room / "alan.jsonl",
          line(2, "01.iterations", "wrong"), "garbage, not json",
          line(3, "01.loader", "wrong").replace('"v": 1', '"v": 2'))  # fmt: skip
    write(room / "bob" / "bob.jsonl", line(1, "01.iterations", "correct"), line(8, "01.loader", "correct"))
    write(room / "new.jsonl")  # a learner who has not checked anything yet
    write(room / "mallory.jsonl", "{}", "[1]", "nope")  # nothing in it is a progress event
    (room / "eve.jsonl").write_bytes(b"\xff\xfe\x00binary")
    write(room / "notes.txt", "bring coffee")
    return room


def test_counts_per_exercise(folder):
    report = class_report.load(folder)
    assert sorted(learner.name for learner in report.learners) == ["ada", "alan", "bob", "grace", "new"]
    assert [row.key for row in report.exercises][:3] == ["01.iterations", "01.loader", "01.train_epoch"]
    assert len(report.exercises) == 4  # every exercise of notebook 01, in the notebook's order
    iterations = report.exercise("01.iterations")
    assert (iterations.passed, iterations.failing, iterations.not_tried) == (3, 1, 1)
    assert iterations.median_attempts == 1  # ada 3 (until her first right answer), grace 1, bob 1, alan 1
    assert iterations.median_hints == 0 and iterations.stuck_now == ["alan"]
    loader = report.exercise("01.loader")
    assert (loader.passed, loader.failing, loader.not_tried) == (1, 2, 2)
    assert loader.median_hints == 0 and sorted(loader.stuck_now) == ["ada", "grace"]
    loop = report.exercise("01.train_epoch")
    assert (loop.passed, loop.failing, loop.not_tried) == (0, 0, 5)  # a placeholder is not a try
    assert [row.key for row in report.most_stuck] == ["01.loader", "01.iterations"]


def test_one_status_per_learner(folder):
    report = class_report.load(folder)
    ada, bob, new = report.learner("ada"), report.learner("bob"), report.learner("new")
    assert ada.passed == ["01.iterations"] and ada.stuck_on == "01.loader"
    assert ada.states["01.iterations"].attempts == 3 and ada.states["01.iterations"].hints == 1
    assert report.learner("grace").states["01.loader"].hints == 2
    assert bob.stuck_on is None and bob.current == "01.loader" and len(bob.passed) == 2
    now = START + timedelta(minutes=12)
    assert "stuck on 01.loader" in class_report.status_line(ada, now) and "3 min ago" in class_report.status_line(
        ada, now
    )
    assert new.last is None and "nothing recorded" in class_report.status_line(new, now)


def test_malformed_and_foreign_files_are_skipped_with_a_note(folder):
    notes = class_report.load(folder).notes
    assert len(notes) == 4, notes
    about = {note.split(":")[0].split()[-1]: note for note in notes}
    assert set(about) == {"alan.jsonl", "eve.jsonl", "mallory.jsonl", "notes.txt"}
    assert "2 line(s)" in about["alan.jsonl"]  # his good lines still count


def test_the_command_prints_and_writes_a_page_and_never_writes_to_the_folder(folder, tmp_path):
    before = snapshot(folder)
    page = tmp_path / "report.html"
    done = course_cli("class-report", str(folder), "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert "01.loader: 2 (ada, grace)" in done.stdout and "Traceback" not in done.stderr
    text = page.read_text()
    assert "<svg" in text and "01.loader" in text
    assert not any(tag in text for tag in ("<script", "<link", "src=", "<img"))  # self-contained: nothing fetched
    assert snapshot(folder) == before
    words = re.sub(r"<svg.*</svg>", "", text, flags=re.DOTALL)  # the chart's own markup aside
    assert not any(name in words for name in ("ada", "grace", "alan", "bob"))  # a page for the room names nobody
    named = course_cli("class-report", str(folder), "--html", str(page), "--names")
    assert named.returncode == 0 and all(name in page.read_text() for name in ("ada", "grace", "alan", "bob"))


def test_a_folder_that_is_not_there_is_one_message(tmp_path):
    done = course_cli("class-report", str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "is not a folder" in done.stderr and "Traceback" not in done.stderr


def test_an_empty_folder_reports_nobody(tmp_path):
    report = class_report.load(tmp_path)
    assert report.learners == [] and report.exercises == [] and report.most_stuck == []
    assert "0 learners" in class_report.as_text(report) and "<svg" not in class_report.as_html(report)


def test_within_one_second_the_later_line_is_where_the_learner_is(tmp_path):
    write(tmp_path / "ada.jsonl", line(1, "01.iterations", "correct"), line(1, "01.loader", "wrong"))
    assert class_report.load(tmp_path).learner("ada").stuck_on == "01.loader"
