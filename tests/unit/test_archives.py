"""course_utils.archives: member paths that leave the archive are refused, not quietly rewritten; unreadable
members are one ArchiveError. (Whole uploads: test_uploads.py; the asset mirror's archives: test_assets.py.)"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

import pytest

from course_utils import archives


@pytest.mark.parametrize("name", ["../x.txt", "a/../../x.txt", "/etc/passwd", "\\\\server\\x", "C:/x.txt", "..\\x"])
def test_a_path_outside_the_archive_is_refused(name):
    with pytest.raises(archives.ArchiveError, match="points outside the zip"):
        archives.member_path(name)


def test_ordinary_paths_stay_as_they_are():
    assert archives.member_path("photos/ants/0.jpg") == PurePosixPath("photos/ants/0.jpg")
    assert archives.member_path("photos\\bees\\1.jpg") == PurePosixPath("photos/bees/1.jpg")  # zipped on Windows


def test_extract_writes_the_chosen_members_under_the_folder(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data/a.txt", b"one")
        archive.writestr("data/sub/b.txt", b"two")
        archive.writestr("data/", b"")  # a folder entry
    with zipfile.ZipFile(buffer) as archive:
        found = archives.files(archive)
        assert [m.filename for m in found] == ["data/a.txt", "data/sub/b.txt"]
        archives.extract(archive, [(m, archives.member_path(m.filename)) for m in found], tmp_path)
    assert (tmp_path / "data" / "sub" / "b.txt").read_bytes() == b"two"
