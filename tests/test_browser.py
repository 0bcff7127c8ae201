"""JupyterLab in a real browser: notebook 01 runs, and its batch explorer responds to a slider.

JupyterLab is started on loopback with token authentication and driven by Playwright in
Debian's headless Chromium (``CHROMIUM`` overrides the path; no browser is downloaded). The
screenshot lands in ``tests/artifacts/`` for a human to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
NOTEBOOK = "01_epochs_and_batches.ipynb"


def chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM", ""), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on loopback, serving a scratch copy of notebook 01."""
    shutil.copy(REPO / "notebooks" / NOTEBOOK, tmp_path / NOTEBOOK)
    port, token = free_port(), "course-browser-test"
    settings = tmp_path / "lab-settings" / "@jupyterlab"
    # Render every cell: JupyterLab's default windowing leaves cells outside the viewport out of the page.
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    (settings / "apputils-extension").mkdir()  # and no "get news?" pop-up over the page
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings.parent),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI containers often run as root
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((tmp_path / "lab.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_notebook_01_runs_in_jupyterlab_and_its_slider_changes_the_iteration_count(lab):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, token = lab
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
        page.get_by_text(re.compile(r"\|\s*Idle")).first.wait_for(timeout=120_000)  # the kernel is up
        # Run > Run All Cells, as a learner would, and wait until no "[*]" prompt is left.
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.locator(".jp-InputPrompt", has_text="[1]").first.wait_for(timeout=60_000)
        running = "() => ![...document.querySelectorAll('.jp-InputPrompt')].some(p => p.innerText.includes('*'))"
        page.wait_for_function(running, timeout=600_000)
        stderr = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        error_count = page.locator(stderr, has_text="Error").count()
        # The explorer: move the "batch size" slider one step left with the keyboard (100 -> 99).
        # Only now: while cells run, the kernel queues the slider's message behind them.
        count = page.locator(".widget-html .iterations-per-epoch").first
        count.scroll_into_view_if_needed()
        before = count.inner_text()
        slider = page.locator(".widget-slider", has_text="batch size").first
        slider.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowLeft")
        sync_api.expect(slider.locator(".widget-readout")).to_have_text("99")
        sync_api.expect(count).not_to_have_text(before, timeout=30_000)
        after = count.inner_text()
        page.screenshot(path=str(ARTIFACTS / "notebook01_batch_explorer.png"))
        browser.close()
    assert (before, after) == ("10", "11")  # ceil(1000 / 100) = 10 iterations per epoch; ceil(1000 / 99) = 11
    assert error_count == 0
