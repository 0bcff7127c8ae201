"""Notes on why a claim's margin holds live in tests/claim_margins.toml, not in learners' cells: each
note must still name a claim its notebook makes."""

from __future__ import annotations

import json
import tomllib

from conftest import REPO


def test_every_margin_note_names_a_claim_its_notebook_still_makes():
    notes = tomllib.loads((REPO / "tests" / "claim_margins.toml").read_text())
    for notebook, claims in notes.items():
        cells = json.loads((REPO / "notebooks" / notebook).read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for statement in claims:
            assert json.dumps(statement) in code, f"{notebook}: no claim says {statement!r} any more"
