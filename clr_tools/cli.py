"""The `clr` command line: ``clr plot`` draws a schedule, a history or a range test; ``clr demo`` runs the demo.

Every failure is one line on stderr, ``clr <command>: error: ...``, with exit status 2 (1 for an
interruption), never a traceback. ``clr --version`` and ``clr --help`` need no extra: this module imports
only `clr_core` until a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, get_args

import clr_core
from clr_core import WSD, CosineRestarts, CyclicSchedule, OneCycle, Schedule, warmup
from clr_core.extend import Mode, ScaleMode, Waveform, resolve_import_path

#: The most iterations `clr plot` draws: a preview of 10 million steps takes a few seconds and ~1 GB.
MAX_ITERATIONS = 10_000_000
#: Iterations drawn when neither --iterations nor a one-cycle's --total-steps says.
DEFAULT_ITERATIONS = 20_000
#: The formats `clr plot` writes (the suffix of --output chooses, or --format).
FORMATS = ("png", "svg", "pdf")

#: The optional packages the commands import, each the top-level name a missing import reports.
OPTIONAL = ("numpy", "matplotlib", "torch", "keras", "sklearn")

#: For each schedule flag of `clr plot`: its argument name and the kinds it applies to.
KIND_FLAGS = {
    "base_lr": ("cyclic",), "step_size": ("cyclic",), "step_size_down": ("cyclic",), "mode": ("cyclic",),
    "gamma": ("cyclic",), "scale_fn": ("cyclic",), "scale_mode": ("cyclic",), "waveform": ("cyclic",),
    "max_lr": ("cyclic", "one_cycle", "cosine_restarts", "wsd"), "total_steps": ("one_cycle", "wsd"),
    "pct_start": ("one_cycle",), "period": ("cosine_restarts",), "period_mult": ("cosine_restarts",),
    "min_lr": ("cosine_restarts", "wsd"), "decay": ("cosine_restarts",), "decay_steps": ("wsd",),
    "shape": ("wsd",), "warmup_steps": ("cyclic", "one_cycle", "cosine_restarts", "wsd"),
}


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
    plot = commands.add_parser(
        "plot", help="draw a schedule, a saved history or a saved range test (PNG, SVG or PDF)",
        description="Draw the lr of a schedule (given by flags or by a config file), a saved history or a saved "
                    "range test. The format follows the suffix of --output (.png, .svg, .pdf); a file without "
                    "a suffix, a device or a pipe gets PNG unless --format says otherwise.")
    source = plot.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="FILE", help="a JSON file of schedule_to_config output (any kind)")
    source.add_argument("--history", metavar="FILE", help="a history saved by to_json or to_csv: the lr and each "
                                                          "metric against the iteration")
    source.add_argument("--range-test", metavar="FILE", help="a range test saved by RangeTestResult.to_json")
    flags = plot.add_argument_group("a schedule by flags (defaults: those of each class)")
    flags.add_argument("--kind", choices=("cyclic", "one_cycle", "cosine_restarts", "wsd"), default="cyclic",
                       help="CyclicSchedule, OneCycle, CosineRestarts or WSD (default cyclic)")
    flags.add_argument("--base-lr", type=float, help="cyclic: lower bound (default 0.001)")
    flags.add_argument("--max-lr", type=float, help="upper bound or peak (cyclic default 0.006)")
    flags.add_argument("--step-size", type=float, help="cyclic: iterations per half cycle (default 2000)")
    flags.add_argument("--step-size-down", type=float, help="cyclic: iterations of the falling half")
    flags.add_argument("--mode", choices=get_args(Mode), help="cyclic: policy (default triangular)")
    flags.add_argument("--gamma", type=float, help="cyclic: decay of exp_range (default 1)")
    flags.add_argument("--scale-fn", metavar="MODULE:FUNCTION",
                       help="cyclic: import path of a custom scale function, importable from the current folder "
                            "(overrides --mode)")
    flags.add_argument("--scale-mode", choices=get_args(ScaleMode),
                       help="cyclic: what the custom scale function receives (default cycle)")
    flags.add_argument("--waveform", choices=get_args(Waveform), help="cyclic: cycle shape (default triangle)")
    flags.add_argument("--total-steps", type=_iterations, help="one_cycle, wsd: length of the run (default: "
                                                               "--iterations)")
    flags.add_argument("--pct-start", type=float, help="one_cycle: share of the warm-up phase (default 0.3)")
    flags.add_argument("--period", type=float, help="cosine_restarts: iterations of the first cycle")
    flags.add_argument("--period-mult", type=float, help="cosine_restarts: growth of each cycle (default 1)")
    flags.add_argument("--min-lr", type=float, help="cosine_restarts, wsd: lowest lr (default 0)")
    flags.add_argument("--decay", type=float, help="cosine_restarts: peak decay per cycle (default 1)")
    flags.add_argument("--decay-steps", type=int, help="wsd: steps of the decay at the end of the run")
    flags.add_argument("--shape", help="wsd: form of the decay, 1-sqrt, linear or cosine (default 1-sqrt)")
    flags.add_argument("--warmup-steps", type=float, help="a linear warmup from 0 (in front of the schedule; "
                                                          "wsd: its own warmup, default 0)")
    plot.add_argument("--metric", help="range test: draw this metric's curve and bounds instead of the loss")
    plot.add_argument("--iterations", type=_iterations,
                      help=f"iterations to draw, 1 to {MAX_ITERATIONS} (default {DEFAULT_ITERATIONS}, or a "
                           f"one-cycle's total steps)")
    plot.add_argument("--steps-per-epoch", type=_iterations,
                      help="add an epoch axis and mark where each cycle ends")
    plot.add_argument("-o", "--output", default="lr.png", help="file to write (default lr.png)")
    plot.add_argument("--format", choices=FORMATS, help="png, svg or pdf (default: after the suffix of --output)")


def _add_demo_command(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="range test, then fixed lr vs CLR on scikit-learn's digits",
                               description="Find bounds with an LR range test, then train the same small "
                                           "network with a fixed lr, triangular2 and exp_range CLR over "
                                           "several seeds, and report the paper's comparison. Needs the "
                                           "[demo] extra (and [keras] for --framework keras).")
    demo.add_argument("--framework", choices=("torch", "keras"), default="torch", help="default torch")
    demo.add_argument("--seeds", type=int, default=5, help="seeds per policy (default 5)")
    demo.add_argument("--epochs", type=int, default=24, help="epochs per run (default 24)")
    demo.add_argument("--output", default="demo-output", help="folder for the table and figures")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `clr` command."""
    parser = _Parser(prog="clr", description="Cyclical learning rates (Smith, arXiv:1506.01186).")
    parser.add_argument("--version", action="version", version=f"clr {clr_core.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_plot_command(commands)
    _add_demo_command(commands)
    return parser


def _run_plot(arguments: argparse.Namespace) -> None:
    from .plot import figure_format, plot_history, plot_range_test, plot_schedule, save_figure
    from .sources import read_config, read_history, read_range_test

    given = [name for name in KIND_FLAGS if getattr(arguments, name) is not None]
    by_file = arguments.config or arguments.history or arguments.range_test
    if by_file and given:
        raise ValueError(f"--{given[0].replace('_', '-')} describes a schedule by flags; it cannot go with a file "
                         f"(--config, --history or --range-test)")
    misplaced = [name for name in given if arguments.kind not in KIND_FLAGS[name]]
    if misplaced:
        raise ValueError(f"--{misplaced[0].replace('_', '-')} does not apply to --kind {arguments.kind}")
    if arguments.metric is not None and not arguments.range_test:
        raise ValueError("--metric goes with --range-test")
    if arguments.range_test and (arguments.steps_per_epoch or arguments.iterations):
        raise ValueError("--range-test draws the loss against the lr: --iterations and --steps-per-epoch do not "
                         "apply")
    chosen = figure_format(arguments.output, arguments.format)  # a wrong name fails before any work
    _check_writable(arguments.output)
    if arguments.history:
        figure = plot_history(read_history(arguments.history), title=f"History: {arguments.history}",
                              steps_per_epoch=arguments.steps_per_epoch)
    elif arguments.range_test:
        figure = plot_range_test(read_range_test(arguments.range_test), metric=arguments.metric,
                                 title=f"LR range test: {arguments.range_test}")
    else:
        schedule = read_config(arguments.config) if arguments.config else _schedule_of(arguments)
        iterations = (arguments.iterations or getattr(schedule, "total_steps", None)
                      or getattr(schedule, "length", None) or DEFAULT_ITERATIONS)
        figure = plot_schedule(schedule, min(int(iterations), MAX_ITERATIONS),
                               steps_per_epoch=arguments.steps_per_epoch)
    to_stdout = _is_stdout(arguments.output)
    save_figure(figure, arguments.output, format=chosen)
    print(f"wrote {arguments.output}", file=sys.stderr if to_stdout else sys.stdout)


def _is_stdout(path: str) -> bool:
    """Whether `path` is where standard output goes (``-o /dev/stdout``): then the note goes to stderr."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # no such file yet, or no real stdout (a test's capture)
        return False


def _schedule_of(arguments: argparse.Namespace) -> Schedule:
    """The schedule the flags describe; flags not given take the class's defaults."""
    given = {name: getattr(arguments, name) for name in KIND_FLAGS
             if getattr(arguments, name) is not None and name != "warmup_steps"}
    schedule: Schedule
    if arguments.kind == "wsd":
        if "decay_steps" not in given:
            raise ValueError("--kind wsd needs --decay-steps")
        given.setdefault("total_steps", arguments.iterations or DEFAULT_ITERATIONS)
        warmup_steps = arguments.warmup_steps if arguments.warmup_steps is not None else 0.0
        warmup_steps = int(warmup_steps) if float(warmup_steps).is_integer() else warmup_steps  # WSD counts steps
        return WSD(**{"max_lr": CyclicSchedule().max_lr, "warmup_steps": warmup_steps, **given})
    if arguments.kind == "one_cycle":
        given.setdefault("total_steps", arguments.iterations or DEFAULT_ITERATIONS)
        schedule = OneCycle(**{"max_lr": CyclicSchedule().max_lr, **given})
    elif arguments.kind == "cosine_restarts":
        if "period" not in given:
            raise ValueError("--kind cosine_restarts needs --period")
        schedule = CosineRestarts(**{"max_lr": CyclicSchedule().max_lr, **given})
    else:
        if "scale_fn" in given:  # the user's own argument: importing it is what they asked for
            if os.getcwd() not in sys.path:  # as `python -m` does: the user's own modules resolve by import path
                sys.path.insert(0, os.getcwd())
            given["scale_fn"] = resolve_import_path(given["scale_fn"])
        schedule = CyclicSchedule(**given)
    if arguments.warmup_steps is not None:
        schedule = warmup(schedule, steps=arguments.warmup_steps)
    return schedule


def _check_writable(path: str) -> None:
    """Fail before the work, not after it, when `path` cannot be a file we write (the write itself is atomic)."""
    if not path:
        raise ValueError("output must be a file name, got ''")
    target = os.path.realpath(path)
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot write {path!r}: it is a folder; give a file name")
    if os.path.exists(target) and not os.path.isfile(target):  # a device or a pipe: written through
        if not os.access(target, os.W_OK):
            raise PermissionError(f"cannot write {path!r}: it is not writable")
        return
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path!r}: the folder {os.path.dirname(os.path.abspath(path))!r} "
                                f"does not exist")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot write {path!r}: the folder {folder!r} is not writable")


