"""The built wheel, installed into a clean virtual environment, holds everything: every package and module
imports from it (not from this source tree or an editable install), and each face's quick start runs there.

The frameworks come from the development environment (a path after the venv's own site-packages), so
nothing is downloaded: what is tested is what the wheel brings. A module or package file left out of the
wheel (a package missing from pyproject.toml, a `py.typed`) fails here.
"""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(path.name for path in ROOT.glob("clr_*") if (path / "__init__.py").is_file())
QUICK_START = re.compile(r"^## Quick start: (.+?)\n.*?^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def modules_in_the_tree() -> list[str]:
    """Every module of every package in the source tree, as a dotted name."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def quick_starts() -> dict[str, str]:
    """The README's quick start of each face: its heading -> its first Python block."""
    return dict(QUICK_START.findall((ROOT / "README.md").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the wheel built from a copy of the tree installed in it: its python and site-packages."""
    pytest.importorskip("setuptools")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy, so the build leaves no build/ or egg-info in the tree
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    run = {"capture_output": True, "text": True, "timeout": 300, "cwd": work}
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "--wheel-dir", str(work / "dist"), str(source)], **run)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("clr_cyclical-*.whl")
    environment = work / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = environment / "bin" / "python"
    added = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                            "--no-index", "--quiet", str(wheel)], **run)
    assert added.returncode == 0, added.stderr
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               **run).stdout.strip())
    # The frameworks, after the wheel: a plain path in a .pth file runs none of the dev env's own .pth files,
    # so its editable install of clr (a finder in a .pth) stays out.
    (site / "zz_frameworks.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site


def in_the_venv(installed, *arguments, command="python", input=None):
    """Run `command` of the venv, away from the source tree: no PYTHONPATH, the venv's folder as working folder."""
    python, site = installed
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    environment["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return subprocess.run([str(python.parent / command), *arguments], capture_output=True, text=True, timeout=300,
                          env=environment, cwd=site.parent, input=input)


#: Run in the venv: import every module named in argv, then run each quick start (a JSON map on stdin) in a
#: namespace of its own; print where each module came from and what each quick start raised (None: nothing).
IMPORT_AND_RUN = """
import importlib, json, sys, traceback
found = {}
for name in sys.argv[1:]:
    try:
        found[name] = importlib.import_module(name).__file__
    except Exception as error:
        found[name] = f"not importable: {error!r}"
failed = {}
for face, code in json.load(sys.stdin).items():
    try:
        exec(compile(code, face, "exec"), {"__name__": "__quick_start__"})
        failed[face] = None
    except Exception:
        failed[face] = traceback.format_exc()[-2000:]
found.update({name: module.__file__ for name, module in sys.modules.items() if name.startswith("clr_")})
print(json.dumps({"found": found, "failed": failed}))
"""


@pytest.fixture(scope="module")
def ran(installed):
    """Every module imported and every quick start run, in one process (the frameworks load once)."""
    runnable = {face: code for face, code in quick_starts().items()
                if all(importlib.util.find_spec(name) for name in imported_frameworks(code))}
    result = in_the_venv(installed, "-c", IMPORT_AND_RUN, *modules_in_the_tree(), input=json.dumps(runnable))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def imported_frameworks(code):
    return [name for name in re.findall(r"^\s*(?:import|from)\s+(\w+)", code, re.MULTILINE)
            if not name.startswith("clr_")]


def test_every_module_imports_from_the_installed_wheel(installed, ran):
    _, site = installed
    assert set(ran["found"]) >= set(modules_in_the_tree())
    outside = {name: path for name, path in ran["found"].items() if not Path(path).is_relative_to(site)}
    assert outside == {}, f"imported from outside the wheel, or not at all: {outside}"
    assert sorted(path.parent.name for path in site.glob("clr_*/py.typed")) == PACKAGES


@pytest.mark.parametrize("face", sorted(quick_starts()))
def test_each_quick_start_runs_on_the_installed_wheel(ran, face):
    missing = [name for name in imported_frameworks(quick_starts()[face]) if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"{missing[0]} is not installed")
    assert ran["failed"][face] is None, ran["failed"][face]


def test_the_installed_command_and_version(installed, tmp_path):
    version = in_the_venv(installed, "--version", command="clr")
    assert version.returncode == 0, version.stderr
    assert re.fullmatch(r"clr \d+\.\d+\.\d+\S*\n", version.stdout), version.stdout
    drawn = in_the_venv(installed, "plot", "--iterations", "100", "-o", str(tmp_path / "lr.svg"), command="clr")
    assert drawn.returncode == 0, drawn.stderr
    assert (tmp_path / "lr.svg").read_text().lstrip().startswith("<?xml")


def test_the_readme_has_a_quick_start_for_each_face():
    assert sorted(quick_starts()) == ["JAX and optax", "Keras 3", "PyTorch", "any training loop"]
