"""Where one learner stands on each exercise, from their progress events; and their own table per notebook."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from . import progress
from .exercise_list import exercise_keys
from .progress import Event


@dataclass(frozen=True)
class ExerciseState:
    """One learner on one exercise."""

    key: str
    passed: bool
    attempts: int  # answers checked (right or wrong) up to the first right one; all of them if none was right
    hints: int  # the highest hint rung asked for
    last: datetime  # the latest event on this exercise

    @property
    def tried(self) -> bool:
        return self.attempts > 0

    @property
    def failing(self) -> bool:
        """Tried and not passed (yet)."""
        return self.tried and not self.passed


def exercise_states(events: Iterable[Event]) -> dict[str, ExerciseState]:
    """Each exercise the events touch (checks and hints; predictions are not exercises) -> its state."""
    states: dict[str, ExerciseState] = {}
    for event in sorted(events, key=lambda e: e.time):
        if event.kind not in ("check", "hint"):
            continue
        state = states.get(event.key) or ExerciseState(event.key, False, 0, 0, event.time)
        counts = event.answered and not state.passed  # attempts after the first right answer do not count
        states[event.key] = ExerciseState(
            event.key,
            state.passed or event.outcome == "correct",
            state.attempts + counts,
            max(state.hints, event.hints),
            event.time,
        )
    return states


@dataclass(frozen=True)
class NotebookProgress:
    """One learner's exercises in one notebook."""

    notebook: str
    done: tuple[str, ...]
    tried: tuple[str, ...]  # tried, not passed yet
    not_started: tuple[str, ...]
    hints: int  # hint rungs used, over the notebook's exercises
    predictions: int  # experiments whose outcome the learner predicted


def notebook_table(events: list[Event]) -> list[NotebookProgress]:
    """The learner's progress in every notebook that has exercises, in course order."""
    states = exercise_states(events)
    predicted = {e.key for e in events if e.kind == "predict" and e.outcome == "prediction"}
    rows = []
    for notebook, keys in exercise_keys().items():
        mine = [states[k] for k in keys if k in states]
        rows.append(
            NotebookProgress(
                notebook,
                tuple(s.key for s in mine if s.passed),
                tuple(s.key for s in mine if s.failing),
                tuple(k for k in keys if k not in states or not states[k].tried),
                sum(s.hints for s in mine),
                sum(1 for key in predicted if key[:2] == notebook),
            )
        )
    return rows


_HEADER = ("notebook", "done", "tried", "not started", "hints used", "predictions")


def _cells(row: NotebookProgress) -> tuple[str, ...]:
    total = len(row.done) + len(row.tried) + len(row.not_started)
    return (row.notebook, f"{len(row.done)} of {total}", str(len(row.tried)), str(len(row.not_started)),
            str(row.hints), str(row.predictions))  # fmt: skip


def where_recorded() -> str:
    """One sentence: whether recording is on, where the file is, and whether it is shared."""
    try:
        on = progress.enabled()
    except progress.ParameterError as exc:
        return f"Exercise progress is not recorded: {exc}"
    if not on:
        return "Exercise progress is not recorded (COURSE_PROGRESS is off)."
    shared = progress.class_file()
    also = f" and shared with your instructor in {shared}" if shared else "; it is not shared with anyone"
    return f"Your exercise progress is recorded in {progress.progress_file()}{also}."


def as_text(rows: list[NotebookProgress]) -> str:
    """The table for a terminal."""
    table = [_HEADER, *map(_cells, rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(_HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    return "\n".join([where_recorded(), "", *lines])


def as_html(rows: list[NotebookProgress]) -> str:
    """The table for a notebook's output."""
    head = "".join(f"<th>{h}</th>" for h in _HEADER)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in _cells(row)) + "</tr>" for row in rows)
    return (
        f'<div class="course-progress"><p>{html.escape(where_recorded())}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
