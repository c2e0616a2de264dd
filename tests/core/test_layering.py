"""Importing clr_core loads nothing outside the standard library; an adapter imports no other adapter."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = ("clr_keras", "clr_optax", "clr_torch")


def test_importing_clr_core_loads_no_numpy_and_no_framework():
    code = ("import sys, clr_core\n"
            "clr_core.CyclicSchedule().lr_at(5)\n"
            "clr_core.ScheduleState(clr_core.CyclicSchedule()).step()\n"
            "heavy = [m for m in ('numpy', 'torch', 'keras', 'tensorflow', 'matplotlib', 'jax') if m in sys.modules]\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def imported_packages(package: str) -> set[str]:
    """The top-level names that the modules of `package` import (relative imports left out)."""
    names = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_an_adapter_imports_the_core_and_no_other_adapter_or_tool(adapter):
    imported = imported_packages(adapter)
    assert "clr_core" in imported
    assert imported & {*ADAPTERS, "clr_tools"} <= {adapter}
