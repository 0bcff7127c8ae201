"""Where the class is stuck: a class folder's progress files, summed up per exercise and per learner.

The folder holds one ``<user>.jsonl`` per learner (course_utils.progress writes them), at its top
or one folder down (``<user>/<user>.jsonl``, for hubs that give each learner a folder of their
own). Anything else is skipped with a note: another file, a line that is not a progress event, a
file that cannot be read. Nothing here writes to the folder.
"""

from __future__ import annotations

import html
import io
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .exercise_list import exercise_keys, exercise_order
from .learner_progress import ExerciseState, exercise_states
from .progress import Event, read_events


@dataclass(frozen=True)
class Learner:
    name: str
    states: dict[str, ExerciseState]
    last: datetime | None  # the latest event of any kind
    current: str | None  # the exercise of the latest answer or hint: where the learner is now

    @property
    def passed(self) -> list[str]:
        return [k for k, s in self.states.items() if s.passed]

    @property
    def failing(self) -> list[str]:
        return [k for k, s in self.states.items() if s.failing]

    @property
    def stuck_on(self) -> str | None:
        """The current exercise, when it is not passed."""
        return self.current if self.current and not self.states[self.current].passed else None


@dataclass(frozen=True)
class ExerciseRow:
    key: str
    passed: int  # learners who passed it
    failing: int  # learners who tried and have not passed it
    not_tried: int
    median_attempts: float | None  # over the learners who tried it
    median_hints: float | None  # over the learners who tried it or asked for a hint
    stuck_now: list[str]  # learners whose current exercise this is, not passed


@dataclass
class ClassReport:
    folder: Path
    learners: list[Learner]
    exercises: list[ExerciseRow]
    notes: list[str] = field(default_factory=list)

    @property
    def most_stuck(self) -> list[ExerciseRow]:
        """The three exercises with the most learners stuck on them right now (none with nobody stuck)."""
        stuck = [row for row in self.exercises if row.stuck_now]
        return sorted(stuck, key=lambda row: -len(row.stuck_now))[:3]  # a stable sort keeps course order on ties

    def exercise(self, key: str) -> ExerciseRow:
        return next(row for row in self.exercises if row.key == key)

    def learner(self, name: str) -> Learner:
        return next(learner for learner in self.learners if learner.name == name)


def _progress_files(folder: Path, notes: list[str]) -> dict[str, list[Path]]:
    """User name -> that user's progress files, top level and one folder down; notes for anything else."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        try:
            inside = sorted(path.iterdir()) if path.is_dir() and not path.name.startswith(".") else [path]
        except OSError as exc:
            notes.append(f"skipped {path.name}/: cannot be read ({exc.strerror or exc})")
            continue
        for item in inside:
            shown = item.relative_to(folder)
            if item.is_file() and item.suffix == ".jsonl" and not item.name.startswith("."):
                found.setdefault(item.stem, []).append(item)
            elif not item.is_dir():
                notes.append(f"skipped {shown}: not a progress file (<user>.jsonl)")
    return found


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def load(folder: Path) -> ClassReport:
    """Read every learner's progress file in ``folder`` (raises OSError only when the folder cannot be listed)."""
    folder = Path(folder)
    notes: list[str] = []
    learners = []
    for name, paths in _progress_files(folder, notes).items():
        events: list[Event] = []
        readable = False
        for path in paths:
            shown = path.relative_to(folder)
            try:
                found, skipped = read_events(path)
            except OSError as exc:
                notes.append(f"skipped {shown}: cannot be read ({exc.strerror or exc})")
                continue
            except UnicodeDecodeError:
                notes.append(f"skipped {shown}: not a text file")
                continue
            if skipped and not found:
                notes.append(f"skipped {shown}: none of its {skipped} lines is a progress event")
                continue
            if skipped:
                notes.append(f"{shown}: {skipped} line(s) that are not progress events skipped")
            events += found
            readable = True
        if not readable:
            continue
        # The latest answer or hint (the file's order breaks ties: times are to the second).
        moves = [e for e in sorted(events, key=lambda e: e.time) if e.answered or e.kind == "hint"]
        current = moves[-1] if moves else None
        learners.append(
            Learner(
                name,
                exercise_states(events),
                max((e.time for e in events), default=None),
                current.key if current else None,
            )
        )
    return ClassReport(folder, learners, _rows(learners), notes)


def _rows(learners: list[Learner]) -> list[ExerciseRow]:
    """One row per exercise of every notebook a learner has worked in, in course order."""
    keys = {key for learner in learners for key in learner.states}
    course, order = exercise_keys(), exercise_order()
    notebooks = {key[:2] for key in keys}
    listed = [k for nb in sorted(notebooks) for k in course.get(nb, ())]
    listed += sorted(keys - set(listed), key=lambda k: (order.get(k, len(order)), k))  # keys of a newer course
    rows = []
    for key in listed:
        states = [learner.states[key] for learner in learners if key in learner.states]
        tried = [s for s in states if s.tried]
        rows.append(
            ExerciseRow(
                key,
                sum(s.passed for s in states),
                sum(s.failing for s in states),
                len(learners) - len(tried),
                _median([s.attempts for s in tried]),
                _median([s.hints for s in states if s.tried or s.hints]),
                [learner.name for learner in learners if learner.stuck_on == key],
            )
        )
    return rows


# ---------------------------------------------------------------- what the instructor sees


