"""One photo or one sentence from a learner, read safely.

Whatever a learner uploads, types or keeps in a folder, the result is an upright RGB image or a
clean sentence, or one sentence saying what is wrong with the input and what to do: never a
traceback from inside Pillow. The learner's files are only read. The data report, the
predictor and the notebooks all read learners' photos and sentences through here.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InputError

MAX_SIDE = 1024  # larger photos are shrunk on reading: the models look at 224 to 256 pixels
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485  # Pillow's own decompression-bomb limit
MAX_FILE_BYTES = 50 * 2**20


def _shown(path: Any) -> str:
    """A path short enough for a one-line message."""
    text = str(path)
    return text if len(text) <= 100 else f"{text[:45]}...{text[-45:]}"


def _describe(source: Any) -> str:
    return f"'{_shown(source)}'" if isinstance(source, str | os.PathLike) else "the uploaded file"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]  # str.capitalize() would lower-case the rest of a file name


def given_path(path: str | os.PathLike, noun: str, blank: str) -> Path:
    """A path a learner typed, ``~`` expanded, that names something; else one sentence: ``blank`` when
    nothing was typed, "There is no <noun> ..." (with the folder a relative path starts from) when missing."""
    if not str(path).strip():
        raise InputError(blank)
    found = Path(path).expanduser()
    try:  # a name too long or a folder the kernel may not read raise OSError, not just "missing"
        exists = found.exists()
    except OSError as exc:
        raise InputError(f"'{_shown(found)}' could not be opened ({exc.strerror or exc}).") from None
    if not exists:
        where = "" if found.is_absolute() else f" (a relative path starts from {Path.cwd()})"
        raise InputError(f"There is no {noun} '{_shown(found)}': check the path{where}.")
    return found


def _read_bytes(source: str | os.PathLike | bytes | bytearray | memoryview) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = given_path(source, "file", "No image given: upload a photo or type the path of an image file.")
        try:
            is_dir, size = path.is_dir(), path.stat().st_size
        except OSError as exc:
            raise InputError(f"'{_shown(path)}' could not be opened ({exc.strerror or exc}).") from None
        if is_dir:
            raise InputError(f"'{_shown(path)}' is a folder: give the path of one image file inside it.")
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"'{_shown(path)}' is larger than {MAX_FILE_BYTES // 2**20} MB: use a smaller copy of the photo."
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"'{_shown(path)}' could not be read ({exc.strerror or exc}).") from None
    else:
        raise InputError(f"Expected a file path or the bytes of an image, got {type(source).__name__}.")
    if not data:
        raise InputError(f"{_cap(_describe(source))} is empty (0 bytes): choose another file.")
    return data


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for every mode a photo can come in; transparency over white, 16-bit scaled, not clipped."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        image = Image.fromarray(np.clip(values / top * 255.0, 0, 255).astype(np.uint8), mode="L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    return image.convert("RGB")


def read_image(source: str | os.PathLike | bytes | bytearray | memoryview, max_side: int = MAX_SIDE) -> Image.Image:
    """An RGB image, upright (EXIF orientation applied), at most ``max_side`` pixels on its longer side.

    Raises :class:`InputError` with one sentence for anything that is not a readable image.
    """
    data = _read_bytes(source)
    subject = _cap(_describe(source))  # the first words of each message
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InputError(
                    f"{subject} is {width:,} x {height:,} pixels, more than the {MAX_PIXELS:,} this "
                    "course reads: save a smaller copy first."
                )
            image.draft("RGB", (max_side, max_side))  # JPEG decodes straight at a reduced scale: fast, little memory
            image = ImageOps.exif_transpose(image)
            image.load()
    except InputError:
        raise
    except UnidentifiedImageError:
        raise InputError(
            f"{subject} is not an image file Pillow can read (JPEG, PNG, WebP, BMP, GIF, TIFF and "
            "others work): choose a photo."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{subject} has too many pixels to read safely: save a smaller copy.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(
            f"{subject} could not be decoded; it looks truncated or damaged ({exc}). Try another copy."
        ) from None
    image = _to_rgb(image)
    image.thumbnail((max_side, max_side))
    return image


def clean_text(value: str) -> str:
    """The text with every run of spaces, tabs and line breaks as one space, and none at either end."""
    return " ".join(value.split())


EMPTY_TEXT = "The text is empty: type a sentence, for example a line from a film review."


def read_text(value: Any, empty: str = EMPTY_TEXT) -> str:
    """One sentence, cleaned; ``empty`` is the sentence shown when nothing is left of it."""
    if not isinstance(value, str):
        raise InputError(f"Expected a sentence as text (a str), got {type(value).__name__}.")
    clean = clean_text(value)
    if not clean:
        raise InputError(empty)
    return clean
