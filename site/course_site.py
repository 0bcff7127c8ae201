"""The course website's own Sphinx extension: site navigation and the home page's address.

The README stays a plain GitHub page; the site adds to it, at build time, the navigation that
orders every page: the notebooks in course order, then the guides and the reference pages.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

NAVIGATION = {
    "Notebooks": ["notebooks/*"],
    "Teaching and contributing": ["docs/instructors", "docs/notebook_template", "CONTRIBUTING"],
    "Reference": ["registry/README", "registry/*", "benchmarks/results", "benchmarks/*", "CHANGELOG"],
}


def _toctree(caption: str, entries: list[str]) -> str:
    lines = "\n".join(f"/{entry}" for entry in entries)
    return f"\n\n```{{toctree}}\n:hidden:\n:glob:\n:caption: {caption}\n\n{lines}\n```\n"


def add_navigation(app: Sphinx, docname: str, source: list[str]) -> None:
    """Append the site's table of contents to the home page (the README) as it is read."""
    if docname == app.config.root_doc:
        source[0] += "".join(_toctree(caption, entries) for caption, entries in NAVIGATION.items())


SOLUTION_NOTE = "Reference solution: in the notebook, collapsed, for after you have answered."


def leave_out_solutions(app: Sphinx, doctree: nodes.document) -> None:
    """Reference solutions (cells tagged ``solution``) appear on the site as a note, without their code:
    the answer is for after the learner has answered, in the notebook."""
    for cell in list(doctree.findall(nodes.container)):
        if "tag_solution" not in cell["classes"]:
            continue
        for part in [child for child in cell.children if "cell_input" in child.get("classes", [])]:
            cell.remove(part)
        cell.insert(0, nodes.paragraph("", "", nodes.emphasis(text=SOLUTION_NOTE), classes=["solution-note"]))


def leave_out_empty_widget_views(app: Sphinx, doctree: nodes.document) -> None:
    """A progress bar drawn in an ipywidgets ``Output`` (NNCF's, in notebook 07) keeps its content in the
    live widget only; its static form is the text "Output()", which says nothing on a page."""
    for block in list(doctree.findall(nodes.literal_block)):
        if block.astext().strip() == "Output()" and block.parent is not None:
            block.parent.remove(block)


def write_home_redirect(app: Sphinx, exception: Exception | None) -> None:
    """``index.html`` forwards to the home page, so the site's bare address works when served."""
    if exception is None and app.builder.format == "html":
        target = f"{app.config.root_doc}.html"
        Path(app.outdir, "index.html").write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{app.config.project}</title>'
            f'<meta http-equiv="refresh" content="0; url={target}"></head>'
            f'<body><a href="{target}">{app.config.project}</a></body></html>\n'
        )


def setup(app: Sphinx) -> dict:
    app.connect("source-read", add_navigation)
    app.connect("doctree-read", leave_out_solutions)
    app.connect("doctree-read", leave_out_empty_widget_views)
    app.connect("build-finished", write_home_redirect)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
