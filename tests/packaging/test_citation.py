"""CITATION.cff is valid YAML with the keys citation tools read, and agrees with pyproject.toml."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_citation_names_this_release_and_smiths_paper():
    yaml = pytest.importorskip("yaml")
    tomllib = pytest.importorskip("tomllib")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {"cff-version", "message", "title", "authors"} <= set(citation)
    assert citation["version"] == project["version"] and citation["license"] == project["license"]
    paper = citation["preferred-citation"]
    assert paper["title"] == "Cyclical Learning Rates for Training Neural Networks"
    assert paper["authors"][0]["family-names"] == "Smith"
    assert "1506.01186" in paper["identifiers"][0]["value"]
    assert "MIT" in (ROOT / "LICENSE").read_text().splitlines()[0]
