"""Every ``COURSE_*`` setting, declared once: its name, kind, default and meaning.

The course reads its environment variables only through this module, so each one has a single
parser and a single truthiness rule. Flags are on for ``1``, ``true``, ``yes`` or ``on`` and off for
``0``, ``false``, ``no``, ``off`` or an empty value; anything else is an error that names the
setting and the values it takes (a typo must not silently switch a mode on or off).
``python -m course_utils settings`` prints the table the README shows, with this run's values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ParameterError

ON = frozenset({"1", "true", "yes", "on"})
OFF = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True)
class Setting:
    """One environment variable the course reads."""

    name: str
    kind: str  # "flag", "whole number", "choice", "text", "folder", "folders"
    meaning: str
    default: str = "unset"  # the behaviour when it is not set, in words
    choices: tuple[str, ...] = ()


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("COURSE_CACHE", "folder", "where fetched assets are kept", "the platform cache folder"),
        Setting(
            "COURSE_SHARED_DATA",
            "folders",
            "read-only folders with prepared assets (`:`-separated), used in place",
            "none",
        ),
        Setting("COURSE_MIRROR", "text", "a folder or base URL holding the course's asset mirror", "none"),
        Setting("COURSE_OFFLINE", "flag", "on: never use the assets' public sources", "off"),
        Setting(
            "COURSE_BACKBONE",
            "choice",
            "the vision backbone: `resnet50` or the offline `efficientnet_lite0`",
            "resnet50",
            ("resnet50", "efficientnet_lite0"),
        ),
        Setting(
            "COURSE_DEVICE",
            "text",
            "where `fit()` trains: `cpu`, `cuda` (or `cuda:1`...) or `mps`; the course measured its numbers on a CPU",
            "cpu",
        ),
        Setting(
            "COURSE_THREADS",
            "whole number",
            "PyTorch threads per kernel, fixed",
            "the CPUs the kernel may use (affinity mask, cgroup quota), fewer before a cell while other programs "
            "keep those CPUs busy",
        ),
        Setting(
            "COURSE_STRICT",
            "flag",
            "on: a claim this run does not support stops the run (CI, tests, benchmarks); "
            "off: it shows a panel and the notebook goes on",
            "on where `CI` is set, else off",
        ),
        Setting(
            "COURSE_STRICT_TIMING",
            "flag",
            "off: claims about wall-clock time are only noted, even in a strict run (`make bench-busy`)",
            "as `COURSE_STRICT`",
        ),
        Setting(
            "COURSE_PREDICT_FIRST",
            "flag",
            "on: Run All stops at each prediction not yet made, so a class predicts before it sees a result",
            "off",
        ),
        Setting(
            "COURSE_TIMING_ONLY",
            "flag",
            "on: vision weights are random and accuracy claims are not checked; for `make bench` only",
            "off",
        ),
        Setting(
            "COURSE_PROGRESS",
            "flag",
            "off: exercise checks, hints and predictions are not recorded in the learner's progress file",
            "on",
        ),
        Setting(
            "COURSE_PROGRESS_DIR",
            "folder",
            "where the learner's progress file (`progress.jsonl`) is kept",
            "the platform's user data folder",
        ),
        Setting(
            "COURSE_CLASS_DIR",
            "folder",
            "a class folder the admin made: each learner's progress is also appended to `<folder>/<user>.jsonl` "
            "for `python -m course_utils class-report`",
            "not shared",
        ),
        Setting(
            "COURSE_IPEX_ENV",
            "folder",
            "where `make ipex` and its test keep the IPEX environment",
            "`ipex-env-<hash>` in the platform cache folder",
        ),
        Setting(
            "COURSE_REPOSITORY_URL",
            "text",
            "the course's public GitHub repository, for the website's Binder buttons",
            "this checkout's `origin`",
        ),
        Setting("COURSE_REPOSITORY_BRANCH", "text", "the branch the Binder buttons open", "main"),
        Setting(
            "COURSE_SITE_CACHE",
            "folder",
            "the notebooks' execution cache that `make test` fills and `make site` reads",
            "`_build/.jupyter_cache`",
        ),
    )
}


def setting(name: str) -> Setting:
    """The declaration of ``name``; reading an undeclared setting is a programming error."""
    try:
        return SETTINGS[name]
    except KeyError:
        raise KeyError(f"{name} is not declared in course_utils.config.SETTINGS") from None


def raw(name: str) -> str:
    """The setting's value as set, stripped ('' when unset)."""
    setting(name)
    return os.environ.get(name, "").strip()


def is_set(name: str) -> bool:
    return bool(raw(name))


def parse_flag(value: str, name: str) -> bool:
    """``value`` as a flag: one rule for every flag the course reads."""
    normal = value.strip().lower()
    if normal in ON:
        return True
    if normal in OFF:
        return False
    raise ParameterError(
        f"{name}={value!r} is not a flag value: use 1, true, yes or on to turn it on, "
        "and 0, false, no, off or leave it empty to turn it off."
    )


def flag(name: str) -> bool:
    """Whether flag ``name`` is on (off when unset)."""
    return parse_flag(raw(name), name)


def whole_number(name: str) -> int | None:
    """A whole number >= 1, or None when unset."""
    value = raw(name)
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ParameterError(f"{name} must be a whole number of at least 1, got {value!r}.")
    return int(value)


def choice(name: str) -> str | None:
    """One of the setting's choices, or None when unset."""
    value, declared = raw(name), setting(name)
    if not value:
        return None
    if value not in declared.choices:
        raise ParameterError(f"{name}={value!r} is not one of: {', '.join(declared.choices)}.")
    return value


def folder(name: str) -> Path | None:
    """A folder (``~`` expanded), or None when unset."""
    value = raw(name)
    return Path(value).expanduser() if value else None


def folders(name: str) -> list[Path]:
    """A ``os.pathsep``-separated list of folders (empty when unset)."""
    return [Path(p.strip()).expanduser() for p in raw(name).split(os.pathsep) if p.strip()]


_READERS = {"flag": flag, "whole number": whole_number, "choice": choice}


def problems() -> list[str]:
    """One message per setting whose value this run cannot use (empty when all are fine)."""
    found = []
    for name, declared in SETTINGS.items():
        try:
            _READERS.get(declared.kind, raw)(name)
        except ParameterError as exc:
            found.append(str(exc))
    return found


def markdown_table() -> str:
    """The README's table of settings, from the declarations above."""
    rows = ["| variable | kind | meaning | when unset |", "|---|---|---|---|"]
    rows += [f"| `{s.name}` | {s.kind} | {s.meaning} | {s.default} |" for s in SETTINGS.values()]
    return "\n".join(rows)


def current() -> list[tuple[str, str]]:
    """Each setting and its value in this process ('' when unset)."""
    return [(name, os.environ.get(name, "").strip()) for name in SETTINGS]
