"""The course website: built with ``make site``'s command, then read page by page in Chromium.

The build uses the notebooks' execution cache (site/conf.py). In a full ``pytest`` run the notebooks
run first and tests/site_cache.py stores each one that passed, so this build executes none of them:
the test checks that. Run alone, the build executes whatever the cache lacks (minutes).

Every page of the site is opened from the home page by following the "next" links, served on
localhost with every request outside it blocked and recorded, and checked: its title, every image
loaded, one figure per plot the executed notebook holds, no unrendered Markdown or raw LaTeX, no
dead link inside the site, the course's version in the footer, and no reference solution's code
in the page (the notebook keeps it, collapsed, for after the learner has answered). One screenshot
per page goes to tests/artifacts/site/.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shlex
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import nbformat
import pytest
from conftest import REPO, chromium
from site_cache import cache_folder, stored_this_session

pytestmark = pytest.mark.slow
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
ARTIFACTS = REPO / "tests" / "artifacts" / "site"
# Markdown or LaTeX a reader should never see as text: it means a page was not rendered.
UNRENDERED = re.compile(r"\*\*\w|\]\(|```|^#{1,6} |\$\$|\\\(|\\\[|\\(?:frac|sqrt|sum|mathbf|alpha)\b", re.MULTILINE)


def make_site_commands() -> list[list[str]]:
    """The commands ``make site`` runs, as make itself expands them: a dry run (``make -n``) with this
    environment's interpreter and the developer set-up taken as done."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # under make test
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", "setup-dev", "site", f"BIN={Path(sys.executable).parent}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return [shlex.split(line) for line in dry.stdout.splitlines() if line.strip()]


def build(out: Path) -> subprocess.CompletedProcess:
    """Every command ``make site`` runs, in order, the Sphinx build writing into ``out`` instead of
    _build/html; the Sphinx build's result (its output and status) is returned."""
    commands = make_site_commands()
    sphinx = [c for c in commands if c[1:3] == ["-m", "sphinx"]]
    assert len(sphinx) == 1, f"make site runs no single Sphinx build: {commands}"
    result = None
    for command in commands:
        if command is sphinx[0]:
            command = [*command[:-1], str(out)]  # sphinx-build SOURCE OUTPUT: the output folder is last
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=3600)
        if command[1:3] == ["-m", "sphinx"]:
            result = done
        elif done.returncode != 0:
            return done  # an earlier step failed, as make would stop there
    return result


@pytest.fixture(scope="module")
def site(tmp_path_factory, request) -> dict:
    out = tmp_path_factory.mktemp("site") / "html"
    started = time.perf_counter()
    result = build(out)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"the site did not build:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    executed = re.findall(r"notebooks/(\S+\.ipynb): Executing notebook", result.stdout + result.stderr)
    print(f"site built in {seconds:.0f} s; notebooks executed by the build: {executed or 'none'}")
    return {"out": out, "executed": executed, "stored": stored_this_session(request.config)}


def test_build_reuses_the_notebooks_run_by_the_tests(site):
    """A notebook the tests have just run and stored is not executed again by the site's build."""
    again = sorted(set(site["executed"]) & set(site["stored"]))
    assert not again, f"the site's build executed notebooks the tests had just run: {again}"
    assert (site["out"] / "index.html").is_file()


def executed_images(path: Path) -> int:
    """How many figures the executed notebook in the site's cache holds (what its page must show)."""
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_folder()))
    record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
    nb = cache.get_cache_bundle(record.pk).nb
    return sum("image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", []))


def solution_lines(path: Path) -> list[str]:
    """For each reference solution (a cell tagged ``solution``), its longest code line found in no other
    cell of the notebook: if the page holds that line, it shows the solution."""
    cells = nbformat.read(path, as_version=4).cells
    solutions = [c for c in cells if "solution" in c.metadata.get("tags", [])]
    lines = []
    for cell in solutions:
        elsewhere = "\n".join(c.source for c in cells if c is not cell)
        own = [line.strip() for line in cell.source.splitlines() if line.strip() and line.strip() not in elsewhere]
        lines.append(max(own, key=len) if own else "")
    return lines


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def list_directory(self, path):  # a web server shows no folder listing: a link to a folder is dead
        self.send_error(404, "no index.html in this folder")
        return None


