"""How much does one ``scheduler.step()`` cost? Ours (`clr_torch.CyclicLR`) against PyTorch's `CyclicLR`.

Run: ``python benchmarks/bench_torch.py [--json results.json] [--steps 2000] [--rounds 25]``

For 1 and 10 param groups (SGD with momentum, one small parameter per group), with momentum cycling off and
on, it times blocks of `--steps` calls of ``scheduler.step()`` for each scheduler, alternating which goes
first, and reports the median microseconds per call and the ratio ours / PyTorch's (also the median of the
per-round ratios, which is robust to the machine's load drifting). Each call follows an applied optimizer step
(its step hooks run first, see `after_applied_step`). The targets: ours <= 0.6x PyTorch's at 10
param groups, and no slower than PyTorch's at one. This is a script, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import platform
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout's clr_torch

import torch
from harness import compare, print_rows, write_json

from clr_torch import CyclicLR

TARGET_RATIO = 0.6
TARGET_GROUPS = 10


def optimizer_with(groups: int) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(4))]} for _ in range(groups)]
    optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    optimizer.step()  # no gradients: changes nothing, but marks the optimizer as stepped (no order warning)
    return optimizer


def schedulers(groups: int, momentum: bool) -> dict[str, Any]:
    return {
        "ours": CyclicLR(optimizer_with(groups), base_lr=0.001, max_lr=0.006, step_size=2000.0,
                         cycle_momentum=momentum),
        "torch": torch.optim.lr_scheduler.CyclicLR(optimizer_with(groups), base_lr=0.001, max_lr=0.006,
                                                   step_size_up=2000, cycle_momentum=momentum),
    }


def after_applied_step(scheduler: Any) -> Any:
    """``scheduler.step()`` as it runs in training: after ``optimizer.step()`` has run its step post-hooks.

    Ours counts the optimizer's applied steps in such a hook (a scheduler step after none is a skipped step,
    recorded differently), so its cost is timed with ours; PyTorch's scheduler registers none. Calling the
    hooks directly keeps the optimizer's own step out of both timings.
    """
    optimizer = scheduler.optimizer
    hooks = tuple(optimizer._optimizer_step_post_hooks.values())
    step = scheduler.step

    def call() -> None:
        for hook in hooks:
            hook(optimizer, (), {})
        step()

    return call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", default=None, help="also write the results as JSON to this path")
    parser.add_argument("--steps", type=int, default=2000, help="calls per timed block (default 2000)")
    parser.add_argument("--rounds", type=int, default=25, help="timed blocks per scheduler (default 25)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    rows = []
    for groups in (1, TARGET_GROUPS):
        for momentum in (False, True):
            pair = schedulers(groups, momentum)
            # the target is for 10 groups; with one group we ask only not to be slower
            rows.append(compare(f"scheduler.step(), {groups} group(s), momentum {'on' if momentum else 'off'}",
                                after_applied_step(pair["ours"]), after_applied_step(pair["torch"]),
                                number=args.steps, rounds=args.rounds,
                                target=TARGET_RATIO if groups == TARGET_GROUPS else 1.0))
    print_rows(f"clr_torch.CyclicLR against torch.optim.lr_scheduler.CyclicLR (torch {torch.__version__}, "
               f"Python {platform.python_version()})", rows)
    write_json(args.json, "torch", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
