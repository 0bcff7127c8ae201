"""A learner's zip too large for notebook 08's upload button reaches the notebook the way it says.

The button's bytes travel in one websocket message, which Tornado caps at 10 MiB, so notebook 08
tells the learner to upload larger files with JupyterLab's file browser and give the name. Here a
learner does that on a real JupyterHub (tests/hub_harness.py): logs in with Chromium, uploads a
38 MiB zip of photos with the file browser's upload button, then notebook 08's cells up to the
data report run in the learner's own server with ``UPLOADED`` set to the zip's name.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import chromium, real_mirror
from hub_harness import PASSWORD, running_hub
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "08_your_own_data.ipynb"
LEARNER = "ada"
ZIP_NAME = "my photos.zip"
ARTIFACTS = REPO / "tests" / "artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium() is None, reason="Playwright or Debian's chromium is not installed"),
]


def photos_zip(path: Path) -> Path:
    """24 camera-sized photos in two class folders; noise, so JPEG cannot shrink them: 38 MiB."""
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for i in range(24):
            buffer = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (1000, 1400, 3), dtype=np.uint8)).save(buffer, "JPEG", quality=95)
            archive.writestr(f"my photos/{('cats', 'dogs')[i % 2]}/IMG_{i:04d}.jpg", buffer.getvalue())
    return path


def notebook_cells_up_to_the_data_report() -> list[str]:
    cells = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    last = next(i for i, source in enumerate(cells) if "check_image_folder(IMAGE_FOLDER)" in source)
    chosen = [source.replace("UPLOADED = None", f"UPLOADED = {ZIP_NAME!r}", 1) for source in cells[: last + 1]]
    assert sum(f"UPLOADED = {ZIP_NAME!r}" in source for source in chosen) == 1, "notebook 08 has no UPLOADED setting"
    return [*chosen, "print(images)"]  # the report, shown as the cell's result, printed for the test to read


def test_a_38_mib_zip_uploaded_with_the_file_browser_reaches_notebook_08(tmp_path):
    from playwright import sync_api

    mirror = real_mirror()
    if mirror is None:
        pytest.skip("the course's asset mirror (../shared/assets) is not beside this checkout")
    archive = photos_zip(tmp_path / ZIP_NAME)
    assert archive.stat().st_size > 30 * 2**20  # three times what the upload button can carry
    shared = tmp_path / "shared"  # no shared assets: the demo data's two come from the mirror
    shared.mkdir()
    offline = {"COURSE_MIRROR": str(mirror), "COURSE_OFFLINE": "1"}
    with running_hub(tmp_path / "hub", shared, [LEARNER], environment=offline) as hub:
        hub.create_users([LEARNER])
        hub.spawn([LEARNER])
        uploaded = hub.root / "homes" / LEARNER / ZIP_NAME
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
            page = browser.new_page()
            page.set_default_timeout(60_000)
            try:
                page.goto(f"{hub.url}/hub/login")
                page.fill("#username_input", LEARNER)
                page.fill("#password_input", PASSWORD)
                page.click("#login_submit")
                page.wait_for_url(re.compile(r"/user/"), timeout=60_000)
                page.goto(f"{hub.url}/user/{LEARNER}/lab")  # the file browser shows the home folder
                page.locator(".jp-DirListing").first.wait_for(timeout=120_000)
                with page.expect_file_chooser() as chooser:  # the file browser's upload button, as a learner clicks it
                    page.get_by_title("Upload Files").first.click()
                chooser.value.set_files(str(archive))
                page.locator(".jp-Dialog").get_by_role("button", name="Upload").click()  # "Large file size warning"
                deadline = time.monotonic() + 300  # JupyterLab sends a file this large in chunks
                expected = hashlib.sha256(archive.read_bytes()).hexdigest()
                while time.monotonic() < deadline:
                    if uploaded.is_file() and hashlib.sha256(uploaded.read_bytes()).hexdigest() == expected:
                        break
                    time.sleep(1)
            finally:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "upload_browser.png"))  # what the learner saw
                browser.close()
        home = sorted(p.name for p in uploaded.parent.iterdir())
        assert uploaded.is_file() and hashlib.sha256(uploaded.read_bytes()).hexdigest() == expected, home
        # The notebook sits next to the upload, as the file browser's current folder: the kernel starts there.
        errors, printed, _, _ = hub.run_cells(LEARNER, "08_your_own_data.ipynb", notebook_cells_up_to_the_data_report())
    assert not errors, errors
    assert "using the upload:" in printed and "24 usable images in 2 classes" in printed, printed[-3000:]
