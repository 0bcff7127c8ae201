"""A learner's exercise progress: one line per check, hint, prediction and reveal, never an answer.

Each event is one JSON line (the exercise key, what kind of call it was, its outcome, how many hint
rungs the learner had asked for, and the time) appended to ``progress.jsonl`` in the learner's own
data folder. The line goes out in a single ``write()`` on a file opened with ``O_APPEND``: the
kernel places each write at the end of the file as one piece, so two kernels of the same learner
can record at once without a lock and no reader ever sees half a line (a full disk can cut one
line short; readers skip it). When the admin sets ``COURSE_CLASS_DIR``, the same line is appended
to ``<class folder>/<user>.jsonl`` for the instructor's class report.

Recording never raises into a learner's cell: a read-only home or a full disk is noted once and
the exercises go on as before. ``COURSE_PROGRESS=off`` turns it off.
"""

from __future__ import annotations

import functools
import getpass
import json
import linecache
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from . import config
from .assets import APP_NAME
from .errors import ParameterError

FILE_NAME = "progress.jsonl"
FORMAT = 1  # the "v" of every line; a reader skips lines of a format it does not know
KINDS = frozenset({"check", "hint", "predict", "reveal"})
OUTCOMES = frozenset({"correct", "wrong", "unanswered", "error", "hint", "prediction"})
KEY = re.compile(r"^(\d{2})\.\w{1,60}$", re.ASCII)  # "01.iterations": the notebook, then the exercise
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._@+-]")

_noted: set[str] = set()  # what this kernel has already told the learner, so each note shows once


