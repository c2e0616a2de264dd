"""The documentation site builds strictly (warnings are errors), with figures drawn by the library."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_site_builds_strictly_with_generated_figures(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("matplotlib")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("figures"))
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    subprocess.run([sys.executable, str(tmp_path / "docs" / "make_figures.py"), str(tmp_path / "docs" / "figures")],
                   check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    image = pytest.importorskip("matplotlib.image")
    for drawn in sorted((tmp_path / "docs" / "figures").glob("*.png")):  # the committed copies are current
        committed = ROOT / "docs" / "figures" / drawn.name
        assert committed.exists(), f"docs/figures/{drawn.name} is missing: run make docs and commit it"
        assert (image.imread(str(drawn)) == image.imread(str(committed))).all(), f"{drawn.name} is out of date"
    page = (tmp_path / "site" / "policies" / "triangular2" / "index.html").read_text()
    assert "figures/triangular2.png" in page
    assert (tmp_path / "site" / "figures" / "one_cycle.png").stat().st_size > 10_000
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "CyclicSchedule" in api and "lr_at" in api
