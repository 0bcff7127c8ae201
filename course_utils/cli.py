"""Command line: ``python -m course_utils fetch | verify | doctor | settings | exercises | predict | progress``,
``class-report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__, assets, config
from .errors import CourseError


def _names(args: argparse.Namespace) -> list[str]:
    from .doctor import needed_assets

    if args.all:
        return list(assets.registry())
    return args.names or needed_assets()


def missing_summary(missing: list[str]) -> str:
    """Which notebooks cannot run without the ``missing`` assets, which can, and the one fix."""
    blocked: dict[str, list[str]] = {}
    for name in missing:
        for notebook in assets.get(name).notebooks:
            blocked.setdefault(notebook, []).append(name)
    every = sorted({nb for asset in assets.registry().values() for nb in asset.notebooks})
    lines = [f"Missing: {', '.join(missing)}."]
    lines += [f"  {nb} needs {', '.join(blocked[nb])}" for nb in sorted(blocked)]
    runnable = [nb for nb in every if nb not in blocked]
    if runnable:
        lines.append(f"  These run without them: {', '.join(runnable)}")
    lines.append(assets.fix_command(*map(assets.get, missing)))
    return "\n".join(lines)


def _fetch(args: argparse.Namespace) -> int:
    failed = []
    for name in _names(args):
        try:
            res_path = assets.fetch(name, dest=args.dest, progress=not args.quiet)
            print(f"ok      {name}: {res_path}")
        except CourseError as exc:
            failed.append(name)
            print(f"FAILED  {name}\n{exc}\n", file=sys.stderr)
    if failed:
        print(missing_summary(failed), file=sys.stderr)
    return 1 if failed else 0


def _verify(args: argparse.Namespace) -> int:
    bad = 0
    for name in _names(args):
        folder = args.dest / name if args.dest else None
        if folder is None:
            state, folder = assets.status(name)
            issues = [] if state == "ok" else [state]
        else:
            issues = assets.problems(name, folder)
        print(f"{'ok' if not issues else 'BAD':<7} {name}: {folder if not issues else '; '.join(issues)}")
        bad += bool(issues)
    return 1 if bad else 0


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import report

    return 0 if report() else 1


def _settings(args: argparse.Namespace) -> int:
    """The settings table (``--markdown``: as the README shows it), or each setting's value in this run."""
    if args.markdown:
        print(config.markdown_table())
        return 0
    for name, value in config.current():
        declared = config.SETTINGS[name]
        print(f"{name:<26} {value if value else '(unset: ' + declared.default + ')'}")
    bad = config.problems()
    for problem in bad:
        print(f"!! {problem}", file=sys.stderr)
    return 1 if bad else 0


def _exercises(args: argparse.Namespace) -> int:
    """Every exercise: its key, the skill it practises, its kind and what its checker verifies."""
    from .exercises import markdown_table

    print(markdown_table())
    return 0


def _predict(args: argparse.Namespace) -> int:
    """One line per input: label, probability, input; a bad input gets its one-sentence reason."""
    from .predictor import load_predictor

    predictor = load_predictor(args.model)  # a CourseError here is printed by main()
    failed = 0
    for item in args.inputs:
        try:
            (prediction,) = predictor.predict([item])
        except CourseError as exc:
            failed += 1
            print(f"{item}: {exc}", file=sys.stderr)
            continue
        print(f"{prediction.label}\t{prediction.probability:.3f}\t{item}")
    return 1 if failed else 0


def _progress(args: argparse.Namespace) -> int:
    """The learner's own exercise progress, per notebook."""
    from .learner_progress import as_text, notebook_table
    from .progress import own_events

    print(as_text(notebook_table(own_events())))
    return 0


def _class_report(args: argparse.Namespace) -> int:
    """Per exercise and per learner, from a class folder; ``--html``: a page to project."""
    from . import class_report

    if not args.folder.is_dir():
        print(f"{args.folder} is not a folder: give the class folder (COURSE_CLASS_DIR) of the hub.", file=sys.stderr)
        return 1
    try:
        report = class_report.load(args.folder)
    except OSError as exc:
        print(f"{args.folder} cannot be read ({exc.strerror or exc}): run the report as its owner.", file=sys.stderr)
        return 1
    print(class_report.as_text(report))
    if args.html:
        args.html.write_text(class_report.as_html(report, names=args.names), encoding="utf-8")
        print(f"\nwrote {args.html}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils", description="Transfer Learning, Hands-On: course tools."
    )
    parser.add_argument("--version", action="version", version=f"Transfer Learning, Hands-On {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in [
        ("fetch", "fetch and verify assets (default: those this run needs)"),
        ("verify", "check local copies of assets against their checksums"),
    ]:
        p = sub.add_parser(name, help=helptext)
        group = p.add_mutually_exclusive_group()
        group.add_argument("--all", action="store_true", help="every registered asset")
        group.add_argument(
            "names", nargs="*", default=[], metavar="NAME", help="asset names (see registry/registry.toml)"
        )
        p.add_argument(
            "--dest", type=Path, help="a folder to fill instead of the user cache (e.g. a shared folder for JupyterHub)"
        )
        p.add_argument("--quiet", action="store_true", help="no progress bars")
    sub.add_parser("doctor", help="report versions, CPU, memory, assets, backbone and network")
    p = sub.add_parser("settings", help="the course's COURSE_* settings and their values in this run")
    p.add_argument("--markdown", action="store_true", help="the table of every setting, as in the README")
    sub.add_parser("exercises", help="every exercise as a Markdown table (for the instructors' guide)")
    p = sub.add_parser("predict", help="classify images or texts with a model folder saved in notebook 08")
    p.add_argument("model", type=Path, help="the model folder (it holds predictor.json)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, or texts in quotes, for a text model")
    sub.add_parser("progress", help="your exercise progress per notebook, and where it is recorded")
    p = sub.add_parser("class-report", help="where a class is stuck, from the class folder (COURSE_CLASS_DIR)")
    p.add_argument("folder", type=Path, help="the class folder, holding one <user>.jsonl per learner")
    p.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained page to project")
    p.add_argument("--names", action="store_true", help="the page names learners too (not for projecting)")
    args = parser.parse_args(argv)
    try:
        commands = {
            "fetch": _fetch,
            "verify": _verify,
            "doctor": _doctor,
            "settings": _settings,
            "exercises": _exercises,
            "predict": _predict,
            "progress": _progress,
            "class-report": _class_report,
        }
        return commands[args.command](args)
    except CourseError as exc:
        print(exc, file=sys.stderr)
        return 1
