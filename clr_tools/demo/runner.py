"""`run_demo`: pick the framework, run the experiment, print the table, write the report."""

from __future__ import annotations

import os
import tempfile

from clr_core import ends_on_cycle_boundary
from clr_core.extend import checks

from .data import load_digits
from .experiment import EPOCHS_PER_STEP, Trainer, run_experiment
from .report import format_table, save_report


def make_trainer(framework: str) -> Trainer:
    """The trainer of `framework` ('torch' or 'keras'), imported only when asked for."""
    if framework == "torch":
        from .torch_trainer import TorchTrainer

        return TorchTrainer()
    if framework == "keras":
        from .keras_trainer import KerasTrainer

        return KerasTrainer()
    raise ValueError(f"framework must be one of 'torch', 'keras', got {framework!r}")


def run_demo(framework: str = "torch", seeds: int = 5, epochs: int = 24, output: str = "demo-output",
             progress: bool = True) -> str:
    """Run the whole demo and return the table; figures, table.md and results.json go to `output`."""
    checks.count("seeds", seeds, low=1)
    checks.count("epochs", epochs, low=1)
    trainer = make_trainer(framework)  # a missing framework fails here, before any folder is made
    _prepare_folder(output)  # before the work, not after it
    if not ends_on_cycle_boundary(epochs, EPOCHS_PER_STEP, warn=False):  # in epochs: the same ratio as in steps
        print(f"note: {epochs} epochs is not a whole number of {2 * EPOCHS_PER_STEP}-epoch cycles; Smith "
              f"recommends stopping at the end of a cycle")
    outcome = run_experiment(trainer, load_digits(), seeds=seeds, epochs=epochs, progress=progress)
    table = format_table(outcome)
    print(table)
    for path in save_report(outcome, output):
        print(f"wrote {path}")
    return table


def _prepare_folder(output: str) -> None:
    """Create the `output` folder, or fail now if the report could not be written there.

    Writability is tried with a real file, so it holds also for root (for whom a read-only folder's mode
    bits mean nothing) and on read-only file systems.
    """
    if not output:
        raise ValueError("output must be a folder name, got ''")
    if os.path.exists(output) and not os.path.isdir(output):
        raise NotADirectoryError(f"cannot write the report to {output!r}: it is a file; give a folder")
    try:
        os.makedirs(output, exist_ok=True)
        with tempfile.TemporaryFile(dir=output):
            pass
    except OSError as error:
        raise type(error)(f"cannot write the report to {output!r}: {error.strerror}") from None
