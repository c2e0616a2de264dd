"""The `clr` command line: ``clr plot`` previews a schedule as PNG, ``clr demo`` runs the demo."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import get_args

from clr_core import CyclicSchedule
from clr_core.extend import Mode, ScaleMode, Waveform


def _add_plot_command(commands: argparse._SubParsersAction) -> None:
    plot = commands.add_parser("plot", help="draw a cyclical schedule to a PNG file",
                               description="Draw the lr of a CyclicSchedule over N iterations to a PNG file.")
    plot.add_argument("--base-lr", type=float, default=0.001, help="lower bound (default 0.001)")
    plot.add_argument("--max-lr", type=float, default=0.006, help="upper bound (default 0.006)")
    plot.add_argument("--step-size", type=float, default=2000.0, help="iterations per half cycle (default 2000)")
    plot.add_argument("--step-size-down", type=float, default=None, help="iterations of the falling half")
    plot.add_argument("--mode", choices=get_args(Mode), default="triangular", help="policy (default triangular)")
    plot.add_argument("--gamma", type=float, default=1.0, help="decay of exp_range (default 1)")
    plot.add_argument("--scale-fn", default=None, metavar="MODULE:FUNCTION",
                      help="import path of a custom scale function, importable from the current folder "
                           "(overrides --mode)")
    plot.add_argument("--scale-mode", choices=get_args(ScaleMode), default="cycle",
                      help="what the custom scale function receives (default cycle)")
    plot.add_argument("--waveform", choices=get_args(Waveform), default="triangle",
                      help="cycle shape (default triangle)")
    plot.add_argument("--iterations", type=int, default=20000, help="iterations to draw (default 20000)")
    plot.add_argument("-o", "--output", default="lr.png", help="PNG file to write (default lr.png)")


def _add_demo_command(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="range test, then fixed lr vs CLR on scikit-learn's digits",
                               description="Find bounds with an LR range test, then train the same small "
                                           "network with a fixed lr, triangular2 and exp_range CLR over "
                                           "several seeds, and report the paper's comparison.")
    demo.add_argument("--framework", choices=("torch", "keras"), default="torch", help="default torch")
    demo.add_argument("--seeds", type=int, default=5, help="seeds per policy (default 5)")
    demo.add_argument("--epochs", type=int, default=24, help="epochs per run (default 24)")
    demo.add_argument("--output", default="demo-output", help="folder for the table and figures")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `clr` command."""
    parser = argparse.ArgumentParser(prog="clr", description="Cyclical learning rates (Smith, arXiv:1506.01186).")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_plot_command(commands)
    _add_demo_command(commands)
    return parser


def _run_plot(arguments: argparse.Namespace) -> None:
    from .plot import plot_schedule

    if os.getcwd() not in sys.path:  # as `python -m` does: the user's own modules resolve by import path
        sys.path.insert(0, os.getcwd())
    schedule = CyclicSchedule.from_config({
        "base_lr": arguments.base_lr, "max_lr": arguments.max_lr, "step_size": arguments.step_size,
        "step_size_down": arguments.step_size_down, "mode": arguments.mode, "gamma": arguments.gamma,
        "scale_fn": arguments.scale_fn, "scale_mode": arguments.scale_mode, "waveform": arguments.waveform})
    plot_schedule(schedule, arguments.iterations, path=arguments.output)
    print(f"wrote {arguments.output}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clr` console script; returns the exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "plot":
            _run_plot(arguments)
        else:
            from .demo import run_demo

            run_demo(framework=arguments.framework, seeds=arguments.seeds, epochs=arguments.epochs,
                     output=arguments.output, progress=not arguments.quiet)
    except (ValueError, TypeError, ImportError) as error:
        parser.exit(2, f"clr {arguments.command}: error: {error}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
