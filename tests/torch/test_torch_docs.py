"""The examples stay runnable: clr_torch's docstring examples and the python blocks of docs/torch.md."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import clr_torch  # noqa: E402

DOC = Path(__file__).resolve().parents[2] / "docs" / "torch.md"
MODULES = sorted(info.name for info in pkgutil.iter_modules(clr_torch.__path__, "clr_torch."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
    if name != "clr_torch":  # the package itself only re-exports
        assert attempted > 0, f"{name} has no runnable example"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_guide_examples_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Each block runs after the ones before it, in one namespace; a block starting with
    ``# requires: NAME`` runs only when NAME can be imported (torchrun and Lightning blocks)."""
    monkeypatch.chdir(tmp_path)  # the examples write checkpoint.pt
    blocks = python_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    namespace: dict[str, object] = {"__name__": "docs_torch"}
    ran = 0
    for block in blocks:
        code = compile(block, f"{DOC.name} block", "exec")  # every block is valid Python, run or not
        required = re.match(r"# requires: (\w+)", block)
        if required and importlib.util.find_spec(required.group(1)) is None:
            continue
        exec(code, namespace)  # noqa: S102 - our own docs
        ran += 1
    assert ran >= 6
    assert "cannot restore: the saved schedule used scale_fn custom function 'build.<locals>.<lambda>'" in \
        capsys.readouterr().out
    assert (tmp_path / "checkpoint.pt").exists()
