"""A learner's own photos and sentences, read safely and classified.

Whatever a learner uploads or types, the result is a prediction or one sentence saying what is
wrong with the input and what to do: never a traceback from inside Pillow or a tokenizer. The
learner's files are only read.
"""

from __future__ import annotations

import html
import io
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InputError

MAX_SIDE = 1024  # larger photos are shrunk on reading: the models look at 224 to 256 pixels
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485  # Pillow's own decompression-bomb limit
MAX_FILE_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Prediction:
    """Class probabilities for one input, best first when shown."""

    labels: Sequence[str]
    probabilities: Sequence[float]
    notes: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return self.labels[int(np.argmax(self.probabilities))]

    @property
    def probability(self) -> float:
        return float(max(self.probabilities))

    def ranked(self) -> list[tuple[str, float]]:
        return sorted(zip(self.labels, map(float, self.probabilities), strict=True), key=lambda lp: -lp[1])

    def __repr__(self) -> str:
        others = ", ".join(f"{label} {p:.1%}" for label, p in self.ranked()[1:])
        text = f"{self.label} ({self.probability:.1%})" + (f"; {others}" if others else "")
        return "\n".join([text, *self.notes])

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(label)}</td><td style='width:220px'><div style='background:#4c72b0;"
            f"height:12px;width:{p * 200:.0f}px'></div></td><td>{p:.1%}</td></tr>"
            for label, p in self.ranked()
        )
        notes = "".join(f"<div style='color:#666'>{html.escape(n)}</div>" for n in self.notes)
        return f"<b>{html.escape(self.label)}</b><table>{rows}</table>{notes}"


def _shown(path: Any) -> str:
    """A path short enough for a one-line message."""
    text = str(path)
    return text if len(text) <= 100 else f"{text[:45]}...{text[-45:]}"


def _describe(source: Any) -> str:
    return f"'{_shown(source)}'" if isinstance(source, str | os.PathLike) else "the uploaded file"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]  # str.capitalize() would lower-case the rest of a file name


def _read_bytes(source: str | os.PathLike | bytes | bytearray | memoryview) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source).expanduser()
        if not str(source).strip():
            raise InputError("No image given: upload a photo or type the path of an image file.")
        try:  # a name too long or a folder the kernel may not read raise OSError, not just "missing"
            exists, is_dir = path.exists(), path.is_dir()
            size = path.stat().st_size if exists else 0
        except OSError as exc:
            raise InputError(f"'{_shown(path)}' could not be opened ({exc.strerror or exc}).") from None
        if not exists:
            where = "" if path.is_absolute() else f" (a relative path starts from {Path.cwd()})"
            raise InputError(f"There is no file '{_shown(path)}': check the path{where}.")
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


def classify_image(
    model: torch.nn.Module, transform: Callable, labels: Sequence[str], source: Any, max_side: int = MAX_SIDE
) -> Prediction:
    """Read ``source`` (a path or the bytes of an upload) and return the model's class probabilities."""
    image = read_image(source, max_side=max_side)
    model.eval()
    with torch.inference_mode():
        probabilities = model(transform(image).unsqueeze(0)).softmax(1)[0]
    if len(probabilities) != len(labels):
        raise InputError(f"The model has {len(probabilities)} outputs but {len(labels)} labels were given.")
    return Prediction(list(labels), probabilities.tolist(), (f"read as a {image.width} x {image.height} RGB image",))


def classify_text(model: torch.nn.Module, tokenizer: Any, labels: Sequence[str], text: Any) -> Prediction:
    """The model's class probabilities for one sentence; empty input is refused, long input truncated and said so."""
    if not isinstance(text, str):
        raise InputError(f"Expected a sentence as text (a str), got {type(text).__name__}.")
    clean = " ".join(text.split())
    if not clean:
        raise InputError("The text is empty: type a sentence, for example a line from a film review.")
    limit = min(getattr(tokenizer, "model_max_length", 512) or 512, 512)
    n_tokens = len(tokenizer(clean, verbose=False)["input_ids"])
    batch = tokenizer(clean, truncation=True, max_length=limit, return_tensors="pt")
    model.eval()
    with torch.inference_mode():
        probabilities = model(**batch).logits.softmax(-1)[0]
    notes = (f"only the first {limit} of its {n_tokens} tokens were read",) if n_tokens > limit else ()
    return Prediction(list(labels), probabilities.tolist(), notes)
