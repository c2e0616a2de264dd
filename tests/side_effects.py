"""A module with an import-time side effect, written for one test: proof that a refused load imported nothing."""

import sys
import uuid
from pathlib import Path


class SideEffectModule:
    """A fresh importable module in `folder` that creates a marker file when imported, and defines ``f``."""

    def __init__(self, folder: Path) -> None:
        self.name = f"clr_side_effect_{uuid.uuid4().hex[:12]}"
        self.marker = folder / f"{self.name}.imported"
        (folder / f"{self.name}.py").write_text(
            f"open({str(self.marker)!r}, 'w').close()\n\n"
            "def f(s):\n    return 0.5\n")
        self.path = f"{self.name}:f"

    def assert_not_imported(self) -> None:
        assert self.name not in sys.modules
        assert not self.marker.exists()

    def assert_imported(self) -> None:
        assert self.name in sys.modules and self.marker.exists()
