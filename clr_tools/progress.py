"""A one-line text progress bar for range tests and the demo (standard library only, no tqdm needed).

The core stays silent: a range test reports each step through ``on_step``, and this bar is one listener.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """Draws ``label [#####     ] 50/100 1.2s note`` on one terminal line, at most ten times a second.

    Examples:
        >>> import io
        >>> stream = io.StringIO()
        >>> bar = ProgressBar(4, "sweep", stream=stream, width=4)
        >>> for _ in range(4):
        ...     bar.advance()
        >>> bar.close()
        >>> stream.getvalue().splitlines()[-1].split(" ")[:3]
        ['sweep', '[####]', '4/4']
    """

    def __init__(self, total: int, label: str = "", *, stream: TextIO | None = None, width: int = 30,
                 enabled: bool = True) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.enabled = enabled
        self.done = 0
        self.note = ""
        self._started = time.perf_counter()
        self._drawn_at = 0.0

    def advance(self, steps: int = 1, note: str = "") -> None:
        """Count `steps` more done and redraw (rate-limited); `note` is shown after the counts."""
        self.done = min(self.done + steps, self.total)
        self.note = note or self.note
        now = time.perf_counter()
        if self.done == self.total or now - self._drawn_at >= 0.1:
            self._draw(now)

    def _draw(self, now: float) -> None:
        if not self.enabled:
            return
        self._drawn_at = now
        filled = self.width * self.done // self.total
        bar = "#" * filled + " " * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {now - self._started:.1f}s {self.note}")
        self.stream.flush()

    def range_step(self, steps_done: int, lr: float, loss: float) -> None:
        """An ``on_step`` listener for a range test: ``range_test(..., on_step=bar.range_step)``."""
        self.advance(steps_done - self.done, note=f"lr {lr:.2e} loss {loss:.4g}")

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