@dataclass(frozen=True)
class Event:
    """One call of check, hint, predict or reveal: which exercise, what kind of call, the outcome."""

    time: datetime  # UTC, to the second
    key: str
    kind: str  # "check", "hint", "predict" or "reveal"
    outcome: str  # the feedback's status: "correct", "wrong", "unanswered", "error", "hint", "prediction"
    hints: int  # hint rungs the learner had asked for on this exercise in this kernel (for "hint": this rung)

    @property
    def notebook(self) -> str:
        return self.key[:2]

    @property
    def answered(self) -> bool:
        """An answer was checked: right or wrong (not a placeholder, a hint or a prediction)."""
        return self.kind == "check" and self.outcome in ("correct", "wrong")

    def to_line(self) -> bytes:
        stamp = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = {"v": FORMAT, "time": stamp, "key": self.key, "kind": self.kind}
        fields |= {"outcome": self.outcome, "hints": self.hints}
        return (json.dumps(fields, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_line(cls, line: str) -> Event | None:
        """The event a line holds, or None when it is not one (malformed, foreign or a newer format)."""
        try:
            fields = json.loads(line)
            hints = fields["hints"]
            event = cls(
                datetime.fromisoformat(fields["time"]).astimezone(UTC),
                fields["key"],
                fields["kind"],
                fields["outcome"],
                hints,
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        valid = (
            fields.get("v") == FORMAT
            and isinstance(event.key, str)
            and KEY.match(event.key)
            and event.kind in KINDS
            and event.outcome in OUTCOMES
            and isinstance(hints, int)
            and not isinstance(hints, bool)
            and 0 <= hints <= 100
        )
        return event if valid else None


def read_events(path: Path) -> tuple[list[Event], int]:
    """The events in a progress file, and how many of its non-empty lines were not events.

    Raises OSError when the file cannot be read and UnicodeDecodeError when it is not text.
    """
    events, skipped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        event = Event.from_line(line)
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return events, skipped


# ---------------------------------------------------------------- where events go


def enabled() -> bool:
    """Whether recording is on: ``COURSE_PROGRESS`` is on unless set to an off value."""
    return not config.is_set("COURSE_PROGRESS") or config.flag("COURSE_PROGRESS")


def progress_file() -> Path:
    """The learner's own progress file: ``COURSE_PROGRESS_DIR``, or the platform's user data folder
    (``~/.local/share/transfer-learning-course`` on Linux: in the home folder, which a hub keeps)."""
    folder = config.folder("COURSE_PROGRESS_DIR") or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return folder / FILE_NAME


def user_name() -> str:
    """The learner's name for the class folder: the hub's user name, else the login name."""
    name = os.environ.get("JUPYTERHUB_USER", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no login name (a container with an unnamed uid)
            name = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "learner"
    return _SAFE_NAME.sub("_", name).lstrip(".") or "learner"  # one plain file name, never a path


def class_file() -> Path | None:
    """``<COURSE_CLASS_DIR>/<user>.jsonl`` when the admin set a class folder, else None."""
    folder = config.folder("COURSE_CLASS_DIR")
    return folder / f"{user_name()}.jsonl" if folder else None


def _append(path: Path, line: bytes, mode: int) -> None:
    """One write of a whole line at the end of ``path`` (created with ``mode`` if missing)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        written = os.write(fd, line)
    finally:
        os.close(fd)
    if written != len(line):  # only a full disk cuts a small write short
        raise OSError(f"only {written} of {len(line)} bytes written")


def _note_once(topic: str, text: str, stream=None) -> None:
    if topic not in _noted:
        _noted.add(topic)
        print(text, file=stream or sys.stderr)


def record(kind: str, key: str, outcome: str, hints: int) -> None:
    """Append one event to the learner's progress file (and the class folder's, when set); never raises."""
    try:
        if not KEY.match(key) or kind not in KINDS or outcome not in OUTCOMES:
            return  # a key outside the course's exercises (a test's) is not progress
        if outcome == "error" and kind in ("check", "hint"):
            return  # check and hint answer "error" only for a key no exercise has: a typo, not progress
        try:
            if not enabled():
                return
        except ParameterError as exc:  # a typo in the switch: record nothing, as if it were off
            _note_once("switch", f"Exercise progress is not recorded: {exc}")
            return
        line = Event(datetime.now(UTC), key, kind, outcome, hints).to_line()
        own = progress_file()
        try:
            own.parent.mkdir(parents=True, exist_ok=True)
            _append(own, line, 0o600)
        except OSError as exc:
            _note_once(
                "own", f"Your exercise progress could not be saved in {own} ({exc}); the exercises work as before."
            )
        shared = class_file()
        if shared is not None:
            try:
                _append(shared, line, 0o600)  # the folder is the admin's, never created here; the report runs as root
            except OSError as exc:
                _note_once("class", f"Your exercise progress could not be shared in {shared} ({exc}).")
            else:
                _note_once(
                    "shared",
                    f"Your exercise progress (exercise, right or wrong, hints used, time; never your answers) is "
                    f"shared with your instructor in {shared}. `python -m course_utils progress` shows it.",
                    sys.stdout,
                )
    except Exception as exc:  # noqa: BLE001  (recording must never break a learner's cell)
        _note_once("bug", f"Exercise progress could not be recorded ({type(exc).__name__}: {exc}).")


def _asserted(frame: Any) -> bool:
    """Whether the call comes from an ``assert check(...)`` line: a reference solution, or a "run it" cell
    re-checking an earlier answer. Run All runs those for every learner, so they are not attempts."""
    if frame is None:
        return False
    return linecache.getline(frame.f_code.co_filename, frame.f_lineno).lstrip().startswith("assert ")


def recorded(kind: str, rungs: Mapping[str, int]) -> Callable:
    """Decorate check, hint, predict or reveal so that each call records its outcome (``rungs``: the hint
    ladder's state, exercise key -> rungs shown)."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(key: str, *args: Any, **kwargs: Any) -> Any:
            feedback = function(key, *args, **kwargs)
            try:
                if not (kind == "check" and _asserted(sys._getframe(1))):
                    record(kind, str(key), getattr(feedback, "status", ""), rungs.get(key, 0))
            except Exception as exc:  # noqa: BLE001  (an odd key must not break the cell either)
                _note_once("bug", f"Exercise progress could not be recorded ({type(exc).__name__}: {exc}).")
            return feedback

        return wrapper

    return decorate


def own_events() -> list[Event]:
    """The events in the learner's own progress file (none when it does not exist or cannot be read)."""
    try:
        return read_events(progress_file())[0]
    except (OSError, UnicodeDecodeError):
        return []