def _ago(then: datetime, now: datetime) -> str:
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def status_line(learner: Learner, now: datetime) -> str:
    """One line: what the learner passed, what they are stuck on now, when they were last active."""
    if learner.last is None:
        return f"{learner.name}: nothing recorded yet"
    parts = [f"{len(learner.passed)} passed", f"{len(learner.failing)} tried, not passed"]
    if learner.stuck_on:
        state = learner.states[learner.stuck_on]
        tries = f"{_count(state.attempts, 'attempt')}, {_count(state.hints, 'hint')}"
        parts.append(f"stuck on {learner.stuck_on} ({tries})")
    elif learner.current:
        parts.append(f"last passed {learner.current}")
    return f"{learner.name}: {'; '.join(parts)}; last active {_ago(learner.last, now)}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


_COLUMNS = ("exercise", "passed", "tried, not passed", "not tried", "median attempts", "median hints", "stuck now")


def _cells(row: ExerciseRow) -> tuple[str, ...]:
    return (row.key, str(row.passed), str(row.failing), str(row.not_tried), _number(row.median_attempts),
            _number(row.median_hints), str(len(row.stuck_now)))  # fmt: skip


def _bar(row: ExerciseRow, width: int = 20) -> str:
    """The row as a text bar: passed, tried and not passed, not tried."""
    total = row.passed + row.failing + row.not_tried
    if not total:
        return ""
    passed, failing = round(width * row.passed / total), round(width * row.failing / total)
    return "#" * passed + "x" * failing + "." * max(0, width - passed - failing)


def as_text(report: ClassReport, now: datetime | None = None) -> str:
    """The report for a terminal."""
    now = now or datetime.now(UTC)
    lines = [f"Class report: {report.folder}, {len(report.learners)} learners, {now:%Y-%m-%d %H:%M} UTC", ""]
    lines.append("Where most learners are stuck right now (their latest answer or hint, not passed):")
    lines += [f"  {row.key}: {len(row.stuck_now)} ({', '.join(row.stuck_now)})" for row in report.most_stuck] or [
        "  nobody"
    ]
    table = [(*_COLUMNS, "# passed  x tried  . not tried"), *((*_cells(row), _bar(row)) for row in report.exercises)]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines += ["", *("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table)]
    lines += ["", "Learners:", *(f"  {status_line(learner, now)}" for learner in report.learners)]
    if report.notes:
        lines += ["", "Notes:", *(f"  {note}" for note in report.notes)]
    return "\n".join(lines)


def figure(report: ClassReport):
    """A bar per exercise: learners who passed, tried and have not passed, and have not tried it."""
    from matplotlib.figure import Figure  # no pyplot: the figure is drawn straight to a file
    from matplotlib.ticker import MaxNLocator

    rows = report.exercises[::-1]  # the course's first exercise at the top
    fig = Figure(figsize=(8, 0.9 + 0.32 * max(1, len(rows))), layout="constrained")
    ax = fig.subplots()
    keys = [row.key for row in rows]
    left = [0] * len(rows)
    for label, values, color in (
        ("passed", [r.passed for r in rows], "#2e7d32"),
        ("tried, not passed", [r.failing for r in rows], "#c62828"),
        ("not tried", [r.not_tried for r in rows], "#bdbdbd"),
    ):
        ax.barh(keys, values, left=left, color=color, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel(f"learners (of {len(report.learners)})")
    ax.set_xlim(0, max(1, len(report.learners)))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False)
    return fig


def _svg(report: ClassReport) -> str:
    buffer = io.StringIO()
    figure(report).savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # inline: without the XML prologue


def as_html(report: ClassReport, now: datetime | None = None, names: bool = False) -> str:
    """A self-contained page (no scripts, no files beside it) to project in the room; with ``names``, who is
    stuck and one line per learner too (for the instructor's own screen, not the room's)."""
    now = now or datetime.now(UTC)
    esc = html.escape
    stuck = "".join(
        f"<li><b>{esc(row.key)}</b>: {len(row.stuck_now)}"
        + (f" ({esc(', '.join(row.stuck_now))})" if names else "")
        + "</li>"
        for row in report.most_stuck
    )
    head = "".join(f"<th>{esc(c)}</th>" for c in _COLUMNS)
    rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in _cells(row)) + "</tr>" for row in report.exercises)
    people = "".join(f"<li>{esc(status_line(learner, now))}</li>" for learner in report.learners)
    notes = "".join(f"<li>{esc(note)}</li>" for note in report.notes) if names else ""
    if report.notes and not names:  # notes name files, and so learners
        notes = f"<li>{len(report.notes)} skipped files or lines: the terminal's report lists them</li>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Where the class is stuck</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; font-size: 18px; }}
table {{ border-collapse: collapse; }} td, th {{ border-bottom: 1px solid #ddd; padding: 4px 12px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }} .stuck li {{ font-size: 1.4em; }}
</style></head><body>
<h1>Where the class is stuck</h1>
<p>{esc(str(report.folder))}: {len(report.learners)} learners, {now:%Y-%m-%d %H:%M} UTC</p>
<h2>Most learners stuck right now</h2><ul class="stuck">{stuck or "<li>nobody</li>"}</ul>
{_svg(report) if report.exercises else ""}
<h2>Per exercise</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
{f"<h2>Learners</h2><ul>{people}</ul>" if names else ""}
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
</body></html>
"""
