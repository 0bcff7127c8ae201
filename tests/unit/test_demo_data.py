"""course_utils.demo_data: notebook 08's demo folder and CSV, made once from the course's real assets, with
the clutter the notebook's data report is meant to find."""

from __future__ import annotations

from course_utils.data_report import check_image_folder, check_text_csv
from course_utils.demo_data import demo_image_folder, demo_text_csv


def test_the_demo_photos_and_reviews_are_built_once_with_their_clutter(mirror, clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_MIRROR", str(mirror))
    cache = clean_env / "cache"
    folder = demo_image_folder(per_class=3, cache=cache)
    assert folder.is_relative_to(cache / "demo") and demo_image_folder(per_class=3, cache=cache) == folder
    report = check_image_folder(folder, progress=False)
    assert report.counts == {"ants": 3, "bees": 3} and [why for _, why in report.skipped] == [
        f"duplicate: same bytes as bees/{sorted(p.name for p in (folder / 'bees').iterdir())[0]}"
    ]
    table = demo_text_csv(per_class=5, cache=cache)
    texts = check_text_csv(table, "review", "sentiment")
    assert texts.counts == {"negative": 5, "positive": 5} and "1 empty line(s)" in str(texts)
    assert not [p for p in (cache / "demo").iterdir() if p.name.startswith(".")]  # no side folder left
