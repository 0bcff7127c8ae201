"""course_utils.data_report on real files a learner might have: good photos in every common mode, and
the bad inputs that must give one clear sentence (an InputError) or a line in the report, never a
library traceback; the learner's files are never changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from conftest import snapshot as stat_snapshot
from PIL import Image

from course_utils.data_report import ADVISED_PER_CLASS, MAX_CSV_BYTES, check_image_folder, check_text_csv
from course_utils.errors import InputError


def photo(path: Path, mode: str = "RGB", size: tuple[int, int] = (64, 48), seed: int = 0, **save) -> Path:
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)  # 16-bit grey
    elif mode != "RGB":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **save)
    return path


def image_folder(root: Path, per_class: dict[str, int]) -> Path:
    for c, (name, n) in enumerate(per_class.items()):
        for i in range(n):
            photo(root / name / f"{name}_{i}.jpg", seed=100 * c + i)
    return root


def snapshot(root: Path) -> dict:
    """Size, modification time and mode of everything under ``root``, and each file's SHA-256."""
    files = [p for p in root.rglob("*") if p.is_file()]
    hashes = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    return {"stat": stat_snapshot(root), "sha256": hashes}


@pytest.fixture
def learner(tmp_path):
    """The learner's folder; after the test, every file in it must be exactly as it was."""
    mine = tmp_path / "mine"
    mine.mkdir()
    states: list = []
    yield mine, states
    if states:
        assert snapshot(mine) == states[0], "the learner's files were changed"


def freeze(learner) -> Path:
    mine, states = learner
    states.append(snapshot(mine))
    return mine


# ----------------------------------------------------------------------------- image folders


def test_a_good_folder_every_mode_and_the_awkward_files_among_them(learner):
    mine, _ = learner
    root = image_folder(mine / "photos", {"ants": 25, "bees": 25})
    photo(root / "ants" / "rgba.png", "RGBA", seed=7)
    photo(root / "bees" / "deep.tif", "I;16", seed=8)
    photo(root / "bees" / "wide.png", size=(10_000, 60), seed=9)
    photo(root / "ants" / "more" / "nested.jpg", seed=999)  # a sub-folder inside a class
    (root / "ants" / "notes.txt").write_text("not a photo")
    good = (root / "bees" / "bees_0.jpg").read_bytes()
    (root / "bees" / "cut.jpg").write_bytes(good[: len(good) // 2])  # truncated download
    (root / "bees" / "copy.jpg").write_bytes(good)  # the same photo twice
    (root / "bees" / "ant_in_bees.jpg").write_bytes((root / "ants" / "ants_0.jpg").read_bytes())
    (root / "README.txt").write_text("my photos")  # loose file at the top
    freeze(learner)

    report = check_image_folder(root, progress=False)
    assert report.classes == ["ants", "bees"]
    assert report.counts == {"ants": 27, "bees": 27}  # +rgba +nested; +tif +wide
    skipped = dict(report.skipped)
    assert skipped["ants/notes.txt"].startswith("not an image file")
    assert skipped["bees/cut.jpg"].startswith("unreadable")
    assert skipped["bees/copy.jpg"] == "duplicate: same bytes as bees/bees_0.jpg"
    assert skipped["bees/ant_in_bees.jpg"].startswith("duplicate in another class")
    assert len(report.skipped) == 4
    text = str(report)
    assert "RGBA 1" in text and "I;16 1" in text and "converted to RGB" in text
    assert "10000 x" in text  # the widest image is reported
    assert "sub-folders (ants/more)" in text
    assert "belong to no class" in text
    assert "is also in class 'ants'" in text
    assert "Traceback" not in text
    assert report._repr_html_().startswith("<b>54 usable images")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root.mkdir(), "has no sub-folders"),
        (lambda root: [root.mkdir(), (root / "a.jpg").write_text("x")], "has no sub-folders (only files)"),
        (lambda root: (root / "ants").mkdir(parents=True), "hold no files"),
        (lambda root: image_folder(root, {"ants": 5}), "Only 1 class ('ants') has images"),
        (lambda root: image_folder(root, {"ants": 5, "bees": 1}), "Class 'bees' has 1 usable images"),
        (lambda root: [image_folder(root, {"ants": 5}), (root / "bees").mkdir()], "Class 'bees' has 0 usable"),
        (lambda root: root.write_text("x"), "is a file, not a folder"),
        (lambda root: None, "There is no folder"),
    ],
)
def test_a_folder_no_classifier_can_learn_from_gets_one_sentence(learner, make, message):
    mine, _ = learner
    root = mine / "photos"
    make(root)
    freeze(learner)
    with pytest.raises(InputError) as caught:
        check_image_folder(root, progress=False)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_class_can_be_left_out_without_touching_the_files(learner):
    mine, _ = learner
    root = image_folder(mine / "photos", {"ants": 4, "bees": 4, "wasps": 1})
    freeze(learner)
    with pytest.raises(InputError, match=r"drop_classes=\['wasps'\]"):
        check_image_folder(root, progress=False)
    report = check_image_folder(root, drop_classes=["wasps"], progress=False)
    assert report.classes == ["ants", "bees"] and "left out on request: wasps" in str(report)
    assert any(f"add at least {ADVISED_PER_CLASS - 4} more" in tip for tip in report.advice)
    with pytest.raises(InputError, match="not classes here"):
        check_image_folder(root, drop_classes=["wasp"], progress=False)


