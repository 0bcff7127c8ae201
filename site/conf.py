"""Sphinx configuration of the course website: ``make site`` builds it into ``_build/html``.

The source folder is the repository itself (``sphinx-build -c site . _build/html``), so the pages
are the files learners read on GitHub: the README is the home page, then the notebooks with their
outputs, the instructors' guide, the dataset cards and the benchmark tables. Nothing here reaches
the network, at build time or when a page is viewed: the theme ships its own files, widgets show
the static rendering course_utils gives every widget, and the course uses no LaTeX math.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "site"))

from course_utils import config  # noqa: E402 (after the path set-up above)

_project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
project = "Transfer Learning, Hands-On"
release = version = _project["version"]
author = "The Transfer Learning, Hands-On team"
copyright = "the Transfer Learning, Hands-On team; MIT License"  # noqa: A001 (Sphinx's name)

extensions = ["myst_nb", "course_site"]
root_doc = "README"
# The pages of the site; every other file a page links to (a config, a script) is copied beside
# it as a download, so no link inside the site is dead.
include_patterns = [
    "README.md",
    "notebooks/*.ipynb",
    "docs/*.md",
    "registry/*.md",
    "benchmarks/*.md",
    "CHANGELOG.md",
    "CONTRIBUTING.md",
]
exclude_patterns = ["_build", ".venv", ".cache", "**/.ipynb_checkpoints"]

# Execute each notebook once and keep its outputs in a jupyter-cache keyed by its code cells:
# editing prose rebuilds in seconds. `make test` fills the same cache from its own notebook run
# (tests/site_cache.py), so CI builds the site without running any notebook a second time.
nb_execution_mode = "cache"
nb_execution_cache_path = str(config.folder("COURSE_SITE_CACHE") or REPO / "_build" / ".jupyter_cache")
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True  # a cell's printed lines read as one block, as in Jupyter
# A widget's page shows its static rendering (HTML, then text): the live view needs a kernel, and
# the widget manager would be fetched from a CDN.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # notebooks start at "#" with "###" sections, as Jupyter shows them

html_theme = "sphinx_book_theme"
html_title = f"{project} {version}"
html_static_path = ["static"]
html_css_files = ["course.css"]
html_last_updated_fmt = None
html_show_sourcelink = False
# The theme's download button offers each page's source: for a notebook, the .ipynb itself (without
# outputs, as stored), ready to run. Sphinx would add ".txt" to the copied file's name; keep it as is.
html_copy_source = True
html_sourcelink_suffix = ""
html_theme_options = {
    "extra_footer": f"{project} {version}. Pages built from the notebooks executed once on a CPU.",
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
}


def public_repository() -> str:
    """The course's public GitHub repository: ``COURSE_REPOSITORY_URL``, else this checkout's ``origin``."""
    url = config.raw("COURSE_REPOSITORY_URL")
    if not url:
        found = subprocess.run(["git", "remote", "get-url", "origin"], cwd=REPO, capture_output=True, text=True)
        url = found.stdout.strip() if found.returncode == 0 else ""
    match = re.fullmatch(r"(?:https://github\.com/|git@github\.com:)([\w.-]+/[\w.-]+?)(?:\.git)?/?", url)
    return f"https://github.com/{match.group(1)}" if match else ""


# Binder launch buttons on every notebook page (binder/ holds the environment mybinder.org builds).
# They need the repository's public address, which a local clone may not have: without one the
# pages carry no launch button, and the build says so.
repository_url = public_repository()
if repository_url:
    html_theme_options |= {
        "repository_url": repository_url,
        "repository_branch": config.raw("COURSE_REPOSITORY_BRANCH") or "main",
        "path_to_docs": "",
        "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
        "use_repository_button": True,
    }
else:
    print("site: no public GitHub repository known (set COURSE_REPOSITORY_URL): pages have no Binder button")
