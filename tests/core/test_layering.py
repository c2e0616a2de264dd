"""The layers hold: clr_core imports only the standard library, its public line stays short, and the adapters
and tools reach the core only through `clr_core` and `clr_core.extend`."""

import ast
import pathlib
import subprocess
import sys

import pytest

import clr_core
import clr_core.extend

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUTSIDE_THE_CORE = ("clr_keras", "clr_torch", "clr_optax", "clr_tools")
PUBLIC_MODULES = {"clr_core": set(clr_core.__all__), "clr_core.extend": set(clr_core.extend.__all__)}


def test_importing_clr_core_loads_no_numpy_and_no_framework():
    code = ("import sys, clr_core, clr_core.extend\n"
            "clr_core.CyclicSchedule().lr_at(5)\n"
            "clr_core.ScheduleState(clr_core.CyclicSchedule()).step()\n"
            "heavy = [m for m in ('numpy', 'torch', 'keras', 'tensorflow', 'matplotlib', 'jax', 'optax') "
            "if m in sys.modules]\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_public_line_is_short_and_everything_in_it_exists():
    assert len(clr_core.__all__) <= 27
    for module, names in PUBLIC_MODULES.items():
        missing = [name for name in names if not hasattr(sys.modules[module], name)]
        assert missing == [], f"{module}.__all__ names what it does not define: {missing}"
    assert not set(clr_core.__all__) & set(clr_core.extend.__all__)


def core_imports(path: pathlib.Path) -> list[tuple[int, str, str]]:
    """``(line, module, name)`` for every import of clr_core in the file (``name`` empty for ``import x``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "clr_core":
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, "") for alias in node.names if alias.name.startswith("clr_core")]
    return found


SOURCES = sorted(path for package in OUTSIDE_THE_CORE for path in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_adapters_and_tools_use_only_the_two_public_modules(path):
    wrong = [(line, module, name) for line, module, name in core_imports(path)
             if module not in PUBLIC_MODULES or (name and name not in PUBLIC_MODULES[module])]
    assert wrong == [], f"{path.name} reaches into clr_core internals: {wrong}"


ADAPTERS = ("clr_keras", "clr_torch", "clr_optax")


@pytest.mark.parametrize("package", [name for name in ADAPTERS if (ROOT / name).is_dir()])
def test_adapters_never_import_each_other(package):
    others = set(ADAPTERS) - {package}
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            assert not [name for name in names if name.split(".")[0] in others], f"{path} imports {names}"
