"""A classifier's predictions: one input at a time in a notebook, or from a self-contained folder.

:class:`Prediction` is what every classifier in the course returns for one input: from a model in
memory (:func:`classify_image`, :func:`classify_text`) or from a saved folder (:class:`Predictor`).
A trained classifier is saved as a folder and loaded back without unpickling anything:

    my-model/
      predictor.json      what it is: kind, labels, preprocessing, metrics, course version, and
                          the SHA-256 of every other file in the folder
      model.safetensors   images: the whole network (pretrained body + the new head);
                          texts: the new head only (a linear layer on the sentence embeddings)
      encoder/            texts: the sentence encoder, as sentence-transformers saves it
                          (safetensors weights, JSON configs, the tokenizer's JSON)

Weights are safetensors and everything else is JSON, so loading a folder someone sent you runs
none of its code. The checksums catch a damaged or incomplete copy, or a file changed after
saving; they are not a signature: whoever can edit the weights can edit predictor.json too.
``python -m course_utils predict MY_MODEL INPUT...`` uses a folder from the command line.
"""

from __future__ import annotations

import datetime
import html
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from . import __version__
from .assets import sha256_file
from .errors import InputError
from .learner_input import MAX_SIDE, read_image, read_text

FORMAT = 1
MANIFEST = "predictor.json"
WEIGHTS = "model.safetensors"
ENCODER = "encoder"


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
    clean = read_text(text)
    limit = min(getattr(tokenizer, "model_max_length", 512) or 512, 512)
    n_tokens = len(tokenizer(clean, verbose=False)["input_ids"])
    batch = tokenizer(clean, truncation=True, max_length=limit, return_tensors="pt")
    model.eval()
    with torch.inference_mode():
        probabilities = model(**batch).logits.softmax(-1)[0]
    notes = (f"only the first {limit} of its {n_tokens} tokens were read",) if n_tokens > limit else ()
    return Prediction(list(labels), probabilities.tolist(), notes)


def linear_head(coef: np.ndarray, intercept: np.ndarray) -> nn.Linear:
    """A scikit-learn linear classifier (``clf.coef_``, ``clf.intercept_``) as a PyTorch layer whose
    softmax gives the same probabilities. A binary model has one row: logits (0, z) make
    softmax = (1 - sigmoid(z), sigmoid(z)), scikit-learn's predict_proba."""
    coef, intercept = np.atleast_2d(coef), np.atleast_1d(intercept)
    if coef.shape[0] == 1:
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros(1), intercept])
    layer = nn.Linear(coef.shape[1], coef.shape[0])
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(coef, dtype=torch.float32))
        layer.bias.copy_(torch.as_tensor(intercept, dtype=torch.float32))
    return layer


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def _new_folder(folder: str | os.PathLike) -> Path:
    target = Path(folder).expanduser()
    if target.exists() and any(target.iterdir()):
        raise InputError(f"'{target}' already exists and is not empty: choose a new folder name for the model.")
    target.mkdir(parents=True, exist_ok=True)
    return target


def _write_manifest(folder: Path, info: dict) -> Path:
    info = {
        "format": FORMAT,
        **info,
        "course_version": __version__,
        "saved": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "files": {p.relative_to(folder).as_posix(): sha256_file(p) for p in _files(folder)},
    }
    (folder / MANIFEST).write_text(json.dumps(info, indent=2) + "\n")
    return folder


def save_image_predictor(
    folder: str | os.PathLike,
    model: nn.Module,
    architecture: str,
    labels: Sequence[str],
    mean: Sequence[float],
    std: Sequence[float],
    metrics: dict | None = None,
    resize: int = 256,
    crop: int = 224,
) -> Path:
    """Save an image classifier built on one of the course's backbones (``architecture``: its name,
    e.g. ``"efficientnet_lite0"``), whose head already has one output per label."""
    from safetensors.torch import save_file

    target = _new_folder(folder)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, target / WEIGHTS)
    preprocessing = {"resize": resize, "crop": crop, "mean": list(mean), "std": list(std)}
    info = {"kind": "image", "architecture": architecture, "labels": list(labels), "preprocessing": preprocessing}
    return _write_manifest(target, {**info, "metrics": metrics or {}})


def save_text_predictor(
    folder: str | os.PathLike,
    encoder: Any,
    head: nn.Linear,
    labels: Sequence[str],
    normalize: bool = True,
    metrics: dict | None = None,
) -> Path:
    """Save a sentence-transformers ``encoder`` and the linear ``head`` trained on its embeddings."""
    from safetensors.torch import save_file

    target = _new_folder(folder)
    encoder.save(str(target / ENCODER), safe_serialization=True, create_model_card=False)
    save_file({k: v.contiguous() for k, v in head.state_dict().items()}, target / WEIGHTS)
    info = {"kind": "text", "labels": list(labels), "normalize_embeddings": normalize}
    return _write_manifest(target, {**info, "metrics": metrics or {}})


