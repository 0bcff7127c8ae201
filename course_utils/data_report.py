"""A learner's own dataset, checked before anything is trained on it: the data report.

Two layouts: a folder of images with one sub-folder per class (torchvision's ``ImageFolder``
layout), or a CSV file with a text column and a label column. Everything is only read (uploads
are unpacked by uploads.py, the demo data made by demo_data.py).

What would make training impossible (no classes, one class, a class with a single example, a
missing column, text that is not UTF-8) raises :class:`InputError` with one sentence and the fix.
What only costs some examples (an unreadable file, an empty text, a duplicate) is left out and
listed in the report, with advice on what to add.
"""

from __future__ import annotations

import html
import io
import os
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from .assets import sha256_file
from .errors import InputError
from .learner_input import clean_text, given_path, read_image

# torchvision's ImageFolder reads these; so do we.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
MIN_PER_CLASS = 2  # a stratified held-out split needs one example to train on and one to test
ADVISED_PER_CLASS = 20  # below this a test set holds a handful per class: the advice says so
LONG_TEXT_WORDS = 200  # MiniLM reads 256 word pieces; longer texts are cut
# The whole file is read at once: bytes, decoded text and the table peak at about 8 times its size
# (a 10 MiB file of short reviews: 77 MiB, by tracemalloc), and notebook 08 already peaks at 1.8 GiB of
# a hub's 2 GiB. 20 MiB (over 100,000 short texts) keeps the check near 160 MiB; more wants a sample.
MAX_CSV_BYTES = 20 * 2**20


@dataclass
class DataReport:
    """What was found, what is used, what was left out and why, and what to do about it."""

    kind: str  # "images" or "texts"
    source: Path
    classes: list[str]
    examples: list[Any]  # image paths or texts, the usable ones
    labels: list[int]  # index into classes, one per example
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    notes: list[str] = field(default_factory=list)  # facts worth knowing
    advice: list[str] = field(default_factory=list)  # what to add or change

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(self.labels)
        return {name: found[i] for i, name in enumerate(self.classes)}

    def lines(self) -> list[str]:
        unit = "images" if self.kind == "images" else "texts"
        out = [f"{len(self.examples)} usable {unit} in {len(self.classes)} classes, from {self.source}"]
        width = max(map(len, self.classes))
        out += [f"  {name:<{width}}  {count:>6}" for name, count in self.counts.items()]
        if self.skipped:
            reasons = Counter(why.split(":")[0] for _, why in self.skipped)
            out.append(f"Left out: {len(self.skipped)} ({'; '.join(f'{n} {r}' for r, n in reasons.most_common())})")
            out += [f"  {what}: {why}" for what, why in self.skipped[:10]]
            if len(self.skipped) > 10:
                out.append(f"  ... and {len(self.skipped) - 10} more (report.skipped lists them all)")
        out += [f"Note: {note}" for note in self.notes]
        out += [f"Advice: {tip}" for tip in self.advice]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:  # short and address-free: notebook outputs stay stable
        return str(self)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td style='text-align:right'>{count}</td></tr>"
            for name, count in self.counts.items()
        )
        rest = "".join(f"<div>{html.escape(line)}</div>" for line in self.lines()[len(self.classes) + 1 :])
        return f"<b>{html.escape(self.lines()[0])}</b><table>{rows}</table>{rest}"


# --------------------------------------------------------------------------- shared checks


def _folder(path: str | os.PathLike) -> Path:
    folder = given_path(path, "folder", "No folder given: pass the path of your image folder.")
    if not folder.is_dir():
        raise InputError(f"'{folder}' is a file, not a folder: give the folder that holds one sub-folder per class.")
    return folder


