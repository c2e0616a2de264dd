"""`run_demo`: pick the framework, run the experiment, print the table, write the report."""

from __future__ import annotations

from clr_core.extend import checks

from .data import load_digits
from .experiment import Trainer, run_experiment
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
    """Run the whole demo and return the table; figures, table.md and results.json go to `output`.

    The range test plans the cyclical runs (`RangeTestResult.schedule`): a step size of 2 to 8 epochs and a
    run that ends on a cycle boundary, so `epochs` must be 4 or more (one cycle of 2 epochs a half).
    """
    checks.count("seeds", seeds, low=1)
    checks.count("epochs", epochs, low=4)
    trainer = make_trainer(framework)
    outcome = run_experiment(trainer, load_digits(), seeds=seeds, epochs=epochs, progress=progress)
    table = format_table(outcome)
    print(table)
    for path in save_report(outcome, output):
        print(f"wrote {path}")
    return table
