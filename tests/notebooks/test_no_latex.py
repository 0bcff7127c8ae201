"""The notebooks' prose uses no LaTeX: the course website is built offline without a math renderer, so a
formula written as $...$ would reach readers as raw text (tests/integration/test_site.py sees it only after
a full build). Formulas go in plain text or a code block."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)
LATEX = re.compile(r"\$[^$\s][^$]*\$|\\(?:frac|alpha|cdot|times|text|qquad)\b")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_prose_has_no_latex(path):
    cells = nbformat.read(path, as_version=4).cells
    found = [m.group() for c in cells if c.cell_type == "markdown" for m in LATEX.finditer(CODE.sub("", c.source))]
    assert not found, f"{path.stem}: LaTeX the site cannot render: {found[:5]}"
