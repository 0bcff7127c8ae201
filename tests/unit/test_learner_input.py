"""course_utils.learner_input on real files: good photos in every common mode, and bad input that must
give one clear sentence (an InputError), never a library traceback; sentences cleaned the same way everywhere."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from course_utils.errors import InputError
from course_utils.learner_input import MAX_SIDE, clean_text, read_image, read_text


def _photo(mode: str = "RGB", size: tuple[int, int] = (320, 240)) -> Image.Image:
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")
    return rgb if mode == "RGB" else rgb.convert(mode)


def _save(image: Image.Image, path, **kwargs):
    image.save(path, **kwargs)
    return path


@pytest.fixture
def good_files(tmp_path):
    sixteen = Image.fromarray((np.linspace(0, 65535, 200 * 100).reshape(100, 200)).astype(np.uint16))
    assert sixteen.mode.startswith("I;16")
    palette = _photo().convert("P")
    palette.info["transparency"] = 0
    return {
        "rgb.jpg": _save(_photo(), tmp_path / "rgb.jpg", quality=90),
        "grey.png": _save(_photo("L"), tmp_path / "grey.png"),
        "rgba.png": _save(_photo("RGBA"), tmp_path / "rgba.png"),
        "cmyk.jpg": _save(_photo("CMYK"), tmp_path / "cmyk.jpg"),
        "16bit.png": _save(sixteen, tmp_path / "16bit.png"),
        "palette.gif": _save(palette, tmp_path / "palette.gif", transparency=0),
        "bilevel.bmp": _save(_photo("1"), tmp_path / "bilevel.bmp"),
        "wide.jpg": _save(_photo(size=(10_000, 600)), tmp_path / "wide.jpg", quality=80),  # 10,000 pixels wide
        "file with Spaces.webp": _save(_photo(), tmp_path / "file with Spaces.webp"),
    }


def test_every_common_mode_reads_as_upright_rgb_of_bounded_size(good_files):
    for name, path in good_files.items():
        image = read_image(path)
        assert image.mode == "RGB", name
        assert max(image.size) <= MAX_SIDE, name
        assert read_image(path.read_bytes()).size == image.size, name  # an upload's bytes read the same


def test_sixteen_bit_images_are_scaled_not_clipped_to_white(good_files):
    values = np.asarray(read_image(good_files["16bit.png"]))[..., 0]
    assert values.min() < 10 and values.max() > 245 and 100 < values.mean() < 155  # the whole ramp survives


def test_transparency_is_shown_over_white():
    clear = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    buffer = io.BytesIO()
    clear.save(buffer, format="PNG")
    assert np.asarray(read_image(buffer.getvalue())).min() == 255


def test_exif_orientation_is_applied(tmp_path):
    image = _photo(size=(300, 100))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    path = _save(image, tmp_path / "turned.jpg", exif=exif)
    assert read_image(path).size == (100, 300)


def _bad_inputs(tmp_path):
    good = _save(_photo(), tmp_path / "good.jpg").read_bytes()
    png = io.BytesIO()
    _photo().save(png, format="PNG")
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "notes.jpg").write_text("these are my notes, not a photo")
    (tmp_path / "cut.jpg").write_bytes(good[: len(good) // 3])
    (tmp_path / "cut.png").write_bytes(png.getvalue()[: len(png.getvalue()) // 2])
    (tmp_path / "folder").mkdir()
    return {
        "missing": (tmp_path / "no such photo.jpg", "There is no file"),
        "empty": (tmp_path / "empty.jpg", "is empty"),
        "empty upload": (b"", "is empty"),
        "text file": (tmp_path / "notes.jpg", "is not an image file"),
        "truncated jpeg": (tmp_path / "cut.jpg", "truncated or damaged"),
        "truncated png": (tmp_path / "cut.png", "truncated or damaged"),
        "folder": (tmp_path / "folder", "is a folder"),
        "blank path": ("  ", "No image given"),
        "a number": (42, "Expected a file path"),
        "a name too long": (tmp_path / ("x" * 300 + ".jpg"), "could not be opened"),
    }


def test_bad_input_raises_one_clear_sentence_naming_the_problem(tmp_path):
    for name, (source, words) in _bad_inputs(tmp_path).items():
        with pytest.raises(InputError) as caught:
            read_image(source)
        message = str(caught.value)
        assert words in message, (name, message)
        assert "\n" not in message and len(message) < 300, name
        error = caught.value
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__), name


def test_too_many_pixels_is_refused_before_decoding(tmp_path, monkeypatch):
    import course_utils.learner_input as own

    monkeypatch.setattr(own, "MAX_PIXELS", 10_000)
    with pytest.raises(InputError, match="more than the 10,000 this course reads"):
        read_image(_save(_photo(), tmp_path / "big.png"))


def test_the_learners_files_are_only_read(good_files):
    before = {name: (path.read_bytes(), path.stat().st_mtime_ns) for name, path in good_files.items()}
    for path in good_files.values():
        read_image(path)
    assert before == {name: (path.read_bytes(), path.stat().st_mtime_ns) for name, path in good_files.items()}


def test_a_sentence_is_cleaned_and_an_empty_one_refused_in_one_sentence():
    assert clean_text("  a warm\tand \n funny   film ") == "a warm and funny film"
    assert read_text(" fine\nfilm ") == "fine film"
    for bad, words in (("", "is empty"), (" \n\t ", "is empty"), (None, "Expected a sentence"), (["a"], "a str")):
        with pytest.raises(InputError, match=words):
            read_text(bad)
    with pytest.raises(InputError, match="One of the texts"):
        read_text("  ", empty="One of the texts is empty: give a sentence.")