def _check_classes(report: DataReport, drop: Sequence[str], found: set[str], noun: str) -> DataReport:
    """Refuse what no classifier can learn from; advise on what is thin. ``found``: every class in the
    source, including those left out with ``drop``."""
    counts = report.counts
    unknown = sorted(set(drop) - found)
    if unknown:
        raise InputError(f"drop_classes names {unknown}, which are not classes here; the classes are {sorted(found)}.")
    if drop:
        report.notes.append(f"left out on request: {', '.join(sorted(drop))}")
    too_few = [name for name, n in counts.items() if n < MIN_PER_CLASS]
    if too_few:
        name = too_few[0]
        raise InputError(
            f"Class '{name}' has {counts[name]} usable {noun}: a held-out test needs at least {MIN_PER_CLASS} per "
            f"class. Add {noun} of '{name}', or leave it out with drop_classes=[{name!r}]."
        )
    if len(counts) < 2:
        only = f" ('{next(iter(counts))}')" if counts else ""
        raise InputError(f"Only {len(counts)} class{only} has {noun}: a classifier needs at least two classes.")
    for name, n in counts.items():
        if n < ADVISED_PER_CLASS:
            report.advice.append(
                f"class '{name}' has {n} {noun}: add at least {ADVISED_PER_CLASS - n} more, or expect a test "
                f"set with only a few '{name}' examples and a wide confidence interval"
            )
    low, high = min(counts.values()), max(counts.values())
    if high > 3 * low:
        report.advice.append(
            f"the classes are unbalanced ({high} against {low}): accuracy can look good by favouring the large "
            "class; the notebook also shows balanced accuracy and the confusion matrix"
        )
    return report


# --------------------------------------------------------------------------- images


