"""Claims a notebook makes about its own results, checked on every run.

``claim(holds, statement, measured=...)`` follows each result the prose relies on. Where the run
must prove the text (CI, the tests, the benchmarks: ``COURSE_STRICT``), a claim that does not hold
stops the run. In a learner's notebook it shows a panel instead: what the text says, what this run
measured, the likely reason and what to do, and Run All goes on. A different CPU or library
build changes floating-point results slightly, and that must not lock a learner out of the rest
of the lesson.

``timing_claim`` is the same for wall-clock time, which depends on whatever else the machine is
doing: strict only where ``COURSE_STRICT_TIMING`` (by default ``COURSE_STRICT``) says so.
"""

from __future__ import annotations

import html
import os

from . import config

TIMING_ONLY_ENV = "COURSE_TIMING_ONLY"


class ClaimError(AssertionError):
    """A claim this run does not support, in a strict run."""


def timing_only() -> bool:
    """True in a benchmark run with random vision weights (``COURSE_TIMING_ONLY=1``).

    Time and memory do not depend on the weights' values, so ``make bench`` can measure the
    ResNet-50 configuration without its weights; accuracy claims cannot hold there.
    """
    return config.flag(TIMING_ONLY_ENV)


def strict() -> bool:
    """Whether a failed claim stops the run: ``COURSE_STRICT``, or, when that is unset, ``CI`` being set."""
    if config.is_set("COURSE_STRICT"):
        return config.flag("COURSE_STRICT")
    return os.environ.get("CI", "").strip().lower() not in config.OFF  # CI systems set CI=true, 1, yes...


def strict_timing() -> bool:
    """Whether a failed timing claim stops the run: ``COURSE_STRICT_TIMING``, else :func:`strict`."""
    if config.is_set("COURSE_STRICT_TIMING"):
        return config.flag("COURSE_STRICT_TIMING")
    return strict()


_REASONS = {
    "result": (
        "results move a little with the CPU, the library versions and the order of floating-point "
        "operations, and the text was checked on the course's test machine. A setting or an exercise "
        "changed above also changes what later cells compute."
    ),
    "timing": "other programs were using the CPU while this cell ran, or this CPU differs from the course's.",
}
_TODO = {
    "result": (
        "read on: the next cells still run. To reproduce the text's run, restart the kernel and Run All "
        "without changing anything; if the difference stays, tell your instructor (or the course's "
        "maintainers) what this panel shows."
    ),
    "timing": "read on; to see the timing the text describes, re-run this cell when the machine is quiet.",
}


class ClaimPanel:
    """What a learner sees when this run does not support the text: shown, never raised."""

    def __init__(self, statement: str, measured: str, kind: str):
        self.statement, self.measured, self.kind = statement, measured, kind

    def lines(self) -> list[str]:
        return [
            "This run differs from the notebook's text.",
            f"The text says: {self.statement}",
            f"This run measured: {self.measured or 'see the output above'}",
            f"Likely reason: {_REASONS[self.kind]}",
            f"What to do: {_TODO[self.kind]}",
        ]

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        head, *rest = self.lines()
        items = "".join(
            f"<li><b>{html.escape(line.split(': ', 1)[0])}:</b> {html.escape(line.split(': ', 1)[1])}</li>"
            for line in rest
        )
        return (
            '<div style="border-left:6px solid #f29900; background:#fef7e0; padding:8px 12px; border-radius:4px">'
            f"<b>{html.escape(head)}</b><ul style='margin:4px 0'>{items}</ul></div>"
        )


def _show(panel: ClaimPanel) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(repr(panel))
        return
    if get_ipython() is None:  # a plain Python process (a script, the command line)
        print(repr(panel))
    else:
        display(panel)


def _judge(holds: bool, statement: str, measured: str, kind: str, is_strict: bool) -> None:
    if holds:
        return
    if is_strict:
        shown = f" (this run: {measured})" if measured else ""
        what = "timings do" if kind == "timing" else "results do"
        raise ClaimError(f"This run's {what} not support the notebook's claim: {statement}{shown}")
    _show(ClaimPanel(statement, measured, kind))


def claim(holds: bool, statement: str, measured: str = "", *, single_seed: str = "") -> None:
    """Check a claim about this run's results; ``measured`` says what the run found, in words.

    Strict runs raise :class:`ClaimError`; a learner's run shows a panel and goes on (nothing is
    returned, so a claim on a cell's last line shows nothing when it holds). In a timing-only run
    (random vision weights) the claim is reported as not checked. A comparison that rests on one
    seed says why in ``single_seed``; that is printed with it, so the reader knows its reach.
    """
    if single_seed:
        print(f"one seed only ({single_seed}): {statement}")
    if timing_only():
        print(f"[timing-only run, random weights] claim not checked: {statement}")
        return
    _judge(bool(holds), statement, measured, "result", strict())


def timing_claim(holds: bool, statement: str, measured: str = "") -> None:
    """A claim about wall-clock time or a speed ratio: strict only where ``strict_timing()`` is.

    Seconds depend on everything else the machine is doing; claims about accuracy, counts and
    parameters use :func:`claim`.
    """
    _judge(bool(holds), statement, measured, "timing", strict_timing())