# ----------------------------------------------------------------------------- CSV files


def csv(mine: Path, body: str | bytes, name: str = "reviews.csv") -> Path:
    path = mine / name
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return path


def rows(n: int, label: str, start: int = 0) -> str:
    return "".join(f'"a {label} review, number {i}",{label}\n' for i in range(start, start + n))


def test_a_good_csv_with_blank_lines_empty_texts_duplicates_and_conflicts(learner):
    mine, _ = learner
    body = "text,label\n" + rows(30, "pos") + "\n\n" + rows(30, "neg")
    body += '"",pos\n"a text without a label",\n"a pos review, number 0",pos\n"a pos review, number 1",neg\n'
    body += '"' + "long " * 300 + '",neg\n'
    path = csv(mine, "\ufeff" + body)  # Excel's byte-order mark
    freeze(learner)
    report = check_text_csv(path)
    assert report.classes == ["neg", "pos"]
    assert report.counts == {"neg": 31, "pos": 29}  # number 1 has conflicting labels: out of both
    reasons = [why for _, why in report.skipped]
    assert reasons.count("empty text") == 1 and reasons.count("no label") == 1
    assert any(r.startswith("duplicate") for r in reasons)
    assert sum(r.startswith("conflicting labels") for r in reasons) == 2
    text = str(report)
    assert "2 empty line(s)" in text and "longer than 200 words" in text and "different labels" in text


@pytest.mark.parametrize(
    ("body", "kwargs", "message"),
    [
        ("review,label\n" + rows(5, "pos"), {}, "has no column 'text'; its columns are ['review', 'label']"),
        ("text,label\n" + rows(5, "pos") + rows(1, "neg"), {}, "Class 'neg' has 1 usable texts"),
        ("text,label\n" + rows(5, "pos"), {}, "Only 1 class ('pos') has texts"),
        (b"text,label\n" + "\"très bien\",pos\n".encode("cp1252") + rows(3, "pos").encode(), {},
         "is not utf-8 text (byte 0xe8 on line 2)"),
        ("", {}, "is empty"),
        ("text,label\n" + rows(5, "pos"), {"encoding": "klingon"}, "not an encoding Python knows"),
        ('text,label\n"unclosed,pos\n', {}, "could not be read as CSV"),
    ],
)  # fmt: skip
def test_a_csv_no_classifier_can_learn_from_gets_one_sentence(learner, body, kwargs, message):
    mine, _ = learner
    path = csv(mine, body)
    freeze(learner)
    with pytest.raises(InputError) as caught:
        check_text_csv(path, **kwargs)
    assert message in str(caught.value)


def test_a_cp1252_file_reads_with_its_encoding_named(learner):
    mine, _ = learner
    path = csv(mine, ("text,label\n" + '"très bien",pos\n' + rows(3, "pos") + rows(4, "neg")).encode("cp1252"))
    freeze(learner)
    assert "très bien" in check_text_csv(path, encoding="cp1252").examples


def test_other_column_names_and_a_folder_instead_of_a_file(learner):
    mine, _ = learner
    path = csv(mine, "comment,stars\n" + rows(4, "5") + rows(4, "1"))
    (mine / "folder").mkdir()
    freeze(learner)
    assert check_text_csv(path, text_column="comment", label_column="stars").classes == ["1", "5"]
    with pytest.raises(InputError, match="is a folder"):
        check_text_csv(mine / "folder")


def test_a_csv_larger_than_the_cap_is_refused_before_it_is_read(learner):
    mine, _ = learner
    path = csv(mine, "text,label\n")
    with open(path, "ab") as out:  # a real file just over the cap: rows of text, as an export would be
        row = b'"a long review of a film that goes on and on",pos\n'
        out.write(row * (MAX_CSV_BYTES // len(row) + 1))
    freeze(learner)
    with pytest.raises(InputError) as caught:
        check_text_csv(path)
    assert f"more than the {MAX_CSV_BYTES // 2**20} MiB" in str(caught.value) and "\n" not in str(caught.value)