@dataclass
class Predictor:
    """A loaded model folder: ``predict`` takes image paths or texts and returns one Prediction each."""

    folder: Path
    info: dict
    model: nn.Module  # images: the whole network; texts: the head
    encoder: Any = None  # texts: the sentence encoder
    transform: Any = None  # images: PIL image -> tensor

    @property
    def kind(self) -> str:
        return self.info["kind"]

    @property
    def labels(self) -> list[str]:
        return list(self.info["labels"])

    def predict(self, inputs: Sequence[Any], batch_size: int = 8) -> list[Prediction]:
        """One Prediction per input (image paths or upload bytes, or texts), ``batch_size`` at a time:
        a thousand photos at once would need gigabytes of activations (on EfficientNet-Lite0, decoding
        and encoding 8 photos at a time took about 0.23 GiB, 16 at a time 0.33)."""
        if isinstance(inputs, str | os.PathLike):
            inputs = [inputs]
        inputs = list(inputs)
        out: list[Prediction] = []
        for start in range(0, len(inputs), batch_size):
            out += self._predict_batch(inputs[start : start + batch_size])
        return out

    def _predict_batch(self, inputs: list[Any]) -> list[Prediction]:
        with torch.inference_mode():
            if self.kind == "image":
                images = [read_image(source) for source in inputs]
                logits = self.model(torch.stack([self.transform(image) for image in images]))
                notes = [(f"read as a {im.width} x {im.height} RGB image",) for im in images]
            else:
                texts = [read_text(t, "One of the texts is empty: give a sentence.") for t in inputs]
                embeddings = self.encoder.encode(
                    texts, convert_to_tensor=True, normalize_embeddings=self.info["normalize_embeddings"]
                )
                logits = self.model(embeddings.cpu())
                notes = [() for _ in texts]
        probabilities = logits.softmax(-1).tolist()
        return [Prediction(self.labels, p, n) for p, n in zip(probabilities, notes, strict=True)]

    def __repr__(self) -> str:
        return f"Predictor({self.kind}, labels={self.labels}, folder='{self.folder}')"


def verify(folder: str | os.PathLike) -> dict:
    """predictor.json of ``folder``, after checking every file against it: refuses a missing, changed
    or unexpected file with one sentence."""
    root = Path(folder).expanduser()
    manifest = root / MANIFEST
    if not manifest.is_file():
        what = "is not there" if not root.exists() else f"has no {MANIFEST}"
        raise InputError(f"'{root}' {what}: give a folder saved by save_image_predictor or save_text_predictor.")
    try:
        info = json.loads(manifest.read_text())
        files = dict(info["files"])
        info["kind"], info["labels"]  # noqa: B018  (present, or KeyError below)
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError):
        raise InputError(f"'{manifest}' is damaged (not the JSON this course writes): save the model again.") from None
    if info.get("format") != FORMAT:
        raise InputError(f"'{root}' was saved in format {info.get('format')}; this course reads format {FORMAT}.")
    present = {p.relative_to(root).as_posix() for p in _files(root)}
    for name in sorted(files):
        if name not in present:
            raise InputError(f"'{root}' is incomplete: {name} is missing. Copy the whole folder again.")
        if sha256_file(root / name) != files[name]:
            raise InputError(
                f"'{root / name}' does not match its checksum in {MANIFEST}: the file was changed or damaged "
                "after saving. Copy the folder again from where it was saved."
            )
    extra = sorted(present - set(files))
    if extra:
        raise InputError(f"'{root}' holds {extra[0]}, which was not saved with the model: remove it, or save again.")
    return info


def load_predictor(folder: str | os.PathLike) -> Predictor:
    """Verify and load a model folder. Reads only safetensors and JSON: nothing is unpickled."""
    from safetensors.torch import load_file

    root = Path(folder).expanduser()
    info = verify(root)
    weights = load_file(root / WEIGHTS)
    if info["kind"] == "image":
        from .models import build_architecture, eval_transform

        model = build_architecture(info["architecture"], num_classes=len(info["labels"]))
        model.load_state_dict(weights, strict=True)
        p = info["preprocessing"]
        transform = eval_transform(p["resize"], p["crop"], p["mean"], p["std"])
        return Predictor(root, info, model.eval(), transform=transform)
    if info["kind"] == "text":
        from sentence_transformers import SentenceTransformer

        encoder = SentenceTransformer(
            str(root / ENCODER), device="cpu", local_files_only=True, model_kwargs={"use_safetensors": True}
        )
        head = nn.Linear(weights["weight"].shape[1], weights["weight"].shape[0])
        head.load_state_dict(weights, strict=True)
        return Predictor(root, info, head.eval(), encoder=encoder)
    raise InputError(f"'{root}' holds a model of kind {info['kind']!r}; this course reads 'image' and 'text'.")
