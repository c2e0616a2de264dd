"""The `clr` command line: ``clr plot`` previews a schedule as PNG, ``clr demo`` runs the demo.

Every failure is one line on stderr, ``clr <command>: error: ...``, with exit status 2 (1 for an
interruption), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn, get_args

from clr_core import CyclicSchedule
from clr_core.extend import Mode, ScaleMode, Waveform, resolve_import_path

#: The most iterations `clr plot` draws: a preview of 10 million steps takes a few seconds and ~1 GB.
MAX_ITERATIONS = 10_000_000

#: The extra that installs each optional package the commands need.
EXTRAS = {"numpy": "plot", "matplotlib": "plot", "torch": "torch", "keras": "keras", "sklearn": "demo",
          "tensorflow": "keras"}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``clr <command>: error: ...`` (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _iterations(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_ITERATIONS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_ITERATIONS}, got {text}")
    return value


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
    plot.add_argument("--iterations", type=_iterations, default=20000,
                      help=f"iterations to draw, 1 to {MAX_ITERATIONS} (default 20000)")
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
    parser = _Parser(prog="clr", description="Cyclical learning rates (Smith, arXiv:1506.01186).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_plot_command(commands)
    _add_demo_command(commands)
    return parser


def _run_plot(arguments: argparse.Namespace) -> None:
    from .plot import plot_schedule

    _check_writable(arguments.output)
    scale_fn = None
    if arguments.scale_fn is not None:  # the user's own argument: importing it is what they asked for
        if os.getcwd() not in sys.path:  # as `python -m` does: the user's own modules resolve by import path
            sys.path.insert(0, os.getcwd())
        scale_fn = resolve_import_path(arguments.scale_fn)
    schedule = CyclicSchedule(
        base_lr=arguments.base_lr, max_lr=arguments.max_lr, step_size=arguments.step_size,
        step_size_down=arguments.step_size_down, mode=arguments.mode, gamma=arguments.gamma, scale_fn=scale_fn,
        scale_mode=arguments.scale_mode, waveform=arguments.waveform)
    plot_schedule(schedule, arguments.iterations, path=arguments.output)
    print(f"wrote {arguments.output}")


def _check_writable(path: str) -> None:
    """Fail before the work, not after it, when `path` cannot be a file we write (the write itself is atomic)."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a folder; give a file name")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: the folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot write {path!r}: the folder {folder!r} is not writable")


def _reason(error: BaseException) -> str:
    """One line saying what went wrong, and for a missing optional package, what to install."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        top = error.name.partition(".")[0]
        if top in EXTRAS:
            return f'this command needs {top}: pip install "clr-cyclical[{EXTRAS[top]}]"'
    if isinstance(error, MemoryError):
        return "out of memory; ask for fewer iterations"
    if isinstance(error, (ValueError, TypeError, ImportError, OSError)):
        text = str(error)
    else:  # anything else (a user's scale function failing, an overflow) still gets its type named
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split()) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clr` console script; returns the exit status."""
    parser = build_parser()
    arguments, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.exit(2, f"clr {arguments.command}: error: unrecognized arguments: {' '.join(unknown)}\n")
    try:
        if arguments.command == "plot":
            _run_plot(arguments)
        else:
            from .demo import run_demo

            run_demo(framework=arguments.framework, seeds=arguments.seeds, epochs=arguments.epochs,
                     output=arguments.output, progress=not arguments.quiet)
    except KeyboardInterrupt:
        parser.exit(1, f"clr {arguments.command}: error: interrupted\n")
    except Exception as error:  # every failure is one line, never a traceback
        parser.exit(2, f"clr {arguments.command}: error: {_reason(error)}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