def _extra_for(arguments: argparse.Namespace) -> str:
    """The extra that brings everything the command needs."""
    if arguments.command == "plot":
        return "plot"
    return "demo,keras" if arguments.framework == "keras" else "demo"


def _reason(error: BaseException, extra: str) -> str:
    """One line saying what went wrong, and for a missing optional package, which extra brings it."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        top = error.name.partition(".")[0]
        if top in OPTIONAL:
            return f'this command needs {top}: pip install "clr-cyclical[{extra}]"'
        if top in ("tensorflow", "jax"):
            return (f"Keras needs its backend {top}: install it, or choose another with KERAS_BACKEND "
                    f"(torch comes with [demo])")
    if isinstance(error, MemoryError):
        return "out of memory; ask for fewer iterations"
    if isinstance(error, (ValueError, TypeError, ImportError, OSError)):
        text = str(error)
    else:  # anything else (a user's scale function failing, an overflow) still gets its type named
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split()) or type(error).__name__


def _run(arguments: argparse.Namespace) -> Any:
    if arguments.command == "plot":
        return _run_plot(arguments)
    from .demo import run_demo

    return run_demo(framework=arguments.framework, seeds=arguments.seeds, epochs=arguments.epochs,
                    output=arguments.output, progress=not arguments.quiet)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `clr` console script; returns the exit status."""
    parser = build_parser()
    arguments, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.exit(2, f"clr {arguments.command}: error: unrecognized arguments: {' '.join(unknown)}\n")
    try:
        _run(arguments)
    except KeyboardInterrupt:
        parser.exit(1, f"clr {arguments.command}: error: interrupted\n")
    except Exception as error:  # every failure is one line, never a traceback
        parser.exit(2, f"clr {arguments.command}: error: {_reason(error, _extra_for(arguments))}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
