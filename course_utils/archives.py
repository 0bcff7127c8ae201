"""Zip archives unpacked without surprises: refused in one sentence, never partly unpacked.

Python's ``zipfile`` quietly rewrites a member named ``../x`` or ``/etc/x`` to stay inside the
target folder, and ``shutil.unpack_archive``'s safety filters cover tar files only; an archive
that names a path outside itself was made by mistake or to do harm, so it is refused instead.
The asset mirror's archives and learners' uploads both go through here.
"""

from __future__ import annotations

import lzma
import shutil
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20


class ArchiveError(Exception):
    """What is wrong with an archive, as the end of a sentence ("... : <this>")."""


def member_path(name: str) -> PurePosixPath:
    """A member's path inside the archive; :class:`ArchiveError` when it points outside it."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise ArchiveError(f"it contains the path '{name}', which points outside the zip")
    return path


def files(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's files (not its folder entries), each checked with :func:`member_path`; encrypted
    members are refused here, before anything is written."""
    found = [info for info in archive.infolist() if not info.is_dir()]
    for info in found:
        member_path(info.filename)
        if info.flag_bits & 0x1:  # the zip format's "encrypted" bit
            raise ArchiveError(f"'{info.filename}' in it is encrypted (password-protected); zip it without a password")
    return found


def extract(archive: zipfile.ZipFile, members: Iterable[tuple[zipfile.ZipInfo, PurePosixPath]], folder: Path) -> None:
    """Write each (member, relative path) under ``folder``. A member that cannot be read raises
    :class:`ArchiveError`; the caller builds ``folder`` in a side folder (atomic.building), so nothing
    of a failed extraction stays behind. zipfile never writes more than a member's declared size."""
    for info, relative in members:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
        except NotImplementedError:  # zipfile's word for a compression method it cannot read
            raise ArchiveError(
                f"'{info.filename}' in it uses a compression method Python cannot read; zip it again with "
                "your system's own zip tool (Deflate)"
            ) from None
        except RuntimeError as exc:  # a missing bz2/lzma module, or encryption flagged per file
            raise ArchiveError(f"'{info.filename}' in it cannot be read ({exc})") from None
        except (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError):  # an OSError is the disk's: not caught
            raise ArchiveError(f"'{info.filename}' in it is damaged (bad CRC or cut short)") from None
