"""course_utils.uploads: a learner's zip or CSV, by the upload button (bytes) or by a path (JupyterLab's
file browser). Every bad zip is made for real here, one failure at a time, and each must give one
sentence and leave nothing behind in the cache; only the newest uploads are kept."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from course_utils import uploads
from course_utils.errors import InputError
from course_utils.uploads import clean_uploads, unpack_upload, use_path


def jpeg(seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (seed % 256, 0, 0)).save(buffer, "JPEG")
    return buffer.getvalue()


def zipped(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The same files always make the same bytes: a fixed date in every header (writestr with a bare name
    stamps the clock, so the same photos zipped a second apart made two different uploads)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, compress_type=method)
    return buffer.getvalue()


def photos_zip(top: str = "photos", seed: int = 0) -> bytes:
    return zipped({f"{top}/{c}/{i}.jpg": jpeg(seed + i) for c in ("ants", "bees") for i in range(2)})


def patched(data: bytes, field: str, value: int) -> bytes:
    """The zip with one header field of its first member changed, in the local and the central header
    alike, as another tool would have written it: 'flags' (bit 0: encrypted) or 'method' (compression)."""
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    offsets = {"flags": (local + 6, central + 8), "method": (local + 8, central + 10)}[field]
    out = bytearray(data)
    for at in offsets:
        out[at : at + 2] = value.to_bytes(2, "little")
    return bytes(out)


def bad_crc() -> bytes:
    """A stored (uncompressed) member with one byte of its data changed: its CRC-32 no longer matches."""
    data = bytearray(zipped({"photos/ants/0.jpg": b"x" * 1000, "photos/bees/0.jpg": b"y" * 1000}, zipfile.ZIP_STORED))
    data[data.index(b"x" * 1000) + 500] ^= 0xFF
    return bytes(data)


def left_behind(cache: Path) -> list[str]:
    folder = cache / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ----------------------------------------------------------------------------- what works


def test_an_uploaded_zip_of_a_folder_unpacks_into_the_cache_once(tmp_path):
    data = photos_zip()
    first = unpack_upload("photos.zip", memoryview(data), cache=tmp_path)
    assert first.name == "photos" and sorted(p.name for p in first.iterdir()) == ["ants", "bees"]
    assert first.is_relative_to(tmp_path / "uploads")
    assert unpack_upload("photos.zip", data, cache=tmp_path) == first  # the same upload: the same folder


def test_an_uploaded_csv_is_stored_as_it_came(tmp_path):
    path = unpack_upload("reviews.csv", b"text,label\n", cache=tmp_path)
    assert path.read_bytes() == b"text,label\n" and path.name == "reviews.csv"


def test_a_path_from_the_file_browser_a_zip_a_csv_or_a_folder(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "photos.zip").write_bytes(photos_zip())
    (home / "reviews.csv").write_text("text,label\n")
    (home / "birds" / "owls").mkdir(parents=True)
    before = {p: p.stat().st_mtime_ns for p in home.rglob("*")}
    unpacked = use_path(home / "photos.zip", cache=tmp_path / "cache")
    assert unpacked.is_relative_to(tmp_path / "cache" / "uploads") and (unpacked / "ants" / "0.jpg").is_file()
    assert unpacked == unpack_upload("photos.zip", photos_zip(), cache=tmp_path / "cache")  # either route, one copy
    assert use_path(home / "reviews.csv", cache=tmp_path / "cache") == home / "reviews.csv"  # read where it is
    assert use_path(home / "birds", cache=tmp_path / "cache") == home / "birds"
    assert before == {p: p.stat().st_mtime_ns for p in home.rglob("*")}  # the learner's files untouched
    with pytest.raises(InputError, match="There is no file or folder"):
        use_path(home / "photo.zip", cache=tmp_path / "cache")


def test_a_zip_from_macos_keeps_its_classes_without_the_finder_files(tmp_path):
    data = zipped({"photos/ants/0.jpg": jpeg(), "photos/bees/0.jpg": jpeg(1), "__MACOSX/photos/._0.jpg": b"meta"})
    folder = unpack_upload("photos.zip", data, cache=tmp_path)
    assert folder.name == "photos" and not (tmp_path / "uploads" / folder.parent.name / "__MACOSX").exists()


def test_the_same_photos_zipped_later_are_the_same_upload(monkeypatch):
    first = photos_zip()
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)  # another day: a clock-stamped zip would differ
    assert photos_zip() == first


def test_only_the_newest_uploads_are_kept(tmp_path):
    stored = []
    for seed in range(5):
        stored.append(unpack_upload(f"photos{seed}.zip", photos_zip(seed=10 * seed), cache=tmp_path))
        os.utime(stored[-1].parent, (1000 + seed, 1000 + seed))  # mtimes a second apart, oldest first
    assert [p.exists() for p in stored] == [False, False, True, True, True]
    unpack_upload("photos2.zip", photos_zip(seed=20), cache=tmp_path)  # used again: now the newest
    unpack_upload("another.csv", b"text,label\n", cache=tmp_path)
    assert [p.exists() for p in stored] == [False, False, True, False, True]
    assert len(left_behind(tmp_path)) == uploads.KEEP_UPLOADS
    assert clean_uploads(keep=1, cache=tmp_path) and len(left_behind(tmp_path)) == 1


# ----------------------------------------------------------------------------- every failure, one at a time


FAILURES = {
    "not a zip": ("photos.zip", lambda: b"these are my notes, renamed to .zip", "not a valid zip file"),
    "cut short": ("photos.zip", lambda: photos_zip()[:-60], "not a valid zip file"),
    "bad CRC": ("photos.zip", bad_crc, "is damaged (bad CRC or cut short)"),
    "encrypted": ("photos.zip", lambda: patched(photos_zip(), "flags", 0x1), "is encrypted"),
    # Deflate64 (method 9): what Windows' Explorer writes for large folders; Python cannot read it
    "unsupported compression": ("photos.zip", lambda: patched(photos_zip(), "method", 9), "compression method"),
    "parent path": ("evil.zip", lambda: zipped({"../outside.txt": b"x"}), "points outside the zip"),
    "absolute path": ("evil.zip", lambda: zipped({"/etc/passwd": b"x"}), "points outside the zip"),
    "drive path": ("evil.zip", lambda: zipped({"C:/Windows/x.txt": b"x"}), "points outside the zip"),
    "neither zip nor csv": ("photo.jpg", jpeg, "neither a .zip"),
    "empty": ("empty.zip", lambda: b"", "is empty"),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_bad_upload_is_one_sentence_and_leaves_nothing_behind(tmp_path, failure):
    name, make, words = FAILURES[failure]
    (tmp_path / name).write_bytes(make())  # as JupyterLab's file browser would have stored it
    for route in ("button", "path"):
        cache = tmp_path / route
        with pytest.raises(InputError) as caught:
            if route == "button":
                unpack_upload(name, make(), cache=cache)
            else:
                use_path(tmp_path / name, cache=cache)
        message = str(caught.value)
        assert words in message and "\n" not in message and len(message) < 300, (route, message)
        error = caught.value
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__), route
        assert left_behind(cache) == [], route  # no *.partial, no side folder, no half-unpacked upload
    assert not (tmp_path.parent / "outside.txt").exists()


@pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP's zip is not installed")
def test_a_zip_encrypted_with_a_password_by_a_real_zip_tool(tmp_path):
    (tmp_path / "photos" / "ants").mkdir(parents=True)
    (tmp_path / "photos" / "ants" / "0.jpg").write_bytes(jpeg())
    subprocess.run(["zip", "-q", "-r", "-P", "secret", "locked.zip", "photos"], cwd=tmp_path, check=True)
    with pytest.raises(InputError, match="is encrypted"):
        use_path(tmp_path / "locked.zip", cache=tmp_path / "cache")
    assert left_behind(tmp_path / "cache") == []


def test_a_zip_bomb_is_refused_by_its_compression_ratio(tmp_path, monkeypatch):
    # Zeros deflate about 1000:1, as a crafted zip does; the threshold is lowered so the test stays small.
    monkeypatch.setattr(uploads, "RATIO_APPLIES_ABOVE", 2**20)
    bomb = zipped({"photos/ants/0.jpg": bytes(8 * 2**20), "photos/bees/0.jpg": jpeg()})
    assert len(bomb) * uploads.MAX_RATIO < 8 * 2**20
    with pytest.raises(InputError, match="likely zip bomb"):
        unpack_upload("photos.zip", bomb, cache=tmp_path)
    assert left_behind(tmp_path) == []
    unpack_upload("photos.zip", photos_zip(), cache=tmp_path)  # real photos are nowhere near the ratio


def test_a_zip_over_the_size_or_file_limit_is_refused_before_unpacking(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, "UPLOAD_LIMIT_FILES", 3)
    with pytest.raises(InputError, match="unpacks to more than 3 files"):
        unpack_upload("photos.zip", photos_zip(), cache=tmp_path)
    assert left_behind(tmp_path) == []


def test_a_disk_that_fills_up_is_one_sentence_and_leaves_nothing(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(InputError, match="No space left on device"):
        unpack_upload("photos.zip", photos_zip(), cache=tmp_path)
    assert left_behind(tmp_path) == []
