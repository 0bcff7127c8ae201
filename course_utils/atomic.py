"""Files and folders that appear whole or not at all: built in a side folder, then renamed into place.

The asset cache, the demo data and unpacked uploads are all built this way, so an interrupted
build (a stopped kernel, a full disk, a damaged zip) leaves nothing half-written where the course
would later find it. No library the course uses renames a whole folder into place (atomicwrites,
archived upstream, wrote single files), and ``os.replace`` is the one step that makes it safe.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SIDE_PREFIX = ".tmp-"  # side folders start with this: a clean-up may remove old ones left by a killed process


@contextmanager
def building(target: Path) -> Iterator[Path]:
    """A path to build ``target`` at, in a fresh side folder beside it; moved onto ``target`` when the block
    ends without an error, removed otherwise. Where another process finished the same ``target`` first
    (a folder already there), that one is kept and this one dropped."""
    target.parent.mkdir(parents=True, exist_ok=True)
    side = Path(tempfile.mkdtemp(prefix=f"{SIDE_PREFIX}{target.name[:40]}-", dir=target.parent))
    try:
        work = side / target.name
        yield work
        try:
            os.replace(work, target)  # one rename on the same file system: readers see all or nothing
        except OSError:
            if not (target.is_dir() and work.is_dir()):
                raise
    finally:
        shutil.rmtree(side, ignore_errors=True)
