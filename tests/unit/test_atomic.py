"""course_utils.atomic: a folder or file appears whole at its place, or not at all."""

from __future__ import annotations

import pytest

from course_utils import atomic


def test_a_finished_build_is_renamed_into_place_and_the_side_folder_goes(tmp_path):
    target = tmp_path / "cache" / "photos"
    with atomic.building(target) as work:
        (work / "ants").mkdir(parents=True)
        (work / "ants" / "0.jpg").write_bytes(b"jpeg")
        assert not target.exists()  # nothing at the place while the build runs
    assert (target / "ants" / "0.jpg").read_bytes() == b"jpeg"
    assert sorted(p.name for p in target.parent.iterdir()) == ["photos"]


def test_a_failed_build_leaves_nothing(tmp_path):
    target = tmp_path / "reviews.csv"
    with pytest.raises(RuntimeError), atomic.building(target) as work:
        work.write_text("half a fi")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_another_process_finished_first_is_kept(tmp_path):
    target = tmp_path / "photos"
    with atomic.building(target) as work:
        work.mkdir()
        (work / "mine").write_text("second")
        target.mkdir()  # the other process's rename happens meanwhile
        (target / "theirs").write_text("first")
    assert sorted(p.name for p in target.iterdir()) == ["theirs"] and len(list(tmp_path.iterdir())) == 1
