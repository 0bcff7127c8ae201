"""A learner's upload, unpacked safely into the course cache: a zip of class folders, or a CSV file.

Two routes reach it. The notebook's upload button (an ipywidgets ``FileUpload``) sends the file's
bytes over the kernel's websocket, whose messages Tornado caps at 10 MiB: a larger file never
arrives, and nothing says so (github.com/jupyter-widgets/ipywidgets/issues/2522). Larger files go
through JupyterLab's file browser (its upload button sends big files in chunks), and the learner
gives the path: :func:`use_path` takes a zip, a CSV file or a folder.

Every way a zip can fail is one sentence (an :class:`InputError`) and leaves nothing behind: not a
zip, damaged (bad CRC, cut short), encrypted, an unsupported compression method, a path pointing
outside the zip, too large or too compressed to be photos or texts. Only the newest few uploads are
kept: each one can be gigabytes in a cache that a hub's quota also has to hold.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import time
import zipfile
from pathlib import Path
from typing import BinaryIO

from . import archives, atomic
from .assets import cache_dir, sha256_file
from .errors import InputError
from .learner_input import given_path

UPLOAD_LIMIT_BYTES = 2 * 2**30  # unpacked size of a zip
UPLOAD_LIMIT_FILES = 100_000
# Unpacked size over the zip's size. Photos are already compressed (JPEG, PNG: about 1:1) and texts
# deflate about 3 to 10:1, while a crafted zip reaches about 1000:1 (Deflate's ceiling), enough for a
# 2 MB upload to fill the 2 GiB limit. At 100:1 real data has ten times the room it needs, and filling
# the limit takes a 20 MB zip. Small archives are let through whatever their ratio: they cannot hurt.
MAX_RATIO = 100
RATIO_APPLIES_ABOVE = 64 * 2**20  # unpacked bytes
KEEP_UPLOADS = 3  # the newest uploads kept in the cache; older ones are removed
MACOS_METADATA = "__MACOSX/"  # macOS's Finder adds these to every zip it makes


def uploads_dir(cache: Path | None = None) -> Path:
    """Where uploads are unpacked: ``<cache>/uploads``."""
    return (cache or cache_dir()) / "uploads"


def unpack_upload(name: str, content: bytes | memoryview, cache: Path | None = None) -> Path:
    """Store what the upload button received (a zip of class folders, or a CSV file) in a fresh folder
    under the course cache and return the image folder or the CSV file's path. The same upload twice
    lands in the same place."""
    data = bytes(content)
    if not data:
        raise InputError(f"The upload '{name}' is empty (0 bytes): choose the file again.")
    digest = hashlib.sha256(data).hexdigest()[:12]
    return _store(name, digest, lambda: io.BytesIO(data), len(data), cache)


def use_path(path: str | os.PathLike, cache: Path | None = None) -> Path:
    """The image folder or CSV file behind ``path``, a file uploaded with JupyterLab's file browser (or
    copied to the machine): a zip is unpacked into the course cache as :func:`unpack_upload` does; a CSV
    file or a folder is used where it is, only read."""
    blank = "No path given: type the path of the .zip, the .csv file or the folder you uploaded."
    given = given_path(path, "file or folder", blank)
    if given.is_dir() or given.suffix.lower() == ".csv":
        return given
    size = given.stat().st_size
    if size == 0:
        raise InputError(f"'{given}' is empty (0 bytes): upload it again.")
    digest = sha256_file(given)[:12]
    return _store(given.name, digest, lambda: open(given, "rb"), size, cache)


def _store(name: str, digest: str, opener, size: int, cache: Path | None) -> Path:
    base = uploads_dir(cache) / f"{Path(name).stem[:40]}-{digest}"
    suffix = Path(name).suffix.lower()
    if suffix not in (".zip", ".csv"):
        raise InputError(f"'{name}' is neither a .zip of class folders nor a .csv file: upload one of those.")
    if not base.exists():
        with atomic.building(base) as work:
            work.mkdir()
            if suffix == ".csv":
                with opener() as source, open(work / Path(name).name, "wb") as out:
                    shutil.copyfileobj(source, out)
            else:
                with opener() as source:
                    _unzip(name, source, size, work)
    os.utime(base)  # the newest upload, for clean_uploads
    clean_uploads(cache=cache)
    if suffix == ".csv":
        return base / Path(name).name
    # A zip of a folder holds that one folder: its sub-folders are the classes.
    tops = [p for p in base.iterdir() if not p.name.startswith(".")]
    return tops[0] if len(tops) == 1 and tops[0].is_dir() and any(p.is_dir() for p in tops[0].iterdir()) else base


def _unzip(name: str, source: BinaryIO, size: int, folder: Path) -> None:
    """Check the whole zip, then unpack it into ``folder``; every failure is one InputError sentence."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = [m for m in archives.files(archive) if not m.filename.startswith(MACOS_METADATA)]
            unpacked = sum(m.file_size for m in members)
            if len(members) > UPLOAD_LIMIT_FILES or unpacked > UPLOAD_LIMIT_BYTES:
                raise InputError(
                    f"'{name}' unpacks to more than {UPLOAD_LIMIT_FILES:,} files or {UPLOAD_LIMIT_BYTES // 2**30} GiB: "
                    "upload a smaller sample, or copy the folder to the machine and give its path."
                )
            if unpacked > RATIO_APPLIES_ABOVE and unpacked > MAX_RATIO * size:
                raise InputError(
                    f"'{name}' unpacks to {unpacked / size:.0f} times its size, more than the {MAX_RATIO} times "
                    "photos or texts do: refused as a likely zip bomb. Zip the folder again from the original files."
                )
            archives.extract(archive, [(m, archives.member_path(m.filename)) for m in members], folder)
    except zipfile.BadZipFile:
        raise InputError(f"'{name}' is not a valid zip file: zip the folder again and upload it.") from None
    except archives.ArchiveError as exc:
        raise InputError(f"'{name}' cannot be unpacked: {exc}.") from None
    except OSError as exc:
        raise InputError(
            f"'{name}' could not be unpacked into {folder.parent.parent} ({exc.strerror or exc}): free some space "
            "or remove old uploads there."
        ) from None


def clean_uploads(keep: int = KEEP_UPLOADS, cache: Path | None = None) -> list[Path]:
    """Remove all but the ``keep`` newest uploads, and side folders an interrupted unpacking left (older
    than an hour); return what was removed. Only the course's own copies are touched, never the
    learner's originals."""
    folder = uploads_dir(cache)
    if not folder.is_dir():
        return []
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    old = sorted(entries, key=lambda p: p.stat().st_mtime, reverse=True)[keep:]
    an_hour_ago = time.time() - 3600
    old += [p for p in folder.glob(f"{atomic.SIDE_PREFIX}*") if p.stat().st_mtime < an_hour_ago]
    for path in old:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return old
