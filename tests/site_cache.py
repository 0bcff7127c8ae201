"""A pytest plugin: each notebook nbval runs to the end without a failure is stored, with its outputs,
in the course website's execution cache, so the site is built from the run the tests just checked.

The website (``make site``, site/conf.py) executes notebooks through jupyter-cache, keyed by the
notebook's code cells. Running every notebook once for the tests and again for the site would add
about as long again to CI; instead this plugin records what each cell of nbval's first pass printed
(``IPyNbCell.test_outputs``) and writes the executed notebook into that cache. A later
``make site`` finds the entry and executes nothing; a notebook whose code changed since has no
entry and is executed by the build.

The cache folder is ``COURSE_SITE_CACHE`` (default ``_build/.jupyter_cache``, site/conf.py's).
The site's test (tests/integration/test_site.py) runs after the
notebooks, so that in one ``pytest`` session the site is built from them: this plugin moves it last.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import IPyNbCell

from course_utils import config as course_config

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = REPO / "_build" / ".jupyter_cache"
SITE_TEST = "test_site.py"


def cache_folder() -> Path:
    return course_config.folder("COURSE_SITE_CACHE") or DEFAULT_CACHE


def store(path: Path, outputs: dict[int, list], cache: Path) -> None:
    """Write notebook ``path`` with ``outputs`` (by code-cell number) into the jupyter-cache at ``cache``."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    nb = nbformat.read(path, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code):
        cell.outputs = [nbformat.from_dict(dict(out)) for out in outputs.get(number, [])]
        cell.execution_count = number + 1
        for out in cell.outputs:
            if out.get("output_type") == "execute_result":
                out["execution_count"] = number + 1
    get_cache(str(cache)).cache_notebook_bundle(
        CacheBundleIn(nb, str(path.resolve()), data={"executed_by": "nbval (tests/site_cache.py)"}), overwrite=True
    )


class _Recorder:
    def __init__(self, cache: Path) -> None:
        self.cache = cache
        self.last_first_pass: dict = {}  # notebook item -> its last first-pass cell
        self.outputs: dict = defaultdict(dict)
        self.failed: set = set()
        self.stored: list[str] = []

    @pytest.hookimpl(trylast=True)  # after nbval_second_run has appended its items
    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            if isinstance(item, IPyNbCell) and not item.name.endswith(" (second run)"):
                self.last_first_pass[item.parent] = item
        site = [item for item in items if item.path.name == SITE_TEST]
        items[:] = [item for item in items if item.path.name != SITE_TEST] + site

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        if not isinstance(item, IPyNbCell) or item.parent not in self.last_first_pass:
            return report
        if item.name.endswith(" (second run)"):
            return report
        if report.failed:
            self.failed.add(item.parent)
        if call.when == "call" and report.passed:
            self.outputs[item.parent][item.cell_num] = list(item.test_outputs or [])
        if call.when == "teardown" and item is self.last_first_pass[item.parent] and item.parent not in self.failed:
            store(Path(item.parent.path), self.outputs.pop(item.parent), self.cache)
            self.stored.append(item.parent.path.name)
        return report


def pytest_configure(config):
    config.pluginmanager.register(_Recorder(cache_folder()), "site_cache_recorder")


def stored_this_session(config) -> list[str]:
    """Names of the notebooks this session has stored in the site's cache (for tests/integration/test_site.py)."""
    recorder = config.pluginmanager.get_plugin("site_cache_recorder")
    return list(recorder.stored) if recorder else []
