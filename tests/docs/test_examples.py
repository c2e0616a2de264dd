"""Every Python example in the README and the docs runs, so none of them can rot.

The blocks of one page run in order in one namespace (later blocks may use earlier ones), in a temporary
folder; a page whose blocks import a framework that is not installed is skipped. A block that starts with
``# requires: NAME`` runs only where NAME can be imported (a torchrun script, a Lightning module).
"""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
FRAMEWORKS = {"torch": "torch", "keras": "keras", "clr_torch": "torch", "clr_keras": "keras",
              "matplotlib": "matplotlib", "clr_tools": "matplotlib", "jax": "jax", "optax": "optax",
              "clr_optax": "optax"}


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def test_the_pages_have_examples_to_run():
    assert sum(len(python_blocks(page)) for page in PAGES) >= 25


@pytest.mark.parametrize("page", [page for page in PAGES if python_blocks(page)],
                         ids=lambda page: str(page.relative_to(ROOT)))
def test_every_example_of_the_page_runs(page, tmp_path, monkeypatch):
    blocks = python_blocks(page)
    needed = {FRAMEWORKS[name] for block in blocks
              for name in re.findall(r"^\s*(?:import|from)\s+(\w+)", block, re.MULTILINE) if name in FRAMEWORKS}
    for module in sorted(needed):
        pytest.importorskip(module)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for number, block in enumerate(blocks, start=1):
        required = re.match(r"# requires: (\w+)", block)
        if required and importlib.util.find_spec(required.group(1)) is None:
            continue
        try:
            exec(compile(block, f"{page.name} block {number}", "exec"), namespace)
        except Exception as error:  # pragma: no cover - the message is the point
            pytest.fail(f"{page.relative_to(ROOT)} block {number} raised {type(error).__name__}: {error}")
