"""Demo data laid out the way a learner's own would be, made from course assets (notebook 08's first run, CI).

Each builder makes its folder or file once under ``<cache>/demo/``, in a side folder renamed into
place (atomic.py), so an interrupted build never leaves half a demo folder behind.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pandas as pd

from . import assets, atomic
from .data import SST2_LABELS, balanced_sample, load_sst2


def _once(target: Path, build) -> Path:
    """``target``, built by ``build(path)`` if it is not there yet."""
    if not target.exists():
        with atomic.building(target) as work:
            build(work)
    return target


def demo_image_folder(per_class: int = 60, seed: int = 0, cache: Path | None = None) -> Path:
    """A photo folder laid out as a learner's would be, made from real hymenoptera photos (ants and
    bees, ``per_class`` of each from the training split): ``<cache>/demo/my-photos/<class>/``. Like
    many real folders it also holds one photo saved twice and a notes file."""
    source = assets.fetch("hymenoptera") / "train"

    def build(folder: Path) -> None:
        rng = random.Random(seed)
        for name in ("ants", "bees"):
            photos = sorted((source / name).glob("*.jpg"))
            (folder / name).mkdir(parents=True)
            for photo in rng.sample(photos, per_class):
                shutil.copyfile(photo, folder / name / photo.name)
        first = sorted((folder / "bees").iterdir())[0]
        shutil.copyfile(first, folder / "bees" / f"copy of {first.name}")
        (folder / "notes.txt").write_text("Ants and bees from the hymenoptera photos.\n")

    return _once((cache or assets.cache_dir()) / "demo" / f"my-photos-{per_class}-{seed}", build)


def demo_text_csv(per_class: int = 200, seed: int = 0, cache: Path | None = None) -> Path:
    """A CSV file as a learner might export it, made from real SST-2 movie-review sentences (the dev
    split, ``per_class`` of each sentiment): columns ``review`` and ``sentiment``. Like many real
    exports it also holds one review twice and an empty line."""

    def build(file: Path) -> None:
        rows = balanced_sample(load_sst2("dev"), per_class, seed)
        table = pd.DataFrame({"review": rows["sentence"], "sentiment": [SST2_LABELS[y] for y in rows["label"]]})
        table = pd.concat([table, table.iloc[:1]], ignore_index=True)
        text = table.to_csv(index=False)
        lines = text.splitlines(keepends=True)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("".join(lines[: len(lines) // 2]) + "\n" + "".join(lines[len(lines) // 2 :]))

    return _once((cache or assets.cache_dir()) / "demo" / f"my-reviews-{per_class}-{seed}.csv", build)
