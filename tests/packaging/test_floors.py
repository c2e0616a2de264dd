"""Each floor of an extra is a version CI runs, so "supported" in the README means "tested"."""

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parents[2]


def floors():
    """Package -> the lowest version any extra of pyproject.toml accepts."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    found = {}
    for requirements in extras.values():
        for requirement in requirements:
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[.*\])?>=([0-9.]+)", requirement)
            if match and not match.group(1).startswith("clr-cyclical"):
                found.setdefault(match.group(1), set()).add(match.group(2))
    return found


def pins():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))


def test_every_package_has_one_floor():
    assert {name: versions for name, versions in floors().items() if len(versions) > 1} == {}


@pytest.mark.parametrize("package", ["torch", "jax", "optax", "matplotlib", "scikit-learn"])
def test_the_floor_is_the_version_make_test_pins(package):
    assert floors()[package] == {pins()[package]}


def test_the_keras_floor_is_the_oldest_keras_ci_runs():
    oldest = re.search(r"^KERAS_OLDEST := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    assert {f"{floor}.0" for floor in floors()["keras"]} == {oldest}
    # ... with the numpy of the floor: make test-keras-oldest installs numpy<2, that is 1.26, the last 1.x
    assert floors()["numpy"] == {"1.26"}
    assert "'numpy<2'" in (ROOT / "Makefile").read_text()


def test_ci_builds_the_docs_strictly():
    assert "make docs" in (ROOT / ".ci" / "run").read_text()
    assert "mkdocs build --strict" in (ROOT / "Makefile").read_text()