@pytest.fixture(scope="module")
def served(site):
    handler = functools.partial(_Quiet, directory=str(site["out"]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def page_status(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.mark.skipif(
    chromium() is None, reason="Playwright or Debian's chromium is not installed (.ci/run installs them)"
)
def test_every_page_reads_well_in_a_browser(site, served):
    from playwright import sync_api

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    visited: list[str] = []
    problems: list[str] = []
    checked_links: dict[str, int] = {}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def block_outside(route):
            if route.request.url.startswith(served):
                route.continue_()
            else:  # the site must work with no network: nothing may be fetched from elsewhere
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", block_outside)
        page.goto(served, wait_until="load")  # the bare address forwards to the home page, the README
        page.wait_for_url("**/README.html", timeout=10_000)
        url = page.url
        while url and len(visited) < 200:
            page.goto(url, wait_until="load")
            name = urlparse(page.url).path.lstrip("/")
            assert name not in visited, f"the 'next' links loop back to {name}"
            visited.append(name)
            page.screenshot(path=str(ARTIFACTS / (name.replace("/", "__") + ".png")))

            def problem(text: str, name=name) -> None:
                problems.append(f"{name}: {text}")

            heading = page.locator("article h1").first.inner_text().strip().rstrip("#").strip()
            if not heading or heading not in page.title():
                problem(f"title {page.title()!r} does not name the page's heading {heading!r}")
            if f"Transfer Learning, Hands-On {VERSION}" not in page.locator("footer.bd-footer-content").inner_text():
                problem(f"the footer does not show the course's version {VERSION}")
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
            )
            if broken:
                problem(f"images that did not load: {broken}")
            prose = page.evaluate(
                """() => { const a = document.querySelector('article').cloneNode(true);
                a.querySelectorAll('pre, code, .cell_input, .cell_output, .highlight').forEach(e => e.remove());
                return a.innerText; }"""
            )
            for match in UNRENDERED.finditer(prose):
                line = prose[max(0, match.start() - 60) : match.end() + 60].replace("\n", " ")
                problem(f"unrendered Markdown or LaTeX {match.group()!r} in: ...{line}...")
            if page.locator(".tag_solution .cell_input").count():
                problem("a reference solution's code is in the page")
            if name.startswith("notebooks/"):
                notebook = REPO / "notebooks" / (Path(name).stem + ".ipynb")
                figures = page.locator(".cell_output img").evaluate_all(
                    "els => els.filter(i => i.complete && i.naturalWidth > 0).length"
                )
                expected = executed_images(notebook)
                if figures != expected:
                    problem(f"{figures} figures rendered, the executed notebook holds {expected}")
                solutions = solution_lines(notebook)
                if page.locator(".solution-note").count() != len(solutions):
                    problem(f"{page.locator('.solution-note').count()} solution notes for {len(solutions)} solutions")
                text = page.evaluate("document.querySelector('article').textContent")  # hidden text too
                shown = [line for line in solutions if line and line in text]
                if shown:
                    problem(f"reference solutions' code is in the page: {shown[:3]}")
                if not page.locator(".cell_output").count():
                    problem("no cell outputs: the page was built from an unexecuted notebook")
            for href in page.locator("a[href]").evaluate_all("els => els.map(e => e.href)"):  # menus too
                target, fragment = urldefrag(href)
                if not target.startswith(served):
                    continue
                if target not in checked_links:
                    checked_links[target] = page_status(target)[0]
                if checked_links[target] != 200:
                    problem(f"link to {target} answers {checked_links[target]}")
                elif fragment and target.endswith(".html"):
                    body = page_status(target)[1]
                    if f'id="{fragment}"' not in body:
                        problem(f"link {href} points to no anchor #{fragment}")
            nxt = page.locator("a.right-next")
            url = urljoin(page.url, nxt.first.get_attribute("href")) if nxt.count() else None
        browser.close()

    assert not outside, f"pages asked for files outside the site (the site must work offline): {sorted(set(outside))}"
    assert not problems, "\n".join(problems)
    pages = {p.relative_to(site["out"]).as_posix() for p in site["out"].rglob("*.html")}
    pages = {p for p in pages if not p.startswith("_") and p not in ("index.html", "genindex.html", "search.html")}
    assert visited[0] == "README.html"
    assert pages <= set(visited), f"pages the navigation never reaches: {sorted(pages - set(visited))}"
    order = [v for v in visited if v.startswith("notebooks/")]
    assert order == [f"notebooks/{p.stem}.html" for p in NOTEBOOKS], f"notebooks out of course order: {order}"
    print(f"{len(visited)} pages read, {len(checked_links)} links inside the site checked")
