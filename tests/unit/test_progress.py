"""course_utils.progress: one line per check, hint, prediction and reveal; never an answer; never a crash."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import REPO

from course_utils import checks, progress

SECRET = "swordfish-4217"  # an answer value that must never reach the file
FIELDS = {"v", "time", "key", "kind", "outcome", "hints"}


@pytest.fixture
def own(monkeypatch, tmp_path) -> Path:
    """Recording on, into a folder of this test's own; no class folder; every note shows again."""
    monkeypatch.setenv("COURSE_PROGRESS_DIR", str(tmp_path / "own"))
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    monkeypatch.delenv("COURSE_CLASS_DIR", raising=False)
    monkeypatch.setattr(progress, "_noted", set())
    checks.register("99.secret", "The password?", checks.equals(SECRET), ("idea", "tool", "line"))
    return tmp_path / "own" / "progress.jsonl"


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_call_records_one_event_with_no_answer_value(own):
    checks.check("99.secret", ...)
    checks.check("99.secret", "not-the-password")
    checks.hint("99.secret")
    checks.hint("99.secret")
    checks.check("99.secret", SECRET)
    checks.predict("99.guess", "Beats", ("beats", "ties"))
    checks.reveal("99.guess", "ties", "measured +0.01")
    recorded = lines(own)
    assert [(e["kind"], e["outcome"], e["hints"]) for e in recorded] == [
        ("check", "unanswered", 0),
        ("check", "wrong", 0),
        ("hint", "hint", 1),
        ("hint", "hint", 2),
        ("check", "correct", 2),
        ("predict", "prediction", 0),
        ("reveal", "wrong", 0),
    ]
    assert all(set(e) == FIELDS and e["v"] == progress.FORMAT for e in recorded)
    text = own.read_text().lower()
    for value in (SECRET, "not-the-password", "beats", "ties", "+0.01", "password?"):
        assert value not in text  # neither answers, guesses, measurements nor the question
    assert all(progress.Event.from_line(line) is not None for line in own.read_text().splitlines())
    assert own.stat().st_mode & 0o077 == 0  # the learner's own file is private


def test_asserted_checks_are_not_attempts_and_unknown_keys_are_not_recorded(own):
    assert checks.check("99.secret", SECRET)  # a reference solution's line: Run All runs it for everyone
    checks.check("99.no_such_exercise", 1)  # a typo: an error feedback, not progress
    checks.hint("99.no_such_exercise")
    checks.register("t.local", "?", checks.equals(1), "h")
    checks.check("t.local", 1)  # not a notebook's key
    assert not own.exists()
    checks.check("99.secret", SECRET)
    assert [e["outcome"] for e in lines(own)] == ["correct"]


def test_every_check_in_a_solution_cell_is_an_asserted_one():
    """Recording tells a learner's attempt from a reference solution by the ``assert``: hold the notebooks to it."""
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if "solution" not in cell.metadata.get("tags", []):
                continue
            calls = [line for line in cell.source.splitlines() if "check(" in line]
            assert calls and all(line.lstrip().startswith("assert ") for line in calls), (path.name, cell.source)


@pytest.mark.parametrize("value", ["off", "0", "false"])
def test_the_off_switch_records_nothing(own, monkeypatch, value):
    monkeypatch.setenv("COURSE_PROGRESS", value)
    monkeypatch.setenv("COURSE_CLASS_DIR", str(own.parent.parent / "class"))
    (own.parent.parent / "class").mkdir()
    checks.check("99.secret", "x")
    checks.hint("99.secret")
    assert not own.exists() and list((own.parent.parent / "class").iterdir()) == []


