"""The files a course repository is expected to have: a citation that validates, a changelog and a
contributing guide that match the code, and documentation links that lead somewhere."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import course_cli

from course_utils import __version__

REPO = Path(__file__).resolve().parents[2]
CFF_SCHEMA = REPO / "tests" / "schemas" / "cff-1.2.0.schema.json"


def citation() -> dict:
    return yaml.safe_load((REPO / "CITATION.cff").read_text())


def test_citation_cff_is_valid_citation_file_format_1_2_0():
    schema = json.loads(CFF_SCHEMA.read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(citation())


@pytest.mark.parametrize(
    "mistake",
    [
        lambda c: c.pop("authors"),
        lambda c: c.update({"cff-version": "1.2"}),
        lambda c: c.update({"licence": "MIT"}),  # misspelled key
        lambda c: c.update({"license": "MIT-ish"}),  # not an SPDX identifier
    ],
)
def test_the_citation_check_catches_mistakes(mistake):
    broken = copy.deepcopy(citation())
    mistake(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, json.loads(CFF_SCHEMA.read_text()))


def test_the_version_is_one_everywhere():
    import tomllib

    assert citation()["version"] == __version__
    assert tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"] == __version__
    assert re.search(rf"^## {re.escape(__version__)}\b", (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)
    done = course_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"Transfer Learning, Hands-On {__version__}"


def test_the_license_named_in_the_citation_is_the_license_file():
    assert citation()["license"] == "MIT" and (REPO / "LICENSE").read_text().startswith("MIT License")


DOCS = ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs/*.md", "registry/*.md", "benchmarks/*.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_in_the_documentation_leads_to_a_file_or_folder():
    broken = []
    for pattern in DOCS:
        for page in REPO.glob(pattern):
            for target in LINK.findall(page.read_text()):
                if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                    continue  # a web address or an anchor on the same page
                path = (page.parent / target.split("#")[0]).resolve()
                if not path.exists():
                    broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []


def test_contributing_names_the_checks_that_exist():
    text = (REPO / "CONTRIBUTING.md").read_text()
    for path in re.findall(r"`((?:tests|benchmarks|course_utils|docs|registry)/[\w./]+\.(?:py|toml|md))`", text):
        if "NN" not in path:  # nbNN.py, NN_name.ipynb: placeholders for a notebook's number
            assert (REPO / path).exists(), path
    assert "make test" in text and "make bench" in text