def check_image_folder(path: str | os.PathLike, drop_classes: Sequence[str] = (), progress: bool = True) -> DataReport:
    """Read every image under ``path``/<class>/ once and report on them; the usable ones are in
    ``report.examples`` (paths) with ``report.labels``."""
    root = _folder(path)
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise InputError(f"The folder '{root}' could not be read ({exc.strerror or exc}).") from None
    class_dirs = [p for p in entries if p.is_dir() and not p.name.startswith(".")]
    loose = [p for p in entries if p.is_file() and not p.name.startswith(".")]
    if not class_dirs:
        raise InputError(
            f"'{root}' has no sub-folders{' (only files)' if loose else ''}: put each class's images in a "
            f"sub-folder named after the class, e.g. {root / 'cats'} and {root / 'dogs'}."
        )
    report = DataReport("images", root, [], [], [])
    if loose:
        report.notes.append(f"{len(loose)} file(s) directly in {root.name}/ belong to no class and are not used")
    files: list[tuple[Path, str]] = []
    classes = [folder.name for folder in class_dirs if folder.name not in drop_classes]
    for folder in class_dirs:
        if folder.name in drop_classes:
            continue
        found = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        nested = sorted({p.parent.relative_to(root).as_posix() for p in found if p.parent != folder})
        if nested:
            report.notes.append(
                f"class '{folder.name}' has images in sub-folders ({', '.join(nested[:3])}"
                f"{', ...' if len(nested) > 3 else ''}): they count as '{folder.name}', as in torchvision's ImageFolder"
            )
        files += [(p, folder.name) for p in found]
    if not files and len(classes) == len(class_dirs):
        raise InputError(f"The class folders under '{root}' hold no files: add images to them.")

    from tqdm.auto import tqdm

    seen: dict[str, tuple[Path, str]] = {}
    modes: Counter = Counter()
    sizes: list[tuple[int, int]] = []
    for file, name in tqdm(files, desc="checking images", unit="file", disable=not progress or len(files) < 50):
        shown = file.relative_to(root).as_posix()
        if file.suffix.lower() not in IMAGE_SUFFIXES:
            report.skipped.append((shown, f"not an image file: {file.suffix or 'no extension'}"))
            continue
        digest = sha256_file(file)
        if digest in seen:
            first, first_class = seen[digest]
            why = "duplicate: same bytes as " + first.relative_to(root).as_posix()
            if first_class != name:
                why = f"duplicate in another class: same bytes as {first.relative_to(root).as_posix()}"
                report.advice.append(f"{shown} is also in class '{first_class}': keep it in one class only")
            report.skipped.append((shown, why))
            continue
        try:
            with Image.open(file) as header:  # mode and size before any conversion
                modes[header.mode] += 1
                sizes.append(header.size)
            read_image(file, max_side=256)  # decodes the whole file: a truncated one fails here
        except (InputError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            reason = str(exc).split(": ", 1)[-1] if isinstance(exc, InputError) else type(exc).__name__
            report.skipped.append((shown, f"unreadable: {reason}"))
            continue
        seen[digest] = (file, name)
        report.examples.append(file)
        report.labels.append(classes.index(name))
    report.classes = classes
    if modes:
        report.notes.append(
            "image modes: "
            + ", ".join(f"{mode} {n}" for mode, n in modes.most_common())
            + (" (each is converted to RGB on reading)" if set(modes) - {"RGB"} else "")
        )
        widths, heights = [w for w, _ in sizes], [h for _, h in sizes]
        report.notes.append(
            f"sizes from {min(widths)} x {min(heights)} to {max(widths)} x {max(heights)} pixels, median "
            f"{statistics.median(widths):.0f} x {statistics.median(heights):.0f}; the model sees 224 x 224"
        )
    return _check_classes(report, drop_classes, {folder.name for folder in class_dirs}, "images")


# --------------------------------------------------------------------------- texts


def check_text_csv(
    path: str | os.PathLike,
    text_column: str = "text",
    label_column: str = "label",
    encoding: str = "utf-8",
    drop_classes: Sequence[str] = (),
) -> DataReport:
    """Read a CSV file of labelled texts and report on it; the usable texts are in ``report.examples``."""

    file = Path(path).expanduser()
    if not file.is_file():
        what = "a folder" if file.is_dir() else "not there"
        raise InputError(f"'{file}' is {what}: give the path of a CSV file.")
    size = file.stat().st_size
    if size > MAX_CSV_BYTES:
        raise InputError(
            f"'{file.name}' is {size / 2**20:.0f} MiB, more than the {MAX_CSV_BYTES // 2**20} MiB this notebook reads: "
            "use a sample of its rows (e.g. pandas' read_csv(...).sample(20000) saved as a new file)."
        )
    data = file.read_bytes()
    if not data.strip():
        raise InputError(f"'{file}' is empty: it needs a header line and one line per example.")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"'{file.name}' is not {encoding} text (byte 0x{data[exc.start]:02x} on line {line}): save it as "
            "UTF-8 (in Excel: Save As, 'CSV UTF-8'), or pass encoding='cp1252' if it came from Windows."
        ) from None
    except LookupError:
        raise InputError(f"'{encoding}' is not an encoding Python knows; try 'utf-8' or 'cp1252'.") from None
    text = text.removeprefix("\ufeff")  # Excel's UTF-8 files start with a byte-order mark
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"'{file.name}' could not be read as CSV: {str(exc).strip()}") from None
    missing = [c for c in (text_column, label_column) if c not in table.columns]
    if missing:
        raise InputError(
            f"'{file.name}' has no column '{missing[0]}'; its columns are {list(table.columns)}. "
            "Pass text_column=... and label_column=... with the right names."
        )
    report = DataReport("texts", file, [], [], [])
    blank = sum(1 for line in text.splitlines()[1:] if not line.strip())
    if blank:
        report.notes.append(f"{blank} empty line(s) in the file were skipped")
    rows: list[tuple[str, str, int]] = []
    found: set[str] = set()
    for number, (value, label) in enumerate(zip(table[text_column], table[label_column], strict=True), start=2):
        clean, label = clean_text(str(value)), str(label).strip()
        if not clean:
            report.skipped.append((f"row {number}", "empty text"))
        elif not label:
            report.skipped.append((f"row {number}", "no label"))
        elif label in drop_classes:
            found.add(label)
        else:
            found.add(label)
            rows.append((clean, label, number))
    labels_of: dict[str, set[str]] = {}
    for clean, label, _ in rows:
        labels_of.setdefault(clean, set()).add(label)
    conflicting = {t for t, labels in labels_of.items() if len(labels) > 1}
    if conflicting:
        report.advice.append(
            f"{len(conflicting)} text(s) appear with different labels (e.g. {next(iter(sorted(conflicting)))[:60]!r}): "
            "they are left out; fix their labels to use them"
        )
    kept: set[str] = set()
    for clean, label, number in rows:
        if clean in conflicting:
            report.skipped.append((f"row {number}", "conflicting labels: the same text has another label elsewhere"))
        elif clean in kept:
            report.skipped.append((f"row {number}", "duplicate: the same text appears on an earlier row"))
        else:
            kept.add(clean)
            report.examples.append(clean)
            report.labels.append(label)  # names for now; indices below
    report.classes = sorted(set(report.labels))
    report.labels = [report.classes.index(label) for label in report.labels]
    if report.examples:
        words = [len(t.split()) for t in report.examples]
        long = sum(n > LONG_TEXT_WORDS for n in words)
        report.notes.append(f"texts from {min(words)} to {max(words)} words, median {statistics.median(words):.0f}")
        if long:
            report.notes.append(f"{long} text(s) longer than {LONG_TEXT_WORDS} words: the encoder reads their start")
    return _check_classes(report, drop_classes, found, "texts")