def test_a_typo_in_the_switch_records_nothing_and_says_so_once(own, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROGRESS", "of")
    feedback = [checks.check("99.secret", "x") for _ in range(3)]
    assert all(f.status == "wrong" for f in feedback) and not own.exists()
    err = capsys.readouterr().err
    assert err.count("COURSE_PROGRESS='of' is not a flag value") == 1


def test_a_folder_that_cannot_be_written_is_noted_once_and_the_exercise_still_answers(own, monkeypatch, capsys):
    blocker = own.parent.parent / "a-file"
    blocker.write_text("in the way")  # a folder path through a file fails even for root, like a read-only home
    monkeypatch.setenv("COURSE_PROGRESS_DIR", str(blocker / "progress"))
    results = [checks.check("99.secret", SECRET), checks.hint("99.secret"), checks.check("99.secret", "x")]
    assert [r.status for r in results] == ["correct", "hint", "wrong"]
    err = capsys.readouterr().err
    assert err.count("could not be saved") == 1 and "exercises work as before" in err


def test_a_broken_recorder_never_reaches_the_learner(own, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(progress, "_append", broken)
    result = checks.check("99.secret", SECRET)
    assert result.status == "correct"
    assert "could not be" in capsys.readouterr().err


WRITER = """
import sys
from course_utils import progress
for i in range(int(sys.argv[1])):
    progress.record("check", "01.iterations", "wrong" if i % 2 else "correct", i % 3)
"""


def test_two_kernels_of_one_learner_append_whole_lines_at_once(own):
    env = {**os.environ, "PYTHONPATH": str(REPO), "COURSE_PROGRESS_DIR": str(own.parent)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, "400"], env=env) for _ in range(2)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    events, skipped = progress.read_events(own)
    assert skipped == 0 and len(events) == 800  # no line lost, none torn or interleaved


def test_the_class_folder_gets_the_same_lines_and_the_learner_is_told_once(own, monkeypatch, tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    monkeypatch.setenv("COURSE_CLASS_DIR", str(folder))
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    checks.check("99.secret", "x")
    checks.check("99.secret", SECRET)
    assert (folder / "ada.jsonl").read_bytes() == own.read_bytes()
    out = capsys.readouterr().out
    assert out.count("shared with your instructor") == 1 and str(folder / "ada.jsonl") in out


def test_a_missing_class_folder_is_noted_and_never_created(own, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_CLASS_DIR", str(tmp_path / "no-such-class"))
    checks.check("99.secret", "x")
    assert not (tmp_path / "no-such-class").exists() and len(lines(own)) == 1
    assert "could not be shared" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("hub_user", "expected"), [("ada", "ada"), ("ada.l@uni.edu", "ada.l@uni.edu"), ("../eve", "_eve"), ("a/b", "a_b")]
)
def test_the_class_file_name_is_one_plain_name(monkeypatch, hub_user, expected):
    monkeypatch.setenv("JUPYTERHUB_USER", hub_user)
    assert progress.user_name() == expected


def test_lines_that_are_not_events_are_refused():
    good = progress.Event.from_line(
        '{"v":1,"time":"2026-12-06T11:00:00Z","key":"01.loader","kind":"check","outcome":"wrong","hints":1}'
    )
    assert good is not None and good.notebook == "01" and good.answered
    for bad in (
        "",
        "not json",
        "[1, 2]",
        '{"v":2,"time":"2026-12-06T11:00:00Z","key":"01.loader","kind":"check","outcome":"wrong","hints":1}',
        '{"v":1,"time":"yesterday","key":"01.loader","kind":"check","outcome":"wrong","hints":1}',
        '{"v":1,"time":"2026-12-06T11:00:00Z","key":"loader","kind":"check","outcome":"wrong","hints":1}',
        '{"v":1,"time":"2026-12-06T11:00:00Z","key":"01.loader","kind":"grade","outcome":"wrong","hints":1}',
        '{"v":1,"time":"2026-12-06T11:00:00Z","key":"01.loader","kind":"check","outcome":"wrong","hints":true}',
        '{"v":1,"time":"2026-12-06T11:00:00Z","key":7,"kind":"check","outcome":"wrong","hints":1}',
    ):
        assert progress.Event.from_line(bad) is None, bad


# ---------------------------------------------------------------- permissions, as a hub's learners have them


def as_user(uid: int, action) -> tuple[int, str]:
    """Run ``action()`` in a forked child as user ``uid`` (no supplementary groups); its exit code and what it
    returned. Forked rather than a new interpreter: a normal user may not be able to run this Python."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root for good, act, report, exit without running pytest's cleanups
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.write(write, str(action()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as pipe:
        said = pipe.read()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), said


def attempts(folder: Path) -> str:
    """What another learner tries on ada's file: each attempt and whether it was refused."""
    tries = {
        "append": lambda: os.close(os.open(folder / "ada.jsonl", os.O_WRONLY | os.O_APPEND)),
        "truncate": lambda: os.close(os.open(folder / "ada.jsonl", os.O_WRONLY | os.O_TRUNC)),
        "replace": lambda: os.replace(folder / "eve.jsonl", folder / "ada.jsonl"),
        "delete": lambda: os.unlink(folder / "ada.jsonl"),
        "read": lambda: (folder / "ada.jsonl").read_bytes(),
        "list": lambda: os.listdir(folder),
    }
    (folder / "eve.jsonl").write_text("forged")
    said = []
    for name, attempt in tries.items():
        try:
            attempt()
            said.append(f"{name}:done")
        except PermissionError:
            said.append(f"{name}:refused")
    return " ".join(said)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as two learners")
def test_in_a_sticky_class_folder_a_learner_cannot_touch_another_learners_file(own, monkeypatch, request):
    """The guide's class folder (sticky; learners may add files but not list them), two learners as normal users."""
    top = Path(tempfile.mkdtemp(prefix="course-class-"))  # pytest's tmp_path lies in a folder only root may enter
    request.addfinalizer(lambda: shutil.rmtree(top))
    top.chmod(0o755)
    folder = top / "class"
    folder.mkdir()
    folder.chmod(0o1733)  # what `install -d -m 1733` makes
    ada, eve = 60401, 60402
    monkeypatch.setenv("COURSE_CLASS_DIR", str(folder))
    monkeypatch.setenv("COURSE_PROGRESS_DIR", "/nonexistent/own")  # only the class file matters here
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    assert as_user(ada, lambda: progress.record("check", "01.iterations", "correct", 0)) == (0, "None")
    before = (folder / "ada.jsonl").read_bytes()
    assert progress.Event.from_line(before.decode()).outcome == "correct"
    assert (folder / "ada.jsonl").stat().st_uid == ada and (folder / "ada.jsonl").stat().st_mode & 0o077 == 0

    code, said = as_user(eve, lambda: attempts(folder))
    assert code == 0 and said.split() == [f"{name}:refused" for name in ("append", "truncate", "replace", "delete",
                                                                       "read", "list")], said  # fmt: skip

    def forge() -> str:  # eve's kernel, claiming to be ada: the write is refused, noted, and never raised
        progress.record("check", "01.iterations", "wrong", 0)
        return " ".join(sorted(progress._noted))

    assert as_user(eve, forge) == (0, "class own")
    assert (folder / "ada.jsonl").read_bytes() == before


def test_an_odd_key_is_answered_as_before(own):
    assert checks.predict(("01", "x"), "a", ("a", "b")).status == "prediction"  # a tuple key: not recorded
    assert not own.exists()
